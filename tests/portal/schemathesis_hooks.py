"""Schemathesis hooks for tests/portal/test_schema_fuzzing.py, loaded by the ``st`` process it starts.

The coverage phase sends each query, path and header parameter's invalid values once per combination of the
operation's optional parameters: with its required neighbours only, with each optional neighbour in turn, and with
all of them. ``GET /capacity/`` sent ``starts_at=true`` four times, differing only in whether ``step`` or ``kind``
came along. The repeats are a fifth of the phase's requests and prove nothing the first one did not: the server
checks each parameter on its own. ``filter_case`` lets the first case through and drops the repeats: a negative
coverage case whose operation, parameter, scenario and invalid value were already sent. "Unexpected properties" in a
query (the same unknown parameter each time) is sent once per operation too. Body cases, positive cases and the other
phases are never filtered.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario

CONTAINERS = {
    ParameterLocation.QUERY: "query",
    ParameterLocation.PATH: "path_parameters",
    ParameterLocation.HEADER: "headers",
    ParameterLocation.COOKIE: "cookies",
}

SENT: set[tuple[str, ...]] = set()


def repeat_key(case: Any) -> tuple[str, ...] | None:
    """What a negative coverage case of a query, path, header or cookie parameter proves, or None for any other case
    (never filtered)."""
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.NEGATIVE:
        return None
    data = meta.phase.data
    if not isinstance(data, CoveragePhaseData) or data.parameter_location not in CONTAINERS:
        return None
    operation = (case.method.upper(), case.operation.path, str(data.parameter_location.value))
    if data.parameter is None:
        if data.scenario != CoverageScenario.OBJECT_UNEXPECTED_PROPERTIES:
            return None
        return (*operation, str(data.scenario))
    container = getattr(case, CONTAINERS[data.parameter_location]) or {}
    value = dict(container).get(data.parameter, "<absent>")
    return (*operation, data.parameter, str(data.scenario), json.dumps(value, sort_keys=True, default=str))


@schemathesis.hook
def filter_case(context: schemathesis.HookContext, case: Any) -> bool:
    key = repeat_key(case)
    if key is None:
        return True
    if key in SENT:
        return False
    SENT.add(key)
    return True
