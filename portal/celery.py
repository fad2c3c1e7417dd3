"""The Celery app. Configuration comes from Django settings (``CELERY_*``); tasks are discovered in every app.

House rules for tasks (docs/architecture.md): arguments are IDs, enqueue with ``transaction.on_commit``, tasks are
``acks_late`` and written to be safe when delivered twice or run concurrently with themselves.
"""

from __future__ import annotations

import logging.config
import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun
from django.conf import settings
from django.db import close_old_connections

from portal import kombu_fixes

# Before any connection exists: a broker restart must not stop the worker (see portal/kombu_fixes.py).
kombu_fixes.apply()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("kontor")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fixup closes every database connection before and after each task unless ``DB_REUSE_MAX`` is set:
# each task opened a new PostgreSQL connection (a backend process, authentication, cold catalog caches: about 10 ms
# and most of a short task's statements' time). With the count out of reach, the fixup leaves connections alone and
# the handlers below apply Django's own rule for requests instead.
app.conf.update(CELERY_DB_REUSE_MAX=2**62)
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _database_connections_as_for_a_request(**kwargs: Any) -> None:
    """Before and after each task, as Django does around each request: a connection is kept ``CONN_MAX_AGE``
    seconds and health-checked before its first use in the task (``CONN_HEALTH_CHECKS``); one that is broken, that a
    task left outside autocommit or past its age is closed, and the next query opens a new one. An eager task
    (``task_always_eager``, tests) runs inside its caller's connection and transaction: left alone."""
    task = kwargs.get("task")
    if task is not None and getattr(task.request, "is_eager", False):
        return
    close_old_connections()


@setup_logging.connect
def _django_logging(loglevel: int | str | None = None, **kwargs: Any) -> None:
    """Workers and beat log exactly as the web does (Django's ``LOGGING``: structlog, JSON in production): with a
    receiver here, Celery does not replace the root logger's handler with its own plain-text one. The process's
    ``--loglevel`` still sets the level."""
    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


# --- request context and metrics in tasks (issue 13) ----------------------------------------------------------------
from portal import process_metrics, task_context  # noqa: E402, F401  # connect the signal handlers
# --- end request context -------------------------------------------------------------------------------------------
