"""import-sessions throughput on a generated Codex log tree of mostly non-token_count lines.

    python bench/import_sessions.py [--mb 200]

Builds sessions/YYYY/MM/DD/rollout-*.jsonl files (about 1 line in 20 a token_count event, the
others session metadata, messages and tool output of mixed sizes), runs `tracker import-sessions`
on them, and prints lines per second (target >= 100,000) and MB per second.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import options  # noqa: E402


def build_tree(home: Path, megabytes: float, seed: int = 1) -> int:
    """Write the log tree; returns the number of lines."""
    rng = random.Random(seed)
    filler = [json.dumps({"type": "response_item", "payload": {"type": "message", "role": "assistant",
                                                               "content": [{"type": "output_text", "text": "x" * n}]}})
              for n in (150, 400, 900, 2500)]
    target, written, lines = megabytes * 1e6, 0, 0
    t = datetime(2025, 10, 1, tzinfo=UTC)
    file_index = 0
    while written < target:
        day = home / "sessions" / f"{t:%Y/%m/%d}"
        day.mkdir(parents=True, exist_ok=True)
        chunk = []
        for i in range(2000):
            t += timedelta(seconds=7)
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            if i % 20 == 0:
                event = {"timestamp": stamp, "type": "event_msg", "payload": {
                    "type": "token_count", "info": {"total_token_usage": {"total_tokens": i}},
                    "rate_limits": {"limit_id": "codex",
                                    "primary": {"used_percent": float(i % 100), "window_minutes": 300,
                                                "resets_at": int(t.timestamp()) + 9000},
                                    "secondary": {"used_percent": float(i % 50), "window_minutes": 10080,
                                                  "resets_at": int(t.timestamp()) + 300000},
                                    "credits": None, "plan_type": "plus"}}}
                chunk.append(json.dumps(event))
            else:
                body = filler[rng.randrange(4) if rng.random() < 0.3 else 0]
                chunk.append(f'{{"timestamp":"{stamp}",{body[1:]}')
        text = "\n".join(chunk) + "\n"
        (day / f"rollout-{t:%Y-%m-%dT%H-%M-%S}-{file_index}.jsonl").write_text(text)
        file_index += 1
        written += len(text)
        lines += len(chunk)
    return lines


def run(megabytes: float = 200) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / ".codex"
        lines = build_tree(home, megabytes)
        exe = shutil.which("tracker", path=os.path.dirname(sys.executable)) or shutil.which("tracker")
        cmd = [exe] if exe else [sys.executable, "-m", "tracker"]
        env = {**os.environ, "TRACKER_DB": str(Path(tmp) / "i.db")}
        subprocess.run([*cmd, "db", "upgrade"], env=env, check=True, capture_output=True)  # not part of the rate
        start = time.perf_counter()
        out = subprocess.run([*cmd, "import-sessions", "--codex-home", str(home), "--json"], env=env,
                             check=True, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        summary = json.loads(out.stdout)
        assert summary["lines"] == lines, (summary["lines"], lines)
        start = time.perf_counter()
        subprocess.run([*cmd, "import-sessions", "--codex-home", str(home), "--json"], env=env, check=True,
                       capture_output=True)
        again = time.perf_counter() - start
    return {"mb": megabytes, "lines": lines, "snapshots": summary["imported"], "seconds": elapsed,
            "lines_per_s": lines / elapsed, "mb_per_s": megabytes / elapsed, "rerun_s": again}


def main() -> None:
    args = options(__doc__, mb=200.0)
    r = run(args.mb)
    print(f"import-sessions: {r['lines']:,} lines ({r['mb']:.0f} MB, {r['snapshots']:,} snapshots) in "
          f"{r['seconds']:.1f} s: {r['lines_per_s']:,.0f} lines/s, {r['mb_per_s']:.0f} MB/s "
          f"(target >= 100,000 lines/s); re-run with nothing new {r['rerun_s']:.2f} s")


if __name__ == "__main__":
    main()
