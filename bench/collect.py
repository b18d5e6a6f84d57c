"""Collect 50 accounts from a server answering in 300 ms: sequential baseline vs `tracker collect`.

    python bench/collect.py [--accounts 50] [--latency 0.3]

The baseline is what the original script did: one request after another. Target: >= 15x (one round trip plus interpreter start-up is near 25x).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import options, slow_server, timed, write_accounts  # noqa: E402


def run(accounts: int = 50, latency: float = 0.3) -> dict:
    import requests

    with tempfile.TemporaryDirectory() as tmp, slow_server(latency) as url:
        paths = write_accounts(Path(tmp) / "accounts", accounts)

        def sequential():
            for path in paths:
                tokens = json.loads(path.read_text())["tokens"]
                requests.get(url, headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=60).json()

        exe = shutil.which("tracker", path=os.path.dirname(sys.executable)) or shutil.which("tracker")
        cmd = [exe] if exe else [sys.executable, "-m", "tracker"]
        env = {**os.environ, "TRACKER_DB": str(Path(tmp) / "b.db"), "TRACKER_USAGE_URL": url,
               "TRACKER_ACCOUNT_DIR": str(Path(tmp) / "accounts")}

        def tracker():
            subprocess.run([*cmd, "collect", "--quiet"], env=env, check=True)

        tracker()  # create the database first: measure steady-state cron runs
        base = timed(sequential)
        ours = timed(tracker, repeat=3)
    return {"accounts": accounts, "latency_s": latency, "sequential_s": base, "tracker_collect_s": ours,
            "speedup": base / ours}


def main() -> None:
    args = options(__doc__, accounts=50, latency=0.3)
    r = run(args.accounts, args.latency)
    print(f"collect {r['accounts']} accounts at {r['latency_s'] * 1000:.0f} ms latency: "
          f"sequential {r['sequential_s']:.2f} s, tracker collect {r['tracker_collect_s']:.2f} s, "
          f"speedup {r['speedup']:.1f}x (target >= 15x)")


if __name__ == "__main__":
    main()
