"""Production's database connections: psycopg's pool by default, PgBouncer-compatible settings on request."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import json
from django.conf import settings
import django
django.setup()
from django.db import connection
default = settings.DATABASES["default"]
pool = None
if default["OPTIONS"].get("pool"):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    pool = [type(connection.pool).__name__, connection.pool.min_size, connection.pool.max_size]
    connection.close_pool()
keys = ("CONN_MAX_AGE", "DISABLE_SERVER_SIDE_CURSORS", "OPTIONS")
print(json.dumps({key: default.get(key) for key in keys} | {"pool": pool}))
"""


def production_database(**environment: str) -> dict:
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "portal.settings_production",
        "DJANGO_SECRET_KEY": "p" * 20 + "8f3b1c9d2e7a4f60b5c8d1e2f3a4b5c6d7e8f9a0",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(result.stdout)


def test_production_pools_connections_per_process():
    assert production_database(KONTOR_DB_POOL_MAX_SIZE="6") == {
        "CONN_MAX_AGE": 0,
        "DISABLE_SERVER_SIDE_CURSORS": None,
        "OPTIONS": {"pool": {"min_size": 2, "max_size": 6, "timeout": 10.0}},
        "pool": ["ConnectionPool", 2, 6],
    }


def test_behind_pgbouncer_there_is_no_pool_and_no_server_side_cursor():
    assert production_database(KONTOR_DB_PGBOUNCER="true") == {
        "CONN_MAX_AGE": 0,
        "DISABLE_SERVER_SIDE_CURSORS": True,
        "OPTIONS": {},
        "pool": None,
    }
