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


def run_notify(store: Store, report, rules: Rules, channels: list[Channel], tz: tzinfo,
               dry_run: bool = False) -> NotifyOutcome:
    by_key = {c.key: c for c in channels}
    plan = plan_notifications(report, rules, load_sent(store), list(by_key), tz)
    outcome = NotifyOutcome(cleared=len(plan.forget))
    if dry_run:
        outcome.delivered = [(notice, by_key[channel].label) for notice, channel in plan.send]
        return outcome
    remembered = []
    for notice, channel_key in plan.send:
        channel = by_key[channel_key]
        problem = channel.deliver(notice)
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
                      tz: tzinfo, dry_run: bool = False) -> NotifyOutcome:
    from tracker.insight.report import build_report

    report = build_report(store, names, now, timedelta(hours=1), rules.stale or timedelta(minutes=30))
    return run_notify(store, report, rules, channels, tz, dry_run)
