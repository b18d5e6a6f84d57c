"""``tracker notify``: which notifications are due, once per episode. Pure: a report and what was
already sent in, what to send and what to forget out.

An episode starts when a condition begins to hold and ends when it has cleared, with a margin
(``hysteresis``) so that a window hovering at the threshold does not flap. What was sent is kept
per channel, so a failed webhook is retried next run while the desktop is not notified twice.
Messages are built from the report's figures only: never a token, an auth file's path or its
content, nor a raw error message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from tracker.insight.alerts import window_label
from tracker.insight.limit_changes import LimitChange
from tracker.insight.report import AccountReport, Report, WindowReport
from tracker.insight.timeline import jitter_tolerance
from tracker.kinds import KIND_LABELS, LOGIN_KINDS
from tracker.timeutil import format_countdown, format_local, iso_utc


@dataclass(frozen=True)
class Rules:
    below: float | None = 10.0  # remaining percent
    before_reset: bool = False
    stale: timedelta | None = None
    on_reset: bool = False
    min_probability: float = 0.5  # --before-reset fires at this run_out_probability (0.5: "runs out")
    hysteresis: float = 5.0  # percentage points a condition must clear by before it can notify again
    limit_change: bool = False  # a change in the limit (tracker limits) that took effect lately
    credit_expiry: timedelta | None = None  # a usable reset credit expires within this long


@dataclass(frozen=True)
class Key:
    account: str
    limit: str  # "" for account-wide rules
    kind: str
    rule: str  # below | before_reset | stale | reset | limit_change (kind: "weekly@2026-10-12", the change's day)
    #          | credit_expiry (kind: "credit:<id>", one episode per credit)


@dataclass
class Notice:
    key: Key
    message: str
    used_percent: float | None = None
    remaining_percent: float | None = None
    reset_at: datetime | None = None
    exhausts_at: datetime | None = None

    def payload(self) -> dict:
        """The JSON a webhook receives (``text`` for Slack/ntfy-style endpoints)."""
        return {"account": self.key.account, "limit": self.key.limit or None, "kind": self.key.kind or None,
                "rule": self.key.rule, "message": self.message, "text": self.message,
                "used_percent": self.used_percent, "remaining_percent": self.remaining_percent,
                "reset_at": iso_utc(self.reset_at), "exhausts_at": iso_utc(self.exhausts_at)}


@dataclass
class Sent:
    """One row of what was sent: the episode's key, the channel, when, and the window's reset time."""

    key: Key
    channel: str
    sent_at: datetime
    reset_at: datetime | None = None


@dataclass
class Plan:
    send: list[tuple[Notice, str]] = field(default_factory=list)  # (notice, channel)
    forget: list[tuple[Key, str]] = field(default_factory=list)  # episodes that have cleared


def _label(w: WindowReport) -> str:
    return f"{window_label(w)} window"


def _window_conditions(account: AccountReport, rules: Rules, sent_keys: set[Key], tz: tzinfo,
                       now: datetime) -> dict[Key, Notice]:
    active: dict[Key, Notice] = {}
    for w in account.windows:
        f = w.figures
        if not w.live:  # its reset time has passed: the reading is history, as for `check`
            continue
        figures = {"used_percent": f.used_percent, "remaining_percent": f.remaining_percent,
                   "reset_at": f.reset_at, "exhausts_at": f.exhausts_at}
        resets = f", resets {format_local(f.reset_at, tz, now)} ({format_countdown(f.reset_at - now)})" \
            if f.reset_at else ""
        if rules.below is not None:
            key = Key(account.account, w.key.limit, w.key.kind, "below")
            limit = rules.below + (rules.hysteresis if key in sent_keys else 0.0)
            if f.remaining_percent < limit:
                active[key] = Notice(key, f"Codex {account.account}: {_label(w)} {f.remaining_percent:.0f}% left "
                                          f"(below {rules.below:g}%){resets}", **figures)
        if rules.before_reset:
            key = Key(account.account, w.key.limit, w.key.kind, "before_reset")
            projected = f.projected
            holding = key in sent_keys and projected is not None and projected >= 100 - rules.hysteresis
            likely = (f.run_out_probability >= rules.min_probability if f.run_out_probability is not None
                      else bool(f.exhausts_before_reset and f.exhausts_at))
            if likely or holding:
                when = format_local(f.exhausts_at, tz, now) if f.exhausts_at else "before its reset"
                chance = (f" ({100 * f.run_out_probability:.0f}% likely)" if f.run_out_probability is not None
                          and f.run_out_probability < 0.995 else "")
                verb = "expected to run out" if f.exhausts_before_reset else "may run out"
                active[key] = Notice(key, f"Codex {account.account}: {_label(w)} {verb} {when}{chance}, "
                                          f"before its reset{resets.replace(', resets', ' at', 1)}", **figures)
    return active


def _stale_condition(account: AccountReport, rules: Rules, tz: tzinfo, now: datetime) -> Notice | None:
    if rules.stale is None:
        return None
    login = account.last_error is not None and account.last_error.kind in LOGIN_KINDS
    old = account.last_snapshot_at is None or now - account.last_snapshot_at > rules.stale
    if not (login or old):
        return None
    since = (f"since {format_local(account.last_snapshot_at, tz, now)}" if account.last_snapshot_at
             else "ever")
    why = f" ({account.last_error.kind}: run `codex login`)" if login else ""
    key = Key(account.account, "", "", "stale")
    return Notice(key, f"Codex {account.account}: no fresh data {since}{why}")


def _has_reset(sent: Sent, window: WindowReport, now: datetime) -> bool:
    """The window that was low has reset, by the timeline's rules (``tracker.insight.timeline``):
    its announced time has passed (the overdue rule), or it now announces a reset time beyond the
    jitter tolerance with use started again low. A 'below' episode cannot clear inside one window
    (derived use is monotone), so for it a moved reset time is enough; a reset time moved later
    with use still high is the same window (a redeemed credit), no reset."""
    if sent.reset_at is None:
        return False
    if now >= sent.reset_at:
        return True
    current = window.figures.reset_at
    moved = current is not None and abs((current - sent.reset_at).total_seconds()) > jitter_tolerance(
        window.key.window_seconds)
    return moved and (sent.key.rule == "below" or window.figures.used_percent <= 50.0)


def _credit_conditions(account: AccountReport, rules: Rules, tz: tzinfo, now: datetime) -> dict[Key, Notice]:
    """One episode per usable credit expiring within ``credit_expiry``: it ends when the credit is
    redeemed, expires or leaves the list, and a credit never comes back, so it notifies once."""
    from tracker.insight.credits import usable_credits

    if rules.credit_expiry is None:
        return {}
    active = {}
    for credit in usable_credits(account.reset_credits, now):
        if credit.expires_at is None or credit.expires_at - now > rules.credit_expiry:
            continue
        key = Key(account.account, "", f"credit:{credit.id}"[:64], "credit_expiry")
        active[key] = Notice(key, f"Codex {account.account}: a reset credit expires unused "
                                  f"{format_local(credit.expires_at, tz, now)} "
                                  f"({format_countdown(credit.expires_at - now)})", reset_at=credit.expires_at)
    return active


CHANGE_RECENT = timedelta(days=14)  # a limit change notifies while it took effect at most this long ago
SAME_CHANGE = timedelta(days=3)  # a change found again a few days off is the change already notified
CHANGE_DAYS_AFTER = 3  # days at the new price a change rests on before it notifies (tracker limits shows it from 2)


def _change_conditions(changes: Sequence[LimitChange], sent_keys: set[Key], tz: tzinfo,
                       now: datetime) -> dict[Key, Notice]:
    """One episode per change: keyed by the window and the change's day, so it notifies once; a
    later run that dates the same change a day or two differently (more days to go on) keeps the
    episode it already has. A change notifies once it rests on ``CHANGE_DAYS_AFTER`` days at the
    new price: a notice is harder to take back than a row of ``tracker limits``."""
    active: dict[Key, Notice] = {}
    for c in changes:
        if not now - CHANGE_RECENT <= c.at <= now or c.evidence.get("days_after", 0) < CHANGE_DAYS_AFTER:
            continue
        key = Key(c.account, c.limit, f"{c.kind}@{c.at.astimezone(UTC):%Y-%m-%d}", "limit_change")
        for known in sent_keys:
            if (known.rule, known.account, known.limit) == (key.rule, key.account, key.limit) and \
                    known.kind.partition("@")[0] == c.kind and _same_day(known.kind, c.at):
                key = known
                break
        way = "cut" if c.ratio < 1 else "raised"
        cost = 1 / c.ratio if c.ratio < 1 else c.ratio
        active[key] = Notice(key, f"Codex {c.account}: {KIND_LABELS.get(c.kind, c.kind)} limit {way}: from "
                                  f"{format_local(c.at, tz, now)} the same work costs {cost:.1f}x "
                                  f"{'more' if c.ratio < 1 else 'less'} of the window (ratio {c.ratio:.2f})")
    return active


def _same_day(kind: str, at: datetime) -> bool:
    try:
        day = datetime.strptime(kind.partition("@")[2], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return False
    return abs(at - day) <= SAME_CHANGE


def plan_notifications(report: Report, rules: Rules, sent: list[Sent], channels: list[str],
                       tz: tzinfo, changes: Sequence[LimitChange] = ()) -> Plan:
    """``changes``: the limit changes of the report's accounts (``--limit-change``)."""
    now = report.generated_at
    sent_keys = {s.key for s in sent}
    active: dict[Key, Notice] = {}
    if rules.limit_change:
        active.update(_change_conditions(changes, sent_keys, tz, now))
    windows: dict[tuple[str, str, str], WindowReport] = {}
    for account in report.accounts:
        active.update(_window_conditions(account, rules, sent_keys, tz, now))
        active.update(_credit_conditions(account, rules, tz, now))
        stale = _stale_condition(account, rules, tz, now)
        if stale is not None:
            active[stale.key] = stale
        windows.update({(account.account, w.key.limit, w.key.kind): w for w in account.windows})
    plan = Plan()
    done = {(s.key, s.channel) for s in sent}
    for key, notice in sorted(active.items(), key=lambda kv: (kv[0].account, kv[0].limit, kv[0].kind, kv[0].rule)):
        plan.send += [(notice, channel) for channel in channels if (key, channel) not in done]
    reset_announced: set[tuple[Key, str]] = set()
    evaluated = {a.account for a in report.accounts}
    rules_run = {rule for rule, on in (("below", rules.below is not None), ("before_reset", rules.before_reset),
                                       ("stale", rules.stale is not None), ("limit_change", rules.limit_change),
                                       ("credit_expiry", rules.credit_expiry is not None)) if on}
    for s in sent:
        if s.key in active:
            continue
        if s.key.account not in evaluated or s.key.rule not in rules_run:
            continue  # an episode ends only when a run that evaluated its account and rule sees it clear
        plan.forget.append((s.key, s.channel))
        window = windows.get((s.key.account, s.key.limit, s.key.kind))
        if (rules.on_reset and s.key.rule in ("below", "before_reset") and window is not None
                and _has_reset(s, window, now) and s.channel in channels):
            key = Key(s.key.account, s.key.limit, s.key.kind, "reset")
            if (key, s.channel) not in reset_announced:
                reset_announced.add((key, s.channel))
                f = window.figures
                # overdue: the reading is from before the reset, so what is available is the whole window
                used, remaining = (f.used_percent, f.remaining_percent) if window.live else (0.0, 100.0)
                plan.send.append((Notice(key, f"Codex {s.key.account}: {_label(window)} reset, "
                                              f"{remaining:.0f}% available again",
                                         used, remaining, f.reset_at if window.live else None, f.exhausts_at),
                                  s.channel))
    return plan
