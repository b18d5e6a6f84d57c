"""The suite's own checks (tests/conftest.py) judge test runs only: listing the tests
(``pytest --collect-only``, what editors run to discover them) is no run and passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_collect_only_passes_without_a_secrets_alarm(tmp_path):
    # under xdist no worker runs a test when only collecting, so none reported its secrets check:
    # the controller printed "SECRET LEAK: ... no worker reported its secrets check" and exited 1
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "--collect-only", "-p", "no:cacheprovider",
                           "-n", "2", f"--basetemp={tmp_path / 'inner'}", "tests/test_paths.py"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "SECRET LEAK" not in done.stdout
