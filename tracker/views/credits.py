"""Reset credits as every output shows them: one credit as JSON (``collect --json``, ``report
--json``), an account's credits fields, and the short lines under an account in ``report``."""

from __future__ import annotations

from datetime import datetime, tzinfo

from tracker.insight.credits import listed, usable
from tracker.records import ResetCredit
from tracker.render import cell
from tracker.timeutil import format_countdown, format_local, iso_utc


def credit_json(credit: ResetCredit) -> dict:
    return {"id": credit.id, "status": credit.status, "reset_type": credit.reset_type, "title": credit.title,
            "granted_at": iso_utc(credit.granted_at), "expires_at": iso_utc(credit.expires_at),
            "redeemed_at": iso_utc(credit.redeemed_at)}


def account_credits_json(a, now: datetime) -> dict:  # a: tracker.insight.report.AccountReport
    """``reset_credits``: the last list known (``null`` when none ever was), each credit with
    ``usable`` and ``seen_at``; ``reset_credits_state`` says how the last request went."""
    state = a.reset_credits
    credits = None
    if state is not None and state.listed_at is not None:
        credits = [{**credit_json(c), "usable": usable(c, now), "seen_at": iso_utc(c.seen_at)} for c in listed(state)]
    return {
        "reset_credits": credits,
        "reset_credits_state": None if state is None else {
            "state": "ok" if state.known else "unknown", "checked_at": iso_utc(state.checked_at),
            "listed_at": iso_utc(state.listed_at), "error": state.error},
        "reset_credits_usable": a.credits_usable,
        "reset_credits_earliest_expiry": iso_utc(a.credits_earliest_expiry),
        "credit_advice": [{"kind": x.kind, "message": x.message, "credit_id": x.credit_id,
                           "expires_at": iso_utc(x.expires_at), "window": x.window,
                           "run_out_probability": x.run_out_probability} for x in a.credit_advice],
    }


def credit_lines(a, tz: tzinfo, now: datetime) -> list[str]:
    """Under the account's heading: its usable credits and the first expiry (and whether the list
    could not be read lately), then each advice."""
    lines = []
    state = a.reset_credits
    count, first = a.credits_usable, a.credits_earliest_expiry
    if count:  # nothing usable (or nothing known): no line; --json says why
        text = f"  reset credits: {count} usable"
        if first is not None:
            text += f", first expires {format_local(first, tz, now)} ({format_countdown(first - now)})"
        if state is not None and not state.known:
            text += f" (list unreadable, last asked {format_local(state.checked_at, tz, now)})"
        lines.append(text)
    lines += [f"  → {cell(advice.message)}" for advice in a.credit_advice]
    return lines
