"""``tracker collect``: read every account, fetch concurrently, normalise, store each result.

``run_collection`` starts every request first and opens the store (given as a callable) while
they are in flight; each result is stored as it arrives, on its own, so one slow or unstorable
account never holds back the others' rows. No printing here: ``collect_output`` renders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tracker.collect.accounts import Account, AccountRef, AuthFileError, load_account
from tracker.collect.client import FetchResult, fetch_usage
from tracker.collect.normalize import MAX_LIMITS, normalize_payload
from tracker.errors import EXIT_AUTH, EXIT_HTTP, EXIT_NETWORK, EXIT_OK, EXIT_SETUP, UnsafeURLError
from tracker.kinds import KIND_LABELS, MAIN_LIMIT
from tracker.records import CreditsReading, Usage, Window

SIGNAL_POLL = 0.25  # seconds: how often the main thread wakes while requests are in flight (Ctrl-C)

STATUS_EXIT = {
    "ok": EXIT_OK,
    "auth_error": EXIT_AUTH,
    "network_error": EXIT_NETWORK,
    "forbidden": EXIT_HTTP,
    "blocked": EXIT_HTTP,  # an HTML 403: stopped before the account (bot protection), not its refusal
    "rate_limited": EXIT_HTTP,
    "http_error": EXIT_HTTP,
    "unparsed": EXIT_HTTP,
    "unsafe_url": EXIT_SETUP,  # the account's Codex home sends Codex to a URL no token may go to
}


@dataclass
class AccountResult:
    account: str
    status: str
    collected_at: datetime
    exit_code: int = EXIT_OK
    error: str | None = None
    http_status: int | None = None
    usage: Usage = field(default_factory=Usage)
    raw_body: bytes | None = None  # redacted
    raw_headers: dict[str, str] = field(default_factory=dict)  # redacted
    details: Account | None = field(default=None, repr=False)
    warnings: tuple[str, ...] = ()
    credits: CreditsReading = field(default_factory=lambda: CreditsReading("not_asked"))

    @property
    def windows(self) -> list[Window]:
        return self.usage.windows

    @property
    def plan(self) -> str | None:
        return self.usage.plan or (self.details.plan if self.details else None)


def _scrub_usage(usage: Usage, secrets: tuple[str, ...]) -> Usage:
    """Server text kept from a parsed answer (plan, limit names, ...) holds no token in any form."""
    from dataclasses import replace

    from tracker.collect.redact import withhold

    def clean(text: str | None) -> str | None:
        return withhold(text, secrets)

    return replace(usage, plan=clean(usage.plan), credits_balance=clean(usage.credits_balance),
                   reached_type=clean(usage.reached_type), spend_reached_type=clean(usage.spend_reached_type),
                   workspace_id=clean(usage.workspace_id), workspace_label=clean(usage.workspace_label),
                   seat_type=clean(usage.seat_type),
                   windows=[replace(w, limit=clean(w.limit)) for w in usage.windows])


def _from_fetch(account: Account, fetched: FetchResult) -> AccountResult:
    result = AccountResult(
        account=account.name,
        status=fetched.status,
        collected_at=fetched.received_at,
        error=fetched.error,
        http_status=fetched.http_status,
        raw_body=fetched.body,
        raw_headers=fetched.headers,
        details=account,
        warnings=account.warnings,
    )
    if fetched.status == "ok":
        usage = _scrub_usage(normalize_payload(fetched.payload, fetched.server_date or fetched.received_at),
                             account.secrets)
        result.usage = usage
        result.warnings += tuple(_clamped(w) for w in usage.windows if w.reported_percent is not None)
        if usage.dropped_limits:
            result.warnings += (f"the answer lists {usage.dropped_limits:,} limits more than the {MAX_LIMITS} kept "
                                "(the answer is stored as it came)",)
        if not usage.parsed:
            from tracker.collect.redact import scrub

            result.status = "unparsed"
            result.error = f"response not understood: {scrub(usage.problem, account.secrets)}; stored raw"
    # 401 is "expired" like a JWT past its exp, but it is an HTTP answer: exit 3.
    result.exit_code = EXIT_HTTP if result.status == "expired" else STATUS_EXIT[result.status]
    return result


def _clamped(window: Window) -> str:
    """Said, not silent: a used share outside 0..100 is stored clamped (the raw answer as it came)."""
    name = KIND_LABELS.get(window.kind, window.kind) + ("" if window.limit == MAIN_LIMIT else f" ({window.limit})")
    return (f"{name} used {window.reported_percent:g}% read as {window.used_percent:g}% "
            "(outside 0-100; the answer is stored as it came)")


def collect_one(
    ref: AccountRef,
    url: str,
    *,
    timeout: float,
    retries: int,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
    gate=None,  # a tracker.collect.credits.CreditsGate: ask for the credits list when due
) -> AccountResult:
    try:
        account = load_account(ref)
    except AuthFileError as exc:
        return AccountResult(ref.name, exc.status, clock(), EXIT_AUTH, error=exc.message)
    now = clock()
    if account.expires_at is not None and account.expires_at <= now:
        return AccountResult(
            ref.name, "expired", now, EXIT_AUTH, details=account, warnings=account.warnings,
            error=f"access token expired at {account.expires_at:%Y-%m-%d %H:%M} UTC: run `codex login` "
                  "(no request sent)",
        )
    fetched = fetch_usage(account, url, timeout=timeout, retries=retries, clock=clock, sleep=sleep)
    result = _from_fetch(account, fetched)
    if gate is not None and result.status == "ok":
        result.credits = _credits(account, url, gate, timeout=timeout, clock=clock, sleep=sleep)
    return result


def _credits(account: Account, url: str, gate, *, timeout, clock, sleep) -> CreditsReading:
    """The credits list after a good usage answer: asked at most once an hour, never a failure."""
    from tracker.collect.credits import credits_url, fetch_credits

    where = credits_url(url)
    if where is None:
        return CreditsReading("not_asked")
    if not gate.due(account.name, clock()):
        return CreditsReading("not_due")
    return fetch_credits(account, where, timeout=timeout, clock=clock, sleep=sleep)


def _home_url(ref: AccountRef, default: str) -> str | UnsafeURLError:
    """Where the Codex home's config.toml sends Codex; its refusal is that account's failure only
    (one home's ``chatgpt_base_url = "http://…"`` stopped every account's collection)."""
    from tracker.collect.codex_config import home_usage_url

    try:
        return home_usage_url(ref.path) or default
    except UnsafeURLError as exc:
        return exc


def _refused(ref: AccountRef, exc: UnsafeURLError, clock: Callable[[], datetime]) -> AccountResult:
    return AccountResult(ref.name, "unsafe_url", clock(), exc.exit_code, error=f"{exc.message} (no request sent)")


def collect_accounts(
    refs: Sequence[AccountRef],
    url: str,
    *,
    concurrency: int = 16,
    timeout: float = 30.0,
    retries: int = 2,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] | None = None,
    endpoint_fixed: bool = True,
    gate=None,
) -> PendingResults:
    """Start every request now; return the results as they complete.

    Starting eagerly lets the caller open the database (and import SQLAlchemy) while the
    requests are in flight. Unless ``endpoint_fixed`` (a ``--url``), an account read from a
    Codex home is asked where that home's config.toml sends Codex (``tracker.collect.codex_config``).
    With a ``gate`` (``CreditsGate``) each good usage answer is followed by the credits list when due.
    """
    import time

    kwargs = {"timeout": timeout, "retries": retries, "clock": clock, "sleep": sleep or time.sleep, "gate": gate}
    urls: dict[AccountRef, str | UnsafeURLError] = {ref: url for ref in refs}
    if not endpoint_fixed:
        urls = {ref: _home_url(ref, url) for ref in refs}
    pool = ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(refs))), thread_name_prefix="collect")
    futures = {(pool.submit(_refused, ref, urls[ref], clock) if isinstance(urls[ref], UnsafeURLError) else
                pool.submit(collect_one, ref, urls[ref], **kwargs)): ref for ref in refs}

    return PendingResults(pool, futures, clock)


class PendingResults:
    """Results in completion order; ``cancel`` drops requests not yet started."""

    def __init__(self, pool: ThreadPoolExecutor, futures: dict, clock: Callable[[], datetime]) -> None:
        self.pool, self.futures, self.clock = pool, futures, clock

    def cancel(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _result(self, future) -> AccountResult:
        try:
            return future.result()
        except Exception as exc:  # one account's bug must not stop the others
            return AccountResult(self.futures[future].name, "unparsed", self.clock(), EXIT_HTTP,
                                 error=f"internal error ({type(exc).__name__}); please report it")

    def __iter__(self) -> Iterator[AccountResult]:
        pending = set(self.futures)
        try:
            while pending:
                # a short timeout, not one blocking wait: Ctrl-C delivered to a worker thread is only
                # seen when the main thread runs Python again (else it waits out the request timeout)
                done, pending = wait(pending, timeout=SIGNAL_POLL, return_when=FIRST_COMPLETED)
                for future in done:
                    yield self._result(future)
        finally:
            self.cancel()


@dataclass(frozen=True)
class CollectSettings:
    """Which accounts to read and how to ask for their usage."""

    endpoint: str
    account_dirs: tuple[str, ...] = ()
    auth_files: tuple[str, ...] = ()
    codex_homes: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    concurrency: int = 16
    timeout: float = 30.0
    retries: int = 2
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    endpoint_fixed: bool = True  # False: accounts from a Codex home follow its config.toml


def run_collection(settings: CollectSettings, open_store: Callable[[], object], default_home,
                   stop=None, skipped: list[str] | None = None) -> list[AccountResult]:
    """One collection: discover the accounts, fetch them all, store each result as it arrives.

    ``open_store`` is called once the requests are in flight, so opening the database (and
    importing SQLAlchemy) overlaps the network wait. ``stop`` (a ``loop.StopFlag``) ends the
    run after the result being stored, never in the middle of one. ``skipped`` receives one line
    per auth file left out for its name (before any account is fetched, even when none is left).
    """
    from tracker.collect.accounts import discover_accounts, same_file_other_name

    refs = discover_accounts(account_dirs=settings.account_dirs, auth_files=settings.auth_files,
                             codex_homes=settings.codex_homes, default_home=default_home, only=settings.names,
                             skipped=skipped)
    from tracker.collect.credits import CreditsGate

    gate = CreditsGate()
    pending = collect_accounts(refs, settings.endpoint, concurrency=settings.concurrency,
                               timeout=settings.timeout, retries=settings.retries, clock=settings.clock,
                               endpoint_fixed=settings.endpoint_fixed, gate=gate)
    try:
        store = open_store()
        gate.open(store.credit_fetch_times())
    except BaseException:
        gate.close()
        pending.cancel()
        raise
    results = []
    try:
        doubles = same_file_other_name(refs, store.account_paths())
        for result in pending:
            if result.account in doubles:
                result.warnings += (f"{result.account!r} reads the same auth file as the stored account "
                                    f"{doubles[result.account]!r}: one account stored twice "
                                    f"(collect it as {doubles[result.account]!r}, or `tracker accounts rename`)",)
            record_result(store, result)
            results.append(result)
            if stop is not None and stop.stopped:
                pending.cancel()
                break
    finally:
        store.close()
    return sort_for_display(results)


def sort_for_display(results: Sequence[AccountResult]) -> list[AccountResult]:
    """Most five-hour headroom first, then most weekly headroom (as the original script did)."""

    def left(result: AccountResult, kind: str) -> float:
        for window in result.windows:
            if window.limit == MAIN_LIMIT and window.kind == kind:
                return window.remaining_percent
        return -1.0

    return sorted(results, key=lambda r: (-left(r, "five_hour"), -left(r, "weekly"), -left(r, "monthly"), r.account))


def record_result(store, result: AccountResult) -> None:  # tracker.storage.store.Store
    """Store a snapshot, or the failure (with the raw body when there was one).

    Each account is stored on its own: a snapshot the database refuses (a value too long or
    out of range) becomes an ``unparsed`` failure with the raw body, and the other accounts'
    snapshots are kept. Only a database that cannot be written at all stops the run.
    """
    from tracker.records import AccountInfo, FailureRecord, SnapshotRecord, UnstorableValue

    details = result.details
    info = AccountInfo(result.account)
    if details is not None:
        info = AccountInfo(details.name, details.account_id, details.email, result.plan, str(details.path))
    if result.status == "ok":
        record = SnapshotRecord(result.account, result.collected_at, "api", result.usage, result.raw_body)
        try:
            store.add_snapshots([record], {result.account: info})
            _record_credits(store, result)
            return
        except UnstorableValue as exc:
            result.status, result.exit_code = "unparsed", EXIT_HTTP
            result.error = f"response not storable: {exc.message}; stored raw"
    failure = FailureRecord(result.account, result.collected_at, result.status, result.error or result.status,
                            result.http_status, result.raw_body)
    result.credits = CreditsReading("not_asked")  # a failed account keeps no credits list
    try:
        store.add_failure(failure, info)
    except UnstorableValue:  # the account's own details are refused: keep the failure under its name
        store.add_failure(failure, AccountInfo(result.account))


def _record_credits(store, result: AccountResult) -> None:
    """Keep the credits list (or that it was asked and not known): never the collection's failure."""
    from tracker.records import UnstorableValue

    reading = result.credits
    if reading.outcome not in ("ok", "unknown"):
        return
    try:
        store.record_credits(result.account, reading)
    except UnstorableValue as exc:
        result.credits = CreditsReading("unknown", reading.at, error=f"credits list not storable: {exc.message}")
        store.record_credits(result.account, result.credits)
