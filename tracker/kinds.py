"""The names of limits and window kinds, and how they are labelled: imported by every stage and
by the command line's option types, so it holds constants only (cheap to import)."""

FIVE_HOUR = "five_hour"
WEEKLY = "weekly"
OTHER = "other"
MAIN_LIMIT = "codex"
KINDS = (FIVE_HOUR, WEEKLY)  # the windows "all" stands for where a command selects by --kind
SPEND_INDIVIDUAL = "spend_individual"  # a workspace's spending limit for one person, kept as a limit
KIND_LABELS = {"five_hour": "5h", "weekly": "weekly", "other": "other"}
KIND_ORDER = {"five_hour": 0, "weekly": 1, "other": 2}
LOGIN_KINDS = frozenset({"expired", "auth_error", "unauthorized"})  # failures fixed by `codex login`
