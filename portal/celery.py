"""The Celery app. Configuration comes from Django settings (``CELERY_*``); tasks are discovered in every app.

House rules for tasks (docs/architecture.md): arguments are IDs, enqueue with ``transaction.on_commit``, tasks are
``acks_late`` and written to be safe when delivered twice or run concurrently with themselves.
"""

from __future__ import annotations

import logging.config
import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging
from django.conf import settings

from portal import kombu_fixes

# Before any connection exists: a broker restart must not stop the worker (see portal/kombu_fixes.py).
kombu_fixes.apply()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("kontor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
