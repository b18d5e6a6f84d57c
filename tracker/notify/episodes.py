"""Run the notification rules against the store: load what was sent, plan, deliver, remember.

Delivery happens outside any transaction; what was delivered is then recorded in one, so a run
killed midway at worst repeats a notification, and never loses an episode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, insert, select

from tracker.notify.channels import Channel
from tracker.notify.rules import Key, Notice, Rules, Sent, plan_notifications
from tracker.storage.schema import notifications as notifications_t

if TYPE_CHECKING:
    from tracker.storage.store import Store


@dataclass
class NotifyOutcome:
    delivered: list[tuple[Notice, str]] = field(default_factory=list)  # (notice, channel label)
    problems: list[str] = field(default_factory=list)
    cleared: int = 0


def load_sent(store: Store) -> list[Sent]:
    n = notifications_t
    with store.engine.connect() as conn:
        return [Sent(Key(r.account, r.limit_name, r.kind, r.rule), r.channel, r.sent_at, r.reset_at)
                for r in conn.execute(select(n))]


def _key_filter(key: Key, channel: str):
    n = notifications_t
    return and_(n.c.account == key.account, n.c.limit_name == key.limit, n.c.kind == key.kind,
                n.c.rule == key.rule, n.c.channel == channel)


DEFAULT_DEADLINE = 30.0  # seconds for every notice of one run together
MAX_PARALLEL = 8


def deliver_all(sends: list[tuple[Notice, Channel]], deadline: float) -> list[str | None]:
    """Deliver every notice at once (at most MAX_PARALLEL at a time), each given the time left; at
    the deadline stop waiting: what has not been delivered by then is a problem (not marked sent,
    retried next run). Delivery threads are daemons, so a webhook that never answers cannot keep
    the process alive either."""
    import threading
    import time

    results: list[str | None] = ["the run's deadline passed before it was delivered"] * len(sends)
    done = [False] * len(sends)
    gate = threading.Semaphore(MAX_PARALLEL)
    end = time.monotonic() + deadline

    def one(i: int, notice: Notice, channel: Channel) -> None:
        with gate:
            left = end - time.monotonic()
            if left <= 0:
                return
            try:
                results[i] = channel.deliver(notice, left)
            except Exception as exc:  # a channel's own bug must not lose the other notices
                results[i] = f"{channel.label} failed: {type(exc).__name__}"
            done[i] = True

    threads = [threading.Thread(target=one, args=(i, n, c), daemon=True) for i, (n, c) in enumerate(sends)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))
    return [r if d else "the run's deadline passed before it was delivered" for r, d in zip(results, done, strict=True)]


def run_notify(store: Store, report, rules: Rules, channels: list[Channel], tz: tzinfo,
               dry_run: bool = False, deadline: float = DEFAULT_DEADLINE, changes=()) -> NotifyOutcome:
    by_key = {c.key: c for c in channels}
    plan = plan_notifications(report, rules, load_sent(store), list(by_key), tz, changes)
    outcome = NotifyOutcome(cleared=len(plan.forget))
    if dry_run:
        outcome.delivered = [(notice, by_key[channel].label) for notice, channel in plan.send]
        return outcome
    remembered = []
    results = deliver_all([(notice, by_key[key]) for notice, key in plan.send], deadline)
    for (notice, channel_key), problem in zip(plan.send, results, strict=True):
        channel = by_key[channel_key]
        if problem:
            outcome.problems.append(f"{notice.key.account}: {problem} (will retry on the next run)")
            continue
        outcome.delivered.append((notice, channel.label))
        if notice.key.rule != "reset":  # a reset is announced once; it starts no episode
            remembered.append(Sent(notice.key, channel_key, report.generated_at, notice.reset_at))
    with store._write() as conn, conn.begin():
        for key, channel in plan.forget:
            conn.execute(delete(notifications_t).where(_key_filter(key, channel)))
        for s in remembered:
            conn.execute(delete(notifications_t).where(_key_filter(s.key, s.channel)))
            conn.execute(insert(notifications_t).values(
                account=s.key.account, limit_name=s.key.limit, kind=s.key.kind, rule=s.key.rule,
                channel=s.channel, sent_at=s.sent_at, reset_at=s.reset_at))
    return outcome


def notify_from_store(store: Store, names: tuple[str, ...], now: datetime, rules: Rules, channels: list[Channel],
                      tz: tzinfo, dry_run: bool = False, deadline: float = DEFAULT_DEADLINE) -> NotifyOutcome:
    from tracker.insight.report import build_report

    report = build_report(store, names, now, timedelta(hours=1), rules.stale or timedelta(minutes=30))
    changes = []
    if rules.limit_change:
        from tracker.insight.limits_history import limit_changes
        from tracker.notify.rules import CHANGE_RECENT

        changes = limit_changes(store, [a.account for a in report.accounts], now - CHANGE_RECENT, now)
    return run_notify(store, report, rules, channels, tz, dry_run, deadline, changes)
