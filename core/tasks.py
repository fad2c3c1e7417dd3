"""Enqueueing tasks the house way: IDs only, and only once the surrounding transaction has committed.

Domain code names a task of a higher app by its registered name (``"provisioning.activate_organization"``), so it
never imports another app's ``tasks.py``; a task object of the app's own ``tasks.py`` works too.
"""

from __future__ import annotations

from typing import Any

from celery import Task, current_app
from django.db import transaction


def _resolve(task: Task[Any, Any] | str) -> Task[Any, Any]:
    if not isinstance(task, str):
        return task
    registry = current_app.tasks
    if task not in registry:
        # A web process imports task modules lazily; load every app's tasks module once, then look again.
        current_app.loader.import_default_modules()
        current_app.autodiscover_tasks(force=True)
    try:
        return registry[task]
    except KeyError:
        raise LookupError(f"No Celery task is registered as {task!r}.") from None


def enqueue_on_commit(task: Task[Any, Any] | str, *ids: int | str, **options: Any) -> None:
    """Send ``task`` (a task or its registered name) with ``ids`` after the current transaction commits; never if
    it rolls back.

    A worker that picked the task up before the commit would not see the rows it is about to load. The task is
    resolved when the message is sent, so a name that no app registers fails loudly there.
    """
    for value in ids:
        if not isinstance(value, int | str) or isinstance(value, bool):
            raise TypeError(f"Tasks take IDs, not {type(value).__name__}: pass the primary key.")
    transaction.on_commit(lambda: _resolve(task).apply_async(args=ids, **options), robust=True)
