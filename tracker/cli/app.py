"""The one place where exceptions become output: a line on stderr and a documented exit code."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import Any

import click

from tracker.errors import EXIT_INTERNAL, EXIT_SETUP, TrackerError

OUTPUT_ERRNOS = (errno.EPIPE, errno.ENOSPC, errno.EIO)


class TrackerGroup(click.Group):
    """Turns the errors users can act on into one line on stderr and their exit code.

    Commands registered with ``lazy`` (name -> module, attribute, short help) are imported only
    when run or asked for help, so ``tracker --help`` stays about as cheap as importing click.
    """

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            import importlib

            module, attribute, _ = self.lazy[name]
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.lazy and name not in self.commands:
                rows.append((name, click.Command(name, help=self.lazy[name][2]).get_short_help_str(limit)))
            elif not (command := self.get_command(ctx, name)).hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            raise OneLineUsageError(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise OneLineUsageError(exc) from None
        except TrackerError as exc:
            click.echo(f"tracker: {' '.join(exc.message.split(chr(10)))}", err=True)  # always one line
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt, BrokenPipeError):
            raise
        except OSError as exc:
            if exc.errno in OUTPUT_ERRNOS:  # stdout closed or full: `run` says so in one line
                raise
            _internal(ctx, exc)
        except Exception as exc:
            _internal(ctx, exc)


class OneLineUsageError(click.UsageError):
    """A bad option or value as one line, with where to look (click's own is three lines)."""

    def __init__(self, error: click.UsageError) -> None:
        super().__init__(error.message, error.ctx)
        self.exit_code = error.exit_code
        self.original = error

    def format_message(self) -> str:
        if isinstance(self.original, OneLineUsageError):
            return self.original.format_message()
        text = " ".join(self.original.format_message().split()).removesuffix(".")
        return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text

    def show(self, file: Any = None) -> None:
        hint = f" (see '{self.ctx.command_path} --help')" if self.ctx is not None else ""
        click.echo(f"tracker: {self.format_message()}{hint}", err=True)


def _internal(ctx: click.Context, exc: Exception) -> None:
    if isinstance(exc, RuntimeError) and str(exc).startswith("Symlink loop"):  # pathlib's resolve()
        from tracker.render import printable

        click.echo(f"tracker: {printable(str(exc))}: a symbolic link points back to itself", err=True)
        ctx.exit(EXIT_SETUP)
    message = _database_error(exc)
    if message is not None:
        click.echo(f"tracker: {message}", err=True)
        ctx.exit(EXIT_SETUP)
    if os.environ.get("TRACKER_DEBUG"):
        raise exc
    click.echo(f"tracker: internal error ({type(exc).__name__}: {str(exc)[:200]}); "
               "rerun with TRACKER_DEBUG=1 for the traceback and please report it", err=True)
    ctx.exit(EXIT_INTERNAL)


def _database_error(exc: Exception) -> str | None:
    """A database error, from SQLAlchemy or straight from the driver: exit 4, not a bug."""
    import sqlite3

    if "sqlalchemy" not in sys.modules and not isinstance(exc, sqlite3.Error):
        return None
    from sqlalchemy.exc import SQLAlchemyError

    if not isinstance(exc, SQLAlchemyError | sqlite3.Error):
        return None
    detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    hint = ""
    if "readonly" in detail or "read-only" in detail or "unable to open" in detail:
        hint = " (check that the database file and its directory are writable, or pass --db)"
    return f"database error: {detail}{hint}"


def run(group: click.Group) -> None:
    """Run the CLI; a reader that went away (``| head``) ends it quietly, a full stdout is one line."""
    try:
        code = group.main(prog_name="tracker", standalone_mode=False)
        sys.stdout.flush()
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):
            _interrupted()
        click.echo("Aborted!", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        _interrupted()
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(0)
    except OSError as exc:
        if exc.errno not in OUTPUT_ERRNOS:
            raise
        _silence_stdout()
        click.echo(f"tracker: cannot write the output: {os.strerror(exc.errno)}", err=True)
        sys.exit(EXIT_SETUP)
    _exit_without_collecting()
    sys.exit(code if isinstance(code, int) else 0)


def _exit_without_collecting() -> None:
    """Keep what the command built out of the collector's passes at interpreter exit: SQLAlchemy's
    tables, types and compiled statements alone are some 100,000 objects, and collecting them took
    45 ms of every command that opened the database (a tenth of ``import-sessions`` on 20 MB of
    logs). The command is done: the store is closed and the output flushed, and the memory goes
    back to the system either way."""
    import gc

    gc.freeze()


def _interrupted() -> None:
    """Ctrl-C: say so and leave now. Requests still in flight are abandoned rather than waited
    for (up to --timeout); what was stored is committed, an unfinished transaction rolls back."""
    click.echo("tracker: interrupted; what was stored is kept (run the command again to go on)", err=True)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):
            stream.flush()
    os._exit(130)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
