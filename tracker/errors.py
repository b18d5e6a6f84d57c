"""Errors a user can act on.

Each carries the one line to show and the exit code; ``cli.main`` is the only place that turns
them into output, so library code never prints and never calls ``sys.exit``.
"""

from __future__ import annotations

# Exit codes (documented in the README). Per-account statuses map onto 0-3 as the original
# script did; the others are whole-command failures.
EXIT_OK = 0
EXIT_AUTH = 1  # auth file / token problem, or nothing to work on (no account, no data)
EXIT_NETWORK = 2  # connection failed or timed out (click also uses 2 for usage errors)
EXIT_HTTP = 3  # HTTP error status, or a body we could not understand
EXIT_SETUP = 4  # database cannot be opened/written, unsafe URL, bad option value
EXIT_INTERNAL = 5  # a bug: one line instead of a traceback (TRACKER_DEBUG=1 shows it)


class TrackerError(Exception):
    """An error with a message meant for the user and the exit code that goes with it."""

    exit_code = EXIT_SETUP

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code


class NoAccountsError(TrackerError):
    exit_code = EXIT_AUTH


class NoDataError(TrackerError):
    exit_code = EXIT_AUTH


class StorageError(TrackerError):
    exit_code = EXIT_SETUP


class UnsafeURLError(TrackerError):
    exit_code = EXIT_SETUP
