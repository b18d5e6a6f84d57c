"""Where things are: the XDG directories computed without platformdirs (the status fast path cannot
spare its import) are the ones platformdirs gives, and ``db_url`` resolves as pathlib did."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs
import pytest

from tracker import config


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG rule is computed by hand on Linux only")
@pytest.mark.parametrize("xdg", [None, "", "relative/dir", "/abs/xdg"])
@pytest.mark.parametrize("home", ["/home/someone", "/home/someone/", "/"])
@pytest.mark.parametrize("kind", ["data", "config"])
def test_user_dirs_are_platformdirs(monkeypatch, kind, home, xdg):
    variable = "XDG_DATA_HOME" if kind == "data" else "XDG_CONFIG_HOME"
    monkeypatch.setenv("HOME", home)
    if xdg is None:
        monkeypatch.delenv(variable, raising=False)
    else:
        monkeypatch.setenv(variable, xdg)
    find = platformdirs.user_data_dir if kind == "data" else platformdirs.user_config_dir
    assert config.user_dir(kind) == find(config.APP_NAME, appauthor=False)


def test_db_url_resolves_like_pathlib(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    for given in ("t.db", "./link/../t.db", "link/t.db", str(tmp_path) + "//x.db", "~/y.db"):
        assert config.db_url(given) == "sqlite:///" + str(Path(given).expanduser().resolve()), given
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(RuntimeError, match="Symlink loop"):
        config.db_url(str(loop))
    assert os.path.basename(config.sqlite_file(config.db_url("t.db"))) == "t.db"


def test_the_default_database_is_in_the_data_dir(monkeypatch, tmp_path):
    assert config.db_url(None) == "sqlite:///" + str(config.default_db_path().resolve())
    monkeypatch.delenv("TRACKER_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert config.db_url(None) == "sqlite:///" + str(tmp_path / config.APP_NAME / "tracker.db")
