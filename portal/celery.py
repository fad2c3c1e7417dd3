"""The Celery app. Configuration comes from Django settings (``CELERY_*``); tasks are discovered in every app.

House rules for tasks (docs/architecture.md): arguments are IDs, enqueue with ``transaction.on_commit``, tasks are
``acks_late`` and written to be safe when delivered twice or run concurrently with themselves.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("kontor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# --- request context and metrics in tasks (issue 13) ----------------------------------------------------------------
from portal import task_context  # noqa: E402, F401  # connects the signal handlers
# --- end request context -------------------------------------------------------------------------------------------
