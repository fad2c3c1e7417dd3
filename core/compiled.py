"""Hot reads compiled by the ORM once per process instead of on every call.

A provisioning step reads its instance with five related rows and an annotation; compiling that queryset (the
joins, the select list, the subquery) cost more Python than everything the database did for it, and every domain
event's look-up of webhook endpoints compiled the same small query again. ``CompiledRead`` compiles a queryset
once per process and database alias, with placeholder values for its parameters, and then runs the same SQL with
the real values: for a model queryset it builds the same instances from the rows as the ORM does
(``ModelIterable``: the same converters, the related objects cached as ``select_related`` caches them, the
annotations set as attributes); for a ``values_list`` queryset it answers the converted rows as tuples. Any
backend: the SQL is the ORM's own. Tests keep the answers equal to the queryset's, field for field.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators

M = TypeVar("M", bound=Model)


class _Prepared:
    """What one compilation leaves: the SQL, where each placeholder's value goes, how rows become instances."""

    def __init__(self, queryset: QuerySet[Any], placeholders: tuple[object, ...], alias: str) -> None:
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        self.sql = sql
        self.params = list(params)
        self.positions: list[int] = []
        for placeholder in placeholders:
            found = [index for index, value in enumerate(self.params) if value == placeholder]
            if len(found) != 1:
                raise RuntimeError(f"The placeholder {placeholder!r} is not exactly one parameter of {sql}: {params!r}")
            self.positions.append(found[0])
        select, klass_info = compiler.select, compiler.klass_info
        self.converters = list(compiler.get_converters([column[0] for column in select[: compiler.col_count]]).items())
        self.col_count = compiler.col_count
        # None for a values_list queryset: its rows are the answer.
        self.model: type[Model] | None = None
        if klass_info is None or queryset._iterable_class is not ModelIterable:
            return
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [column[0].target.attname for column in select[self.start : self.end]]
        self.related_populators = get_related_populators(klass_info, select, alias)  # type: ignore[call-arg]  # newer stubs
        self.annotation_col_map = dict(compiler.annotation_col_map or {})


class CompiledRead(Generic[M]):
    """``build(*placeholders)``'s queryset, compiled once per process and database alias; calling it with the real
    values returns the list the queryset would (``rows``: a ``values_list`` queryset's tuples). ``placeholders``:
    values no real call uses, each appearing exactly once among the compiled query's parameters (checked when it is
    compiled), so a list parameter (``__in``) cannot be one."""

    def __init__(self, build: Callable[..., QuerySet[Any]], *placeholders: object) -> None:
        self._build = build
        self._placeholders = placeholders
        self._prepared: dict[str, _Prepared] = {}
        self._lock = threading.Lock()

    def _prepare(self, alias: str) -> _Prepared:
        with self._lock:
            prepared = self._prepared.get(alias)
            if prepared is None:
                queryset = self._build(*self._placeholders)
                prepared = self._prepared[alias] = _Prepared(queryset, self._placeholders, alias)
        return prepared

    def _fetch(self, values: tuple[object, ...], using: str) -> tuple[_Prepared, list[list[Any]]]:
        prepared = self._prepared.get(using) or self._prepare(using)
        params = list(prepared.params)
        for position, value in zip(prepared.positions, values, strict=True):
            params[position] = value
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(prepared.sql, params)
            fetched = cursor.fetchall()
        rows = []
        for found in fetched:
            row = list(found[: prepared.col_count])
            for position, (functions, expression) in prepared.converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            rows.append(row)
        return prepared, rows

    def rows(self, *values: object, using: str = "default") -> list[tuple[Any, ...]]:
        """The converted rows of a ``values_list`` queryset."""
        _prepared, rows = self._fetch(values, using)
        return [tuple(row) for row in rows]

    def __call__(self, *values: object, using: str = "default") -> list[M]:
        prepared, rows = self._fetch(values, using)
        if prepared.model is None:
            raise TypeError("A values_list queryset answers rows(), not instances.")
        found: list[M] = []
        for row in rows:
            instance: Any = prepared.model.from_db(using, prepared.init_list, row[prepared.start : prepared.end])
            for populator in prepared.related_populators:
                populator.populate(row, instance)
            for name, position in prepared.annotation_col_map.items():
                setattr(instance, name, row[position])
            found.append(instance)
        return found
