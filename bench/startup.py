"""Start-up cost: `tracker --help`, `tracker report` and `tracker status` (tiny database; full and from the state file) vs `python -c "import click"`.

    python bench/startup.py

Targets: --help <= 1.5x with no matplotlib/sqlalchemy import; report <= 10x (which means no
Alembic import when the database is already at head); status from the state file <= 1.0x, also
with the database named by a config file. Byte-compile first where PYTHONDONTWRITEBYTECODE is set
(``python -m compileall -q tracker``): an installed package is.
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
from bench.common import timed  # noqa: E402

REPEAT = 15


def tracker_cmd() -> list[str]:
    exe = shutil.which("tracker", path=os.path.dirname(sys.executable)) or shutil.which("tracker")
    return [exe] if exe else [sys.executable, "-m", "tracker"]


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TRACKER_DB": str(Path(tmp) / "tiny.db")}
        subprocess.run([*tracker_cmd(), "demo", "--db", env["TRACKER_DB"], "--accounts", "2", "--days", "1",
                        "-o", str(Path(tmp) / "d.png")],
                       env=env, check=True, capture_output=True)

        def quiet(cmd):
            return lambda: subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)

        click_s = timed(quiet([sys.executable, "-c", "import click"]), REPEAT)
        help_s = timed(quiet([*tracker_cmd(), "--help"]), REPEAT)
        report_s = timed(quiet([*tracker_cmd(), "report"]), REPEAT)
        # The full click path (no fast path: `tracker.cli.main` directly), then the state file's.
        status_s = timed(quiet([sys.executable, "-c", "from tracker.cli import main; main()", "status"]), REPEAT)
        state_s = timed(quiet([*tracker_cmd(), "status"]), REPEAT)  # the full runs above wrote the file
        # The same, the database named by a config file instead of TRACKER_DB (the file is parsed).
        xdg = Path(tmp) / "xdg"
        (xdg / "codex-usage-tracker").mkdir(parents=True)
        (xdg / "codex-usage-tracker" / "config.toml").write_text(f'database = "{env["TRACKER_DB"]}"\nstale_after = "30m"\n')
        config_env = {**{k: v for k, v in env.items() if k != "TRACKER_DB"}, "XDG_CONFIG_HOME": str(xdg)}
        config_s = timed(lambda: subprocess.run([*tracker_cmd(), "status"], env=config_env, check=True,
                                                stdout=subprocess.DEVNULL), REPEAT)
        probe = (
            "import sys, json\nfrom click.testing import CliRunner\nfrom tracker.cli import cli\n"
            "CliRunner().invoke(cli, ['--help']); a = sorted(m for m in ('matplotlib', 'sqlalchemy', 'alembic') if m in sys.modules)\n"
            "CliRunner().invoke(cli, ['report']); b = sorted(m for m in ('matplotlib', 'alembic') if m in sys.modules)\n"
            "print(json.dumps([a, b]))"
        )
        loaded = json.loads(subprocess.run([sys.executable, "-c", probe], env=env, check=True, capture_output=True,
                                           text=True).stdout)
        status_probe = ("import sys, json\nfrom click.testing import CliRunner\nfrom tracker.cli import cli\n"
                        "CliRunner().invoke(cli, ['status'])\n"
                        "print(json.dumps(sorted(m for m in ('matplotlib', 'alembic') if m in sys.modules)))")
        status_imports = json.loads(subprocess.run([sys.executable, "-c", status_probe], env=env, check=True,
                                                   capture_output=True, text=True).stdout)
    return {"click_s": click_s, "help_s": help_s, "report_s": report_s, "help_ratio": help_s / click_s,
            "report_ratio": report_s / click_s,
            "status_s": status_s, "status_ratio": status_s / click_s,
            "state_s": state_s, "state_ratio": state_s / click_s, "config_s": config_s, "config_ratio": config_s / click_s, "status_imports": status_imports, "help_imports": loaded[0], "report_imports": loaded[1]}


def main() -> None:
    r = run()
    print(f"import click {r['click_s'] * 1000:.0f} ms; tracker --help {r['help_s'] * 1000:.0f} ms "
          f"({r['help_ratio']:.2f}x, target <= 1.5x, heavy imports: {r['help_imports'] or 'none'}); "
          f"tracker report {r['report_s'] * 1000:.0f} ms ({r['report_ratio']:.1f}x, target <= 10x, "
          f"matplotlib/alembic imported: {r['report_imports'] or 'none'}); "
          f"tracker status {r['status_s'] * 1000:.0f} ms ({r['status_ratio']:.1f}x, target <= 10x); "
          f"tracker status (state file) {r['state_s'] * 1000:.0f} ms ({r['state_ratio']:.2f}x, target <= 1.0x); "
          f"the same, database from config.toml {r['config_s'] * 1000:.0f} ms ({r['config_ratio']:.2f}x, target <= 1.0x)")


if __name__ == "__main__":
    main()
