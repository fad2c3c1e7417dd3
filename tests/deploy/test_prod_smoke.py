"""``make prod-smoke`` inside ``make test``: the script runs the production stack end to end and must pass.

The script (``scripts/prod_smoke.py``) starts and stops everything itself; this test runs it as a subprocess and
shows its figures and, on failure, the last lines of every process's log.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_prod_smoke_passes_and_leaves_nothing_running():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "prod_smoke.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-8000:]
    assert done.stdout.splitlines()[-1] == "prod-smoke passed: every process stopped gracefully"
    assert "  run_invoicing: " in done.stdout
    assert "  object_lock: COMPLIANCE until " in done.stdout
