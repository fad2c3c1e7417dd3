"""Statements sent several in one round trip (a booking sends its organization's lock with the reads of its rules,
then its reservation, its audit rows and its allocation insert together), and the INSERTs of model rows among them,
built without the ORM's compiler.

``statements_execute`` runs statements in one execute and returns each one's rows: on PostgreSQL with Django's
default client-side binding the server gets one simple query, and each statement takes its own snapshot (under
READ COMMITTED a read after a lock sees what the lock's previous holder committed); with server-side binding, or
on another database, one execute per statement, the same statements in the same order.

``insert_statement`` gives the SQL and the parameters of one INSERT of one or more instances of a model: the
columns of its concrete fields (the primary key only if the instances carry one), each value prepared as the ORM's
own insert prepares it (the field's ``pre_save`` for an insert, then ``get_db_prep_save``), under named placeholders
with a prefix so that the statement's parameters can join those of the others it travels with. The column list is
built once per model and vendor; the instances are then marked saved, as ``Model.save`` does.

``PreparedSQL`` is a statement PostgreSQL parses and plans once per session instead of on every run: the large
statements of a booking (the free-blocks read, the allocation insert) spent about half of their server time
planning, and so did the compiled querysets of ``core.prepared``. It travels in a round trip like any other
statement (``(PreparedSQL, params)``): the first time on a connection it is sent as ``PREPARE`` followed by
``EXECUTE``, afterwards as ``EXECUTE`` alone, and the caller gets its rows in its place. A round trip that fails
forgets the names it was preparing (the ``PREPARE`` may or may not have run before the error), and the next one
prepares again under a new name. Where a session is not the client's own (PgBouncer in transaction mode,
``KONTOR_DB_PGBOUNCER``: Django's ``DISABLE_SERVER_SIDE_CURSORS``), with server-side binding (psycopg prepares by
itself there) or on another database, it is sent as plain SQL.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from itertools import count
from typing import Any

from django.db import connection, models
from django.db.models.expressions import DatabaseDefault

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_names = count(1)


class PreparedSQL:
    """A statement prepared once per PostgreSQL session (see the module's text). ``sql`` has ``%(name)s``
    placeholders; ``types`` gives each one's SQL type, in the order of the ``PREPARE``'s parameters (a parameter
    used in several places, or in arithmetic, has no type PostgreSQL could infer), or is None where each one is
    compared with a column (PostgreSQL infers it). ``generic_plan``: run it with
    ``plan_cache_mode = force_generic_plan`` for its transaction, so that the plan made once is kept; without it
    PostgreSQL's default applies: five planned runs, then the one generic plan unless it looks costlier than theirs
    (a lookup by key: from the sixth run on, no planning)."""

    def __init__(self, sql: str, *, types: dict[str, str] | None, generic_plan: bool = False) -> None:
        used = list(dict.fromkeys(_PLACEHOLDER.findall(sql)))  # in order of first use
        if types is not None and set(used) != types.keys():
            raise ValueError(f"types must name exactly the placeholders {sorted(used)}, not {sorted(types)}")
        self.names = list(types) if types is not None else used
        numbers = {name: number for number, name in enumerate(self.names, start=1)}
        self.sql = sql
        self.generic_plan = generic_plan
        declared = f"({', '.join(types.values())}) " if types else ""  # None: PostgreSQL infers each from its use
        self._prepare_body = f"{declared}AS " + _PLACEHOLDER.sub(lambda match: f"${numbers[match.group(1)]}", sql)
        self._arguments = ("(" + ", ".join(f"%({name})s" for name in self.names) + ")") if self.names else ""

    def __repr__(self) -> str:
        return f"PreparedSQL({' '.join(self.sql.split())[:60]!r}...)"


#: Per psycopg connection (a session of the server): the name each ``PreparedSQL`` has there, once prepared.
_SESSIONS: weakref.WeakKeyDictionary[Any, dict[PreparedSQL, str]] = weakref.WeakKeyDictionary()

#: A statement (SQL with ``%(name)s`` placeholders, or a ``PreparedSQL``; its parameters), to be sent with others in
#: one execute.
Statement = tuple[str | PreparedSQL, dict[str, Any]]


def prepared_name(statement: PreparedSQL) -> str | None:
    """The name ``statement`` has on this connection's session (what its ``EXECUTE`` names), or None while it is not
    prepared there."""
    raw = connection.connection
    return _SESSIONS.get(raw, {}).get(statement) if raw is not None else None


_EXECUTE = re.compile(r"\bEXECUTE (kontor_\d+)\b")


def statement_text(sql: str) -> str:
    """``sql`` as a round trip sent it, each ``EXECUTE`` of a statement prepared on this connection followed by that
    statement's SQL in a comment: what tests and diagnostics that look for a table or a clause read."""
    raw = connection.connection
    by_name = {name: statement for statement, name in _SESSIONS.get(raw, {}).items()} if raw is not None else {}

    def expanded(match: re.Match[str]) -> str:
        statement = by_name.get(match.group(1))
        return match.group() if statement is None else f"{match.group()} /* {statement.sql} */"

    return _EXECUTE.sub(expanded, sql)


def _prepares_here() -> bool:
    settings = connection.settings_dict
    return (
        connection.vendor == "postgresql"
        and not settings.get("OPTIONS", {}).get("server_side_binding")
        and not settings.get("DISABLE_SERVER_SIDE_CURSORS")
    )


def _expanded(statements: list[Statement]) -> tuple[list[tuple[str, dict[str, Any]]], list[bool], list[PreparedSQL]]:
    """The SQL to send for ``statements`` on this connection, whether each one's result is the caller's, and the
    statements prepared by it (new names, remembered already)."""
    if not any(isinstance(sql, PreparedSQL) for sql, _values in statements):
        return statements, [True] * len(statements), []  # type: ignore[return-value]  # all plain SQL
    prepares = _prepares_here()
    if prepares:
        connection.ensure_connection()
        session = _SESSIONS.setdefault(connection.connection, {})
    sent: list[tuple[str, dict[str, Any]]] = []
    kept: list[bool] = []
    preparing: list[PreparedSQL] = []
    generic = False
    for sql, values in statements:
        if not isinstance(sql, PreparedSQL):
            sent.append((sql, values))
            kept.append(True)
            continue
        if not prepares:
            sent.append((sql.sql, values))
            kept.append(True)
            continue
        name = session.get(sql)
        if name is None:
            name = session[sql] = f"kontor_{next(_names)}"
            preparing.append(sql)
            sent.append((f"PREPARE {name} {sql._prepare_body}", {}))
            kept.append(False)
        if sql.generic_plan and not generic:
            sent.append(("SET LOCAL plan_cache_mode = force_generic_plan", {}))
            kept.append(False)
            generic = True
        sent.append((f"EXECUTE {name} {sql._arguments}", values))
        kept.append(True)
    return sent, kept, preparing


def statements_execute(statements: list[Statement]) -> list[list[tuple[Any, ...]]]:
    """Run ``statements`` in order, in one round trip where the database allows it; the rows of each (empty for one
    without results). Their parameter names must not clash (prefix them)."""
    sent, kept, preparing = _expanded(statements)
    try:
        results = _execute(sent)
    except BaseException:
        # A PREPARE of this round trip may or may not have run: prepared again, under a new name, the next time.
        session = _SESSIONS.get(connection.connection, {}) if connection.connection is not None else {}
        for prepared in preparing:
            session.pop(prepared, None)
        raise
    return [rows for rows, keep in zip(results, kept, strict=True) if keep]


def _execute(statements: list[tuple[str, dict[str, Any]]]) -> list[list[tuple[Any, ...]]]:
    with connection.cursor() as cursor:
        one_by_one = connection.vendor != "postgresql" or connection.settings_dict.get("OPTIONS", {}).get(
            "server_side_binding"
        )
        if one_by_one:
            results = []
            for sql, values in statements:
                cursor.execute(sql, values)
                results.append(cursor.fetchall() if cursor.description is not None else [])
            return results
        merged: dict[str, Any] = {}
        for _sql, values in statements:
            merged.update(values)
        cursor.execute(";\n".join(sql for sql, _values in statements), merged)
        results = [cursor.fetchall() if cursor.description is not None else []]
        for _statement in statements[1:]:
            cursor.nextset()
            results.append(cursor.fetchall() if cursor.description is not None else [])
        return results


_COLUMNS: dict[tuple[str, type[models.Model], bool], tuple[list[models.Field[Any, Any]], str, str]] = {}


def _columns(model: type[models.Model], *, with_pk: bool) -> tuple[list[models.Field[Any, Any]], str, str]:
    key = (connection.vendor, model, with_pk)
    found = _COLUMNS.get(key)
    if found is None:
        meta = model._meta
        fields = [field for field in meta.concrete_fields if with_pk or not field.primary_key]
        quote = connection.ops.quote_name
        found = (fields, quote(meta.db_table), ", ".join(quote(str(field.column)) for field in fields))
        _COLUMNS[key] = found
    return found


def insert_statement(instances: Sequence[models.Model], *, prefix: str) -> Statement:
    """One INSERT of ``instances`` (all of one model, in order; none of them saved yet): its SQL and parameters,
    named ``<prefix><row>_<column>``, or ``<prefix>_<column>`` for a value every row has (psycopg caches the
    conversion of a query only up to 50 parameters; a batch of statements counts them all). The instances are
    marked saved (``_state``): run the statement in the same transaction, or discard them with it."""
    model = type(instances[0])
    with_pk = instances[0].pk is not None
    fields, table, columns = _columns(model, with_pk=with_pk)
    if any(type(instance) is not model or (instance.pk is not None) != with_pk for instance in instances):
        raise ValueError("insert_statement takes instances of one model, all with a primary key or none")
    values = [[field.pre_save(instance, True) for field in fields] for instance in instances]
    params: dict[str, Any] = {}
    rows: list[list[str]] = [[] for _instance in instances]
    for column, field in enumerate(fields):
        first = values[0][column]
        shared = not isinstance(first, DatabaseDefault) and all(
            type(row[column]) is type(first) and row[column] == first for row in values[1:]
        )
        if shared:
            name = f"{prefix}_{field.column}"
            params[name] = field.get_db_prep_save(first, connection)
        for number, row in enumerate(rows):
            value = values[number][column]
            if isinstance(value, DatabaseDefault):  # the column's own default, as the ORM's insert leaves it
                if not connection.features.supports_default_keyword_in_insert:
                    raise ValueError(f"{field} has a database default this database cannot insert by keyword")
                row.append("DEFAULT")
                continue
            if not shared:
                name = f"{prefix}{number}_{field.column}"
                params[name] = field.get_db_prep_save(value, connection)
            row.append(f"%({name})s")
    for instance in instances:
        instance._state.adding = False
        instance._state.db = connection.alias
    sql_rows = ", ".join(f"({', '.join(row)})" for row in rows)
    return f"INSERT INTO {table} ({columns}) VALUES {sql_rows}", params  # noqa: S608 (names from _meta)
