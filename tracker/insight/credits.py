"""Reset credits read against the forecast: which credits can still be used, when the first one
expires, and the advice (``credit_advice``): use one when a window will probably run out before
its reset, and redeem one before it expires unused. Pure: the stored state and ``now`` in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.kinds import KIND_LABELS, MAIN_LIMIT
from tracker.records import CreditsState, ResetCredit

EXPIRY_WARNING = timedelta(hours=48)  # warn this long before an unused credit expires
RUN_OUT_LIKELY = 0.5  # the forecast's run-out probability from which a credit is worth using


@dataclass(frozen=True)
class CreditAdvice:
    kind: str  # use_credit | expires_soon
    message: str
    credit_id: str | None = None
    expires_at: datetime | None = None
    window: str | None = None  # the window kind that will probably run out (use_credit)
    run_out_probability: float | None = None


def listed(state: CreditsState | None) -> list[ResetCredit]:
    """The credits of the last list known (older ones left the list: history)."""
    if state is None or state.listed_at is None:
        return []
    return [c for c in state.credits if c.seen_at == state.listed_at]


def usable(credit: ResetCredit, now: datetime) -> bool:
    """Available, never redeemed, not past its expiry."""
    return (credit.status == "available" and credit.redeemed_at is None
            and (credit.expires_at is None or credit.expires_at > now))


def usable_credits(state: CreditsState | None, now: datetime) -> list[ResetCredit]:
    """The usable credits of the last list, the first to expire first."""
    found = [c for c in listed(state) if usable(c, now)]
    return sorted(found, key=lambda c: (c.expires_at is None, c.expires_at or now, c.id))


def available_count(state: CreditsState | None, snapshot_count: int | None, now: datetime) -> int | None:
    """How many credits can be used: from the last list when one is known, else the count the
    latest usage answer gave (None when neither said)."""
    if state is not None and state.listed_at is not None:
        return len(usable_credits(state, now))
    return snapshot_count


def earliest_expiry(state: CreditsState | None, now: datetime) -> datetime | None:
    return next((c.expires_at for c in usable_credits(state, now) if c.expires_at is not None), None)


def _when(delta: timedelta) -> str:
    hours = max(0, int(delta.total_seconds() // 3600))
    return f"{hours // 24}d {hours % 24}h" if hours >= 24 else f"{hours}h {int(delta.total_seconds() // 60) % 60:02d}m"


def credit_advice(windows: Iterable, state: CreditsState | None, snapshot_count: int | None, now: datetime,
                  warn_before: timedelta = EXPIRY_WARNING) -> list[CreditAdvice]:
    """``windows``: the account's ``WindowReport``s (``key``, ``figures``, ``live``). Use a credit
    when a live main window will probably (``RUN_OUT_LIKELY``) run out before its reset and one is
    available; warn for each usable credit expiring within ``warn_before``."""
    credits = usable_credits(state, now)
    count = available_count(state, snapshot_count, now) or 0
    advice = []
    if count:
        first = credits[0] if credits else None
        for w in windows:
            f = w.figures
            p = f.run_out_probability
            if p is None and f.exhausts_before_reset is not None:
                p = 1.0 if f.exhausts_before_reset else 0.0
            if w.key.limit != MAIN_LIMIT or not w.live or p is None or p < RUN_OUT_LIKELY:
                continue
            label = KIND_LABELS.get(w.key.kind, w.key.kind)
            until = f" (expires in {_when(first.expires_at - now)})" if first and first.expires_at else ""
            advice.append(CreditAdvice(
                "use_credit", f"{label} will probably run out before its reset ({p:.0%}): "
                f"{count} reset credit{'s' if count != 1 else ''} available{until}",
                first.id if first else None, first.expires_at if first else None, w.key.kind, round(p, 3)))
    for credit in credits:
        if credit.expires_at is not None and credit.expires_at - now <= warn_before:
            advice.append(CreditAdvice(
                "expires_soon", f"a reset credit expires unused in {_when(credit.expires_at - now)}"
                + (f" ({credit.title})" if credit.title else ""), credit.id, credit.expires_at))
    return advice
