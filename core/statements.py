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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models.expressions import DatabaseDefault

#: A statement (SQL with ``%(name)s`` placeholders, its parameters), to be sent with others in one execute.
Statement = tuple[str, dict[str, Any]]

_COLUMNS: dict[tuple[str, type[models.Model], bool], tuple[list[models.Field[Any, Any]], str, str]] = {}


def statements_execute(statements: list[Statement]) -> list[list[tuple[Any, ...]]]:
    """Run ``statements`` in order, in one round trip where the database allows it; the rows of each (empty for one
    without results). Their parameter names must not clash (prefix them)."""
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
