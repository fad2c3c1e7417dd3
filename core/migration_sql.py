"""Raw SQL by database vendor for migrations: triggers and constraints Django cannot express.

PostgreSQL gets one script (run without parameters, so ``%`` in PL/pgSQL stays literal); SQLite gets a list of
statements (it runs one at a time); other vendors get nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import migrations


def _runner(postgresql: str, sqlite: Sequence[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql" and postgresql:
            schema_editor.execute(postgresql, params=None)
        elif vendor == "sqlite":
            for statement in sqlite:
                schema_editor.execute(statement)

    return run


def sql_by_vendor(
    *,
    postgresql_forward: str = "",
    postgresql_backward: str = "",
    sqlite_forward: Sequence[str] = (),
    sqlite_backward: Sequence[str] = (),
) -> migrations.RunPython:
    return migrations.RunPython(
        _runner(postgresql_forward, sqlite_forward), _runner(postgresql_backward, sqlite_backward), elidable=False
    )
