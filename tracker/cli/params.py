"""Click parameter types: every option value is checked while parsing (exit 2), before a command
opens, creates or writes anything."""

from __future__ import annotations

import math
from datetime import timedelta, tzinfo
from typing import TYPE_CHECKING, Any

import click

from tracker.errors import TrackerError

if TYPE_CHECKING:
    from tracker import timeutil


class _Parsed(click.ParamType):
    """A type whose parser raises TrackerError; its message becomes click's usage error."""

    def parse(self, text: str) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self.parse(value)
        except TrackerError as exc:
            self.fail(exc.message, param, ctx)


class Duration(_Parsed):
    """``30s``, ``5m``, ``12h``, ``7d``, ``2w``: finite, positive, at most a century."""

    name = "duration"

    def __init__(self, minimum: timedelta = timedelta(seconds=1), maximum: timedelta | None = None,
                 bare_seconds: bool = False) -> None:
        self.minimum, self.maximum = minimum, maximum
        self.bare_seconds = bare_seconds  # --timeout took plain seconds before it took durations

    def parse(self, text: str) -> timedelta:
        from tracker.timeutil import format_duration, parse_duration

        bare = self.bare_seconds and text.strip().replace(".", "", 1).isdigit()
        value = parse_duration(f"{text.strip()}s" if bare else text)
        if value < self.minimum:
            raise TrackerError(f"{text!r} is too short (at least {format_duration(self.minimum)})")
        if self.maximum is not None and value > self.maximum:
            raise TrackerError(f"{text!r} is too long (at most {format_duration(self.maximum)})")
        return value


class When(_Parsed):
    """An ISO date/time or a duration ago; resolved later against the clock and ``--tz``."""

    name = "when"

    def parse(self, text: str) -> timeutil.When:
        from tracker.timeutil import parse_when_text

        return parse_when_text(text)


class Zone(_Parsed):
    """An IANA zone in any case, ``UTC``, a fixed offset such as ``+02:00``, or ``local``."""

    name = "zone"

    def parse(self, text: str) -> tzinfo:
        from tracker.timeutil import get_zone

        return get_zone(text)


class Number(click.FloatRange):
    """A float range that also refuses NaN and infinities (which compare false both ways)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


class Size(_Parsed):
    """``WIDTHxHEIGHT`` in inches, each between 2 and 100."""

    name = "size"

    def parse(self, text: str) -> tuple[float, float]:
        try:
            width, height = (float(v) for v in text.lower().split("x"))
        except ValueError:
            raise TrackerError("use WIDTHxHEIGHT in inches, e.g. 14x9") from None
        if not all(math.isfinite(v) and 2 <= v <= 100 for v in (width, height)):
            raise TrackerError("width and height must be between 2 and 100 inches")
        return width, height


class ShellCommand(click.ParamType):
    """A command line for ``sh -c``: from the environment it is one command, never split on spaces."""

    name = "command"

    def split_envvar_value(self, rv: str) -> list[str]:
        return [rv] if rv.strip() else []

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not str(value).strip():
            self.fail("an empty command", param, ctx)
        return value
