"""The names of limits and window kinds, and how they are labelled: imported by every stage and
by the command line's option types, so it holds constants only (cheap to import)."""

FIVE_HOUR = "five_hour"
WEEKLY = "weekly"
MONTHLY = "monthly"  # about 30 days (free accounts' "Monthly limit")
OTHER = "other"
MAIN_LIMIT = "codex"
KINDS = (FIVE_HOUR, WEEKLY, MONTHLY)  # the windows "all" stands for where a command selects by --kind
LONG_KINDS = (WEEKLY, MONTHLY)  # the account's long quota: a week, or a month where there is no week
SPEND_INDIVIDUAL = "spend_individual"  # a workspace's spending limit for one person, kept as a limit
# The other spending limits of the same shape, each kept as its own limit beside the individual one.
SPEND_LIMITS = {"individual_limit": SPEND_INDIVIDUAL, "group_limit": "spend_group",
                "workspace_limit": "spend_workspace", "role_limit": "spend_role"}
KIND_LABELS = {"five_hour": "5h", "weekly": "weekly", "monthly": "monthly", "other": "other"}
KIND_SHORT = {"five_hour": "5h", "weekly": "wk", "monthly": "mo"}
KIND_ORDER = {"five_hour": 0, "weekly": 1, "monthly": 2, "other": 3}
# Window lengths (seconds) that make each kind: windows are identified by length, whatever key
# carries them. Between and beyond these, a window is "other" (kept with its length).
FIVE_HOUR_SECONDS = (4 * 3600, 6 * 3600)
WEEKLY_SECONDS = (6 * 86400, 20 * 86400)  # [low, high)
MONTHLY_SECONDS = (20 * 86400, 45 * 86400)  # [low, high]: 28-31 days, with room for drift
LOGIN_KINDS = frozenset({"expired", "auth_error", "unauthorized"})  # failures fixed by `codex login`
