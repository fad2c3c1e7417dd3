"""Querysets the ORM compiles once per process and database, run again with new values.

Compiling a queryset (resolving lookups and joins, choosing columns, quoting names) costs more CPU than running it
for the small indexed reads every API request makes: a quote with its item, flavor and price list cost ~1 ms of
compilation per order, a third of a key-authenticated read's CPU went to one lookup. ``PreparedQuery`` builds the
queryset once with a placeholder for each value, keeps the SQL the ORM made, its converters and how it builds model
instances (``select_related`` included), and then runs that SQL with the values given: the same statement, the same
rows, the same objects as the queryset would give (``tests/core/test_prepared.py`` compares them field by field).
On PostgreSQL that SQL is also parsed and planned once per database session (``core.statements.PreparedSQL``,
PostgreSQL's default plan cache: after five planned runs the one generic plan, unless it looks costlier): planning
a quote's read with its related rows cost the server 1.3 ms for 0.1 ms of execution, the reservation's answer
0.8 ms for 0.1 ms.

Values are integers or strings, each a parameter of the statement (a ``pk``, a foreign key, a slug): the builder
gets a placeholder for each name (an integer or a string no real value is) and the statement's parameters are found
by them. A placeholder folded into the SQL instead of passed as a parameter, or one the statement does not use, is
refused when the query is prepared. Querysets with ``prefetch_related`` or ``defer``/``only`` are not supported
(a second prepared query reads the related rows). This leans on Django's compiler internals (``klass_info``,
``get_related_populators``), as ``ModelIterable`` does; the test suite runs it against the installed Django.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from itertools import count
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
    get_related_populators,
)

from core.statements import PreparedSQL, Statement, statements_execute

T = TypeVar("T")

_INT_BASE = -1_987_000_000  # placeholders: integers no id, count or slot takes (and still an int4)
_serial = count()
#: A positional placeholder of the compiled SQL, or a literal percent sign (``%%``, left as it is).
_POSITIONAL = re.compile(r"%%|%s")


class _Prepared:
    def __init__(self, sql: str, params: list[Any], slots: dict[str, list[int]], make_rows: Any) -> None:
        self.sql, self.params, self.slots, self.make_rows = sql, params, slots, make_rows
        self.plans_once = False  # PostgreSQL: run as a PreparedSQL, parsed and planned once per session
        self._servers: dict[str, PreparedSQL] = {}

    def server(self, prefix: str) -> PreparedSQL:
        """The statement as a ``PreparedSQL`` with its parameters named ``<prefix>0`` ..."""
        found = self._servers.get(prefix)
        if found is None:
            found = self._servers[prefix] = PreparedSQL(_named(self.sql, len(self.params), prefix), types=None)
        return found


def _named(sql: str, count: int, prefix: str) -> str:
    """``sql`` with its ``count`` positional placeholders named ``<prefix>0`` .. (``%%`` left as it is)."""
    names = iter(range(count))

    def named(match: re.Match[str]) -> str:
        return match.group() if match.group() == "%%" else f"%({prefix}{next(names)})s"

    found = _POSITIONAL.sub(named, sql)
    if next(names, None) is not None:
        raise ValueError("The prepared query's SQL has fewer placeholders than parameters.")
    return found


class PreparedQuery(Generic[T]):
    """``PreparedQuery(build, organization=int, slug=str)``: ``build(organization=..., slug=...)`` returns the
    queryset (called once per database alias, with placeholders); ``query(organization=7, slug="b200")`` runs its SQL
    with those values and answers the rows as the queryset would (model instances, dicts of ``values()`` or tuples or
    flat values of ``values_list()``); ``query.first(...)`` the first or None."""

    def __init__(self, build: Callable[..., QuerySet[Any]], **kinds: type) -> None:
        if any(kind not in (int, str) for kind in kinds.values()):
            raise TypeError("A prepared query's values are int or str.")
        self._build = build
        self._kinds = kinds
        self._prepared: dict[str, _Prepared] = {}

    def _placeholders(self) -> dict[str, Any]:
        return {
            name: _INT_BASE - next(_serial) if kind is int else f"\x00kontor-placeholder-{next(_serial)}-{name}"
            for name, kind in self._kinds.items()
        }

    def _prepare(self, alias: str) -> _Prepared:
        placeholders = self._placeholders()
        queryset = self._build(**placeholders)
        check = getattr(queryset, "_check_scoped", None)  # a tenant-owned model's queryset: scoped, as when iterated
        if check is not None:
            check()
        prefetches = queryset._prefetch_related_lookups  # type: ignore[attr-defined]  # private in django-stubs
        if prefetches or queryset.query.deferred_loading != (frozenset(), True):
            raise ValueError("A prepared query cannot prefetch or defer fields.")
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = {name: [i for i, value in enumerate(params) if value == mark] for name, mark in placeholders.items()}
        unused = sorted(name for name, positions in slots.items() if not positions)
        if unused or any(mark in sql for mark in placeholders.values() if isinstance(mark, str)):
            raise ValueError(f"These values are not parameters of the prepared statement: {unused or 'in the SQL'}")
        prepared = _Prepared(sql, params, slots, self._row_maker(queryset, compiler, alias))
        prepared.plans_once = compiler.connection.vendor == "postgresql"
        self._prepared[alias] = prepared
        return prepared

    @staticmethod
    def _row_maker(queryset: QuerySet[Any], compiler: Any, alias: str) -> Callable[[list[Any]], Iterator[Any]]:
        fields = [selected[0] for selected in compiler.select[0 : compiler.col_count]]
        if compiler.has_composite_fields(fields):
            raise ValueError("A prepared query cannot select composite fields.")
        converters = list(compiler.get_converters(fields).items())
        width = compiler.col_count  # columns past it are the ordering's, not the answer's

        def converted(rows: list[Any]) -> Iterator[list[Any]]:
            connection = connections[alias]  # this thread's (the compiler's is the preparing thread's)
            for found in rows:
                row = list(found[:width])
                for position, (functions, expression) in converters:
                    value = row[position]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[position] = value
                yield row

        iterable = queryset._iterable_class
        if iterable is ModelIterable:
            klass_info, select = compiler.klass_info, compiler.select
            model: type[Model] = klass_info["model"]
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            init_list = [selected[0].target.attname for selected in select[start:end]]
            populators = get_related_populators(klass_info, select, alias)  # type: ignore[call-arg]  # 5.2's
            annotations = list(compiler.annotation_col_map.items())

            def instances(rows: list[Any]) -> Iterator[Model]:
                for row in converted(rows):
                    obj = model.from_db(alias, init_list, row[start:end])
                    for populator in populators:
                        populator.populate(row, obj)
                    for name, position in annotations:
                        setattr(obj, name, row[position])
                    yield obj

            return instances
        query = queryset.query
        if iterable is ValuesIterable:
            names = (
                list(query.selected)
                if query.selected
                else [*query.extra_select, *query.values_select, *query.annotation_select]
            )
            return lambda rows: (dict(zip(names, row, strict=True)) for row in converted(rows))
        if iterable is ValuesListIterable:
            return lambda rows: map(tuple, converted(rows))
        if iterable is FlatValuesListIterable:
            return lambda rows: (row[0] for row in converted(rows))
        raise ValueError(f"A prepared query cannot answer {iterable.__name__} rows.")

    def _params(self, prepared: _Prepared, values: dict[str, Any]) -> list[Any]:
        if values.keys() != self._kinds.keys():
            raise TypeError(f"Expected the values {sorted(self._kinds)}, got {sorted(values)}.")
        params = list(prepared.params)
        for name, positions in prepared.slots.items():
            value = values[name]
            if not isinstance(value, self._kinds[name]) or isinstance(value, bool):
                raise TypeError(f"{name} must be {self._kinds[name].__name__}, got {value!r}.")
            for position in positions:
                params[position] = value
        return params

    def __call__(self, *, using: str = "default", **values: Any) -> list[T]:
        prepared = self._prepared.get(using) or self._prepare(using)
        params = self._params(prepared, values)
        if prepared.plans_once and using == DEFAULT_DB_ALIAS:
            (rows,) = statements_execute([(prepared.server("q"), {f"q{n}": value for n, value in enumerate(params)})])
        else:
            with connections[using].cursor() as cursor:
                cursor.execute(prepared.sql, params)
                rows = cursor.fetchall()
        return list(prepared.make_rows(rows))

    def statement(self, *, prefix: str, using: str = "default", **values: Any) -> Statement:
        """The query for ``values`` as a statement to send with others in one round trip
        (``core.statements.statements_execute``), its parameters named ``<prefix><n>``; ``answer`` makes its rows
        what calling the query would have answered."""
        prepared = self._prepared.get(using) or self._prepare(using)
        params = self._params(prepared, values)
        named = {f"{prefix}{n}": value for n, value in enumerate(params)}
        return (prepared.server(prefix) if prepared.plans_once else _named(prepared.sql, len(params), prefix)), named

    def answer(self, rows: list[Any], *, using: str = "default") -> list[T]:
        """The rows of ``statement``'s run as the query answers them."""
        prepared = self._prepared.get(using) or self._prepare(using)
        return list(prepared.make_rows(rows))

    def first(self, *, using: str = "default", **values: Any) -> T | None:
        found = self(using=using, **values)
        return found[0] if found else None


def prefetched_set(instance: Model, accessor: str, related: list[Any]) -> None:
    """Give ``instance`` the reverse foreign key ``accessor``'s rows (read by another prepared query) as
    ``prefetch_related(accessor)`` would: ``instance.<accessor>.all()`` answers them without a query, and each
    related row's foreign key to ``instance`` is cached."""
    manager = getattr(instance, accessor)
    field = manager.field  # the foreign key on the related model
    for obj in related:
        field.set_cached_value(obj, instance)
    queryset = manager.get_queryset()
    queryset._result_cache = related
    queryset._prefetch_done = True
    cache: dict[str, QuerySet[Any]] = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[field.remote_field.cache_name] = queryset
