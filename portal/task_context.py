"""The request ID and organization travel from the request that caused a task into every log line of the task.

At publish, the log context of the sender (``request_id``, ``organization``, bound by ``RequestIdMiddleware`` and
the API) goes into the message headers; in the worker, ``task_prerun`` binds them again, with the task's name and
ID, and ``task_postrun`` clears them, so a worker thread never leaks one task's context into the next. A task sent
from another task inherits the context it runs under. Work that beat starts (provisioning of a due reservation) has
no request: its task binds the booking's request ID from the booking's audit row (``provisioning.tasks``).
"""

from __future__ import annotations

from typing import Any

import structlog
from celery import Task
from celery.signals import before_task_publish, task_postrun, task_prerun

CARRIED = ("request_id", "organization")


@before_task_publish.connect
def _carry_context(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if headers is None:
        return
    context = structlog.contextvars.get_contextvars()
    for name in CARRIED:
        if context.get(name) and name not in headers:
            headers[name] = context[name]


@task_prerun.connect
def _bind_context(task_id: str | None = None, task: Task[Any, Any] | None = None, **kwargs: Any) -> None:
    structlog.contextvars.clear_contextvars()
    if task is None:
        return
    values: dict[str, Any] = {"task": task.name, "task_id": task_id}
    for name in CARRIED:
        value = getattr(task.request, name, None)
        if value:
            values[name] = value
    structlog.contextvars.bind_contextvars(**values)


@task_postrun.connect
def _clear_context(**kwargs: Any) -> None:
    structlog.contextvars.clear_contextvars()
