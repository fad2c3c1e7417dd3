"""Enqueueing tasks the house way: IDs only, and only once the surrounding transaction has committed."""

from __future__ import annotations

from typing import Any

from celery import Task
from django.db import transaction


def enqueue_on_commit(task: Task[Any, Any], *ids: int | str, **options: Any) -> None:
    """Send ``task`` with ``ids`` after the current transaction commits; never if it rolls back.

    A worker that picked the task up before the commit would not see the rows it is about to load.
    """
    for value in ids:
        if not isinstance(value, int | str) or isinstance(value, bool):
            raise TypeError(f"Tasks take IDs, not {type(value).__name__}: pass the primary key.")
    transaction.on_commit(lambda: task.apply_async(args=ids, **options))
