"""What the reset-credits list costs a collection: 50 accounts, a server answering in 300 ms.

    python bench/credits.py [--accounts 50] [--latency 0.3] [--repeat 3]

`tracker collect` is timed when the list is due for every account (the first run of each hour:
the usage request, then the credits list) and when it is not (the other runs of the hour: the
usage request only). The list follows each account's own usage answer in the same worker, so the
accounts' lists go out together: the hourly run should cost about one more round trip, not one
per account. Target: due / not due <= 2.0 (one round trip more, at most).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import options, slow_server, timed, write_accounts  # noqa: E402


def run(accounts: int = 50, latency: float = 0.3, repeat: int = 3) -> dict:
    with tempfile.TemporaryDirectory() as tmp, slow_server(latency) as url:
        write_accounts(Path(tmp) / "accounts", accounts)
        exe = shutil.which("tracker", path=os.path.dirname(sys.executable)) or shutil.which("tracker")
        cmd = [exe] if exe else [sys.executable, "-m", "tracker"]
        env = {**os.environ, "TRACKER_DB": str(Path(tmp) / "b.db"), "TRACKER_USAGE_URL": url,
               "TRACKER_ACCOUNT_DIR": str(Path(tmp) / "accounts")}
        start = datetime.now(UTC) - timedelta(days=2)
        clock = {"at": start}

        def collect(step: timedelta):
            clock["at"] += step
            subprocess.run([*cmd, "collect", "--quiet", "--at", clock["at"].strftime("%Y-%m-%dT%H:%M:%SZ")],
                           env=env, check=True)

        collect(timedelta(0))  # create the database first: measure steady-state cron runs
        due = timed(lambda: collect(timedelta(minutes=61)), repeat)  # every list due again
        not_due = timed(lambda: collect(timedelta(minutes=1)), repeat)  # asked within the hour
    return {"accounts": accounts, "latency_s": latency, "due_s": due, "not_due_s": not_due,
            "extra_s": due - not_due, "ratio": due / not_due}


def main() -> None:
    args = options(__doc__, accounts=50, latency=0.3, repeat=3)
    r = run(args.accounts, args.latency, args.repeat)
    print(f"collect {r['accounts']} accounts at {r['latency_s'] * 1000:.0f} ms latency: credits list due "
          f"{r['due_s']:.2f} s, not due {r['not_due_s']:.2f} s: {r['extra_s'] * 1000:.0f} ms more once an hour "
          f"({r['extra_s'] / r['accounts'] * 1000:.1f} ms per account), ratio {r['ratio']:.2f} (target <= 2.0)")


if __name__ == "__main__":
    main()
