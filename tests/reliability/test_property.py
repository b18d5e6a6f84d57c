"""Random and extreme answers through normalise -> store -> report, on SQLite and PostgreSQL:
whatever the server sends, nothing crashes (no exit 5) and every account stays readable."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures import NOW
from tracker.cli.root import cli
from tracker.collect.normalize import normalize_payload
from tracker.collect.run import AccountResult, record_result
from tracker.storage.store import Store

extreme_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 1e308, -1e308, 3e9, 2**31, 2**63, 1e11, 1e13, 4e12, 5e-324]),
    st.text(alphabet="0123456789.e-+naif", max_size=12),
)
texts = st.one_of(st.none(), st.text(max_size=40), st.text(min_size=200, max_size=600),
                  st.sampled_from(["\x1b[2J\x1b[31mred", "a\r\nb", "\u202egnp", "\x00", "é" * 300]))


@st.composite
def windows(draw):
    entry = {key: draw(extreme_numbers) for key in draw(st.sets(st.sampled_from(
        ["used_percent", "percent_left", "limit_window_seconds", "window_minutes", "reset_at", "resets_at",
         "reset_after_seconds", "resets_in_seconds"]), max_size=5))}
    entry.setdefault("used_percent", draw(extreme_numbers))
    return entry


@st.composite
def payloads(draw):
    limit = {key: draw(windows()) for key in draw(st.sets(st.sampled_from(
        ["primary_window", "secondary_window", "primary", "secondary", "five_hour", "weekly"]), max_size=3))}
    limit["limit_id"] = draw(texts)
    body = {"plan_type": draw(texts), draw(st.sampled_from(["rate_limit", "rate_limits"])): limit,
            "credits": {"balance": draw(st.one_of(texts, extreme_numbers))},
            "rate_limit_reached_type": draw(st.one_of(texts, st.fixed_dictionaries({"type": texts})))}
    if draw(st.booleans()):
        body["additional_rate_limits"] = [{"limit_name": draw(texts), "rate_limit": {"primary_window": draw(windows())}}]
    return body


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    return f"sqlite:///{tmp_path / 'prop.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_db")


def no_crash(result) -> None:
    assert result.exit_code != 5 and "internal error" not in result.output, result.output
    assert "Traceback" not in result.output


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                            HealthCheck.data_too_large])
@given(batch=st.lists(payloads(), min_size=1, max_size=3),
       # a file name, as discovery admits it (lone surrogates from non-UTF-8 names are skipped there:
       # test_a_file_name_that_is_not_utf8_names_no_account)
       account=st.text(st.characters(blacklist_characters="\x00/", blacklist_categories=("Cs",)),
                       min_size=1, max_size=80))
def test_any_answer_is_stored_or_recorded_and_every_command_reads_it(store_url, batch, account):
    clock = test_any_answer_is_stored_or_recorded_and_every_command_reads_it.clock
    store = Store.open(store_url)
    try:
        for payload in batch:
            at = datetime.fromtimestamp(NOW, tz=UTC) + timedelta(seconds=next(clock))
            usage = normalize_payload(json.loads(json.dumps(payload)), at)
            result = AccountResult(account, "ok" if usage.parsed else "unparsed", at, usage=usage,
                                   raw_body=json.dumps(payload).encode())
            record_result(store, result)  # a refused value becomes a failure row, never an exception
    finally:
        store.close()
    at = "2026-11-18T12:00:00Z"
    for args in (["report", "--at", at], ["report", "--json", "--at", at], ["report", "--format", "prometheus"],
                 ["history", "--limit", "20"], ["history", "--errors"], ["check", "--at", at],
                 ["export", "--format", "ndjson"]):
        no_crash(CliRunner().invoke(cli, [*args, "--db", store_url]))


test_any_answer_is_stored_or_recorded_and_every_command_reads_it.clock = itertools.count()
