"""Stop `make test` at once, with a clear message, when PostgreSQL or Redis is unreachable. Tests never skip."""

from __future__ import annotations

import os
import sys

import psycopg
import redis
from psycopg.conninfo import make_conninfo

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kontor")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

HOW_TO_START = """
The test suite runs against a real PostgreSQL and Redis on localhost. Start them, then run `make test` again:
  PostgreSQL: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
              (or any PostgreSQL 14+ with trust auth for user postgres on 127.0.0.1:5432; set DATABASE_URL otherwise)
  Redis:      redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
              (or set REDIS_URL)
"""


def main() -> int:
    problems = []
    try:
        # pytest-django creates its own test database, so check the server through its maintenance database.
        conninfo = make_conninfo(DATABASE_URL, dbname="postgres", connect_timeout=3)
        with psycopg.connect(conninfo) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        problems.append(f"PostgreSQL unreachable at {DATABASE_URL}: {exc}".strip())
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3).ping()
    except Exception as exc:
        problems.append(f"Redis unreachable at {REDIS_URL}: {exc}")
    if problems:
        print("\n".join(["make test cannot run:", *(f"  - {p}" for p in problems)]), file=sys.stderr)
        print(HOW_TO_START, file=sys.stderr)
        return 1
    print("PostgreSQL and Redis are reachable.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
