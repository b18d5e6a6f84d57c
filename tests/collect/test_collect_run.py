"""run_collection without click: plain settings in, results out, stored as they arrive."""

from __future__ import annotations

from tests.fixtures import USAGE_PATH, usage_body, write_auth
from tracker.collect.loop import StopFlag
from tracker.collect.run import CollectSettings, run_collection
from tracker.storage.store import Store


def test_run_collection_stores_every_account(httpserver, usage_url, tmp_path, db_path):
    for name in ("a", "b", "c"):
        write_auth(tmp_path / "acc" / f"{name}.auth.json", name)
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    settings = CollectSettings(endpoint=usage_url, account_dirs=(str(tmp_path / "acc"),), concurrency=2)
    results = run_collection(settings, lambda: Store.open(f"sqlite:///{db_path}"), tmp_path / "unused")
    assert sorted(r.account for r in results) == ["a", "b", "c"]
    assert {r.status for r in results} == {"ok"}
    store = Store.open(f"sqlite:///{db_path}")
    assert store.snapshot_count() == 3
    store.close()


def test_a_stop_request_ends_the_run_after_the_result_being_stored(httpserver, usage_url, tmp_path, db_path):
    for name in ("a", "b", "c", "d"):
        write_auth(tmp_path / "acc" / f"{name}.auth.json", name)
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    stop = StopFlag()
    stop.event.set()  # as SIGTERM would during the collection
    settings = CollectSettings(endpoint=usage_url, account_dirs=(str(tmp_path / "acc"),), concurrency=1)
    results = run_collection(settings, lambda: Store.open(f"sqlite:///{db_path}"), tmp_path, stop)
    assert len(results) == 1
    store = Store.open(f"sqlite:///{db_path}")
    assert store.snapshot_count() == 1  # exactly the one stored, whole
    store.close()
