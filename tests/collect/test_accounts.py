from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixtures import NOW, b64, make_jwt, write_auth
from tracker.collect.accounts import (
    AccountRef,
    AuthFileError,
    decode_jwt_payload,
    discover_accounts,
    load_account,
)
from tracker.errors import NoAccountsError


def names(refs):
    return [(r.name, r.path.name) for r in refs]


def test_default_codex_home(tmp_path):
    write_auth(tmp_path / "auth.json", "me")
    refs = discover_accounts(default_home=tmp_path)
    assert names(refs) == [("default", "auth.json")]


def test_no_account_says_where_it_looked(tmp_path):
    with pytest.raises(NoAccountsError) as err:
        discover_accounts(default_home=tmp_path / "nowhere")
    assert str(tmp_path / "nowhere" / "auth.json") in err.value.message
    assert err.value.exit_code == 1


def test_account_dir_auth_files_codex_homes_and_explicit_names(tmp_path):
    accounts = tmp_path / "accounts"
    write_auth(accounts / "work.auth.json", "work")
    write_auth(accounts / "home.auth.json", "home")
    (accounts / "notes.txt").write_text("x")
    write_auth(tmp_path / "extra.auth.json", "extra")
    write_auth(tmp_path / "plain.json", "plain")
    write_auth(tmp_path / ".codex-work" / "auth.json", "cw")
    write_auth(tmp_path / "other" / "auth.json", "o")
    refs = discover_accounts(
        account_dirs=(str(accounts),),
        auth_files=(str(tmp_path / "extra.auth.json"), str(tmp_path / "plain.json")),
        codex_homes=(str(tmp_path / ".codex-work"), f"mine={tmp_path / 'other'}"),
        default_home=tmp_path / "unused",
    )
    assert [r.name for r in refs] == ["home", "work", "extra", "plain", "codex-work", "mine"]


def test_restrict_by_name_and_unknown_name(tmp_path):
    write_auth(tmp_path / "a.auth.json", "a")
    write_auth(tmp_path / "b.auth.json", "b")
    assert [r.name for r in discover_accounts(account_dirs=(str(tmp_path),), default_home=tmp_path, only=("b",))] == ["b"]
    with pytest.raises(NoAccountsError, match="no account named zed"):
        discover_accounts(account_dirs=(str(tmp_path),), default_home=tmp_path, only=("zed",))


def test_duplicate_names_must_be_disambiguated(tmp_path):
    write_auth(tmp_path / "x" / ".codex" / "auth.json", "1")
    write_auth(tmp_path / "y" / ".codex" / "auth.json", "2")
    with pytest.raises(NoAccountsError, match="NAME=PATH"):
        discover_accounts(codex_homes=(str(tmp_path / "x/.codex"), str(tmp_path / "y/.codex")), default_home=tmp_path)


def test_load_account_reads_labels_and_expiry(tmp_path):
    tokens = write_auth(tmp_path / "w.auth.json", "w", exp=NOW + 60)
    account = load_account(AccountRef("w", tmp_path / "w.auth.json"))
    assert account.account_id == "acc-w"
    assert account.email == "w@example.com"
    assert account.plan == "plus"
    assert account.expires_at.timestamp() == NOW + 60
    assert tokens["access_token"] not in repr(account)
    assert set(account.secrets) == {tokens["access_token"], tokens["refresh_token"], tokens["id_token"]}
    assert account.warnings == ()


@pytest.mark.parametrize("content,expected", [
    (None, "does not exist"),
    (b"", "not valid JSON"),
    (b"\x00\xff\xfe binary", "not valid JSON"),
    (b"[1, 2]", "no \"tokens\" object"),
    (b'{"tokens": {"refresh_token": "r"}}', "no tokens.access_token"),
    (b'{"tokens": {"access_token": "sess-abcdefghijkl"}}', "browser session token"),
])
def test_bad_auth_files(tmp_path, content, expected):
    path = tmp_path / "bad.auth.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AuthFileError, match=expected) as err:
        load_account(AccountRef("bad", path))
    assert err.value.status == "auth_error"
    assert "sess-abcdefghijkl" not in err.value.message


def test_unreadable_file_and_directory(tmp_path):
    (tmp_path / "dir.auth.json").mkdir()
    with pytest.raises(AuthFileError, match="is a directory"):
        load_account(AccountRef("d", tmp_path / "dir.auth.json"))
    link = tmp_path / "link.auth.json"
    link.symlink_to(tmp_path / "missing-target")
    with pytest.raises(AuthFileError, match="does not exist"):
        load_account(AccountRef("l", link))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_permission_denied(tmp_path):
    path = tmp_path / "p.auth.json"
    write_auth(path, "p")
    path.chmod(0)
    with pytest.raises(AuthFileError, match="cannot be read"):
        load_account(AccountRef("p", path))


def test_world_readable_file_warns(tmp_path):
    path = tmp_path / "open.auth.json"
    write_auth(path, "open")
    path.chmod(0o644)
    assert "chmod 600" in load_account(AccountRef("open", path)).warnings[0]


def test_jwt_whose_payload_is_not_json_is_sent_without_expiry(tmp_path):
    path = tmp_path / "odd.auth.json"
    write_auth(path, "odd", tokens={"access_token": f"{b64(b'{}')}.{b64(b'not json')}.sig", "account_id": "a"})
    account = load_account(AccountRef("odd", path))
    assert account.expires_at is None
    assert decode_jwt_payload("opaque-token") is None
    assert decode_jwt_payload(make_jwt({"exp": 5})) == {"exp": 5}


def test_never_writes_the_auth_file(tmp_path):
    path = tmp_path / "w.auth.json"
    write_auth(path, "w")
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    load_account(AccountRef("w", Path(path)))
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
