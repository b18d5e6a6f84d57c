"""Every command has help text with an example, and the README documents it."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tracker.cli.root import LAZY_COMMANDS, cli
from tracker.storage.store import Store

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        path = (*prefix, name)
        if isinstance(command, click.Group):
            yield from all_commands(command, path)
        yield path, command


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_lazy_commands_are_listed_with_their_own_first_line(name):
    module, attribute, short = LAZY_COMMANDS[name]
    command = getattr(__import__(module, fromlist=[attribute]), attribute)
    assert command.help.strip().splitlines()[0] == short
    assert name in CliRunner().invoke(cli, ["--help"]).stdout


@pytest.mark.parametrize("path,command", list(all_commands(cli)), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_help_and_readme(path, command):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
    assert f"tracker {' '.join(path)}" in README, f"README never mentions `tracker {' '.join(path)}`"


def test_a_bug_is_one_line_not_a_traceback(monkeypatch, tmp_path):
    import tracker.insight.report

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(tracker.insight.report, "build_report", broken)
    Store.open(f"sqlite:///{tmp_path / 'x.db'}").close()  # readers need a database to exist
    result = CliRunner().invoke(cli, ["report", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 5
    assert result.stderr.startswith("tracker: internal error (ZeroDivisionError: boom)")
    assert "Traceback" not in result.output
    monkeypatch.setenv("TRACKER_DEBUG", "1")
    result = CliRunner().invoke(cli, ["report", "--db", str(tmp_path / "x.db")])
    assert isinstance(result.exception, ZeroDivisionError)


def test_readme_code_fences_close_on_their_own_line():
    # a closing ``` followed by prose is no closing fence (CommonMark): everything after it, up to
    # the next fence, rendered as one code block (the backtest section swallowed `tracker resets`)
    fences = [(n, line) for n, line in enumerate(README.splitlines(), 1) if line.lstrip().startswith("```")]
    closing = fences[1::2]
    assert len(fences) % 2 == 0, "an unclosed code fence"
    bad = [(n, line) for n, line in closing if line.strip() != "```"]
    assert not bad, f"closing fences with text after them: {bad}"
