"""`make run`'s embedded default — SQLite and kombu's filesystem transport, no server — migrates and loads the
lived-in demo: the set-based billing and every other path seed_demo takes must also work without PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_runs_embedded_default_migrates_and_seeds_the_demo_twice(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_DEBUG": "1", "KONTOR_VAR_DIR": str(tmp_path)})

    def manage(*arguments: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
        return done.stdout

    manage("migrate", "--noinput")
    first = manage("seed_demo")
    second = manage("seed_demo")

    with sqlite3.connect(tmp_path / "kontor.sqlite3") as database:
        invoices = database.execute("SELECT kind, status, COUNT(*) FROM billing_invoice GROUP BY 1, 2").fetchall()
        waiting = database.execute("SELECT COUNT(*) FROM tenants_organization WHERE status = 'pending_approval'")
        pending = waiting.fetchone()[0]
    assert "Demo data ready." in first
    assert "Demo data ready." in second
    assert sorted(invoices) == [("380", "finalized", 5), ("381", "finalized", 1)]  # invoices, a credit note
    assert pending == 1
