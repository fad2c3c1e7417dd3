"""Liveness and readiness probes for the load balancer and the orchestrator."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from portal.celery import app as celery_app
from portal.tasks import BEAT_HEARTBEAT_KEY
from tenants.web.access import public_page


@public_page
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests. Touches nothing else."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means not ready; say which
        return f"{type(exc).__name__}: {exc}"
    return None


def _check_broker() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _check_cache() -> str | None:
    try:
        ping = getattr(cache, "ping", None)  # the fail-open Redis cache answers reads even when Redis is down
        if ping is not None:
            ping()
        else:
            cache.get(BEAT_HEARTBEAT_KEY)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@public_page
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when this process can serve: the database answers. 503 with ``Retry-After`` otherwise.

    The broker and the cache are reported, not required: without them bookings still succeed (tasks are re-driven
    from the database by the sweepers once the broker is back), so an orchestrator must not pull every web pod
    because Redis restarts.
    """
    checks = {"database": _check_database(), "broker": _check_broker(), "cache": _check_cache()}
    ready = checks["database"] is None
    degraded = [name for name, error in checks.items() if error is not None and name != "database"]
    body = {
        "status": ("degraded" if degraded else "ok") if ready else "unavailable",
        "checks": {name: ("ok" if error is None else error) for name, error in checks.items()},
        "beat_last_heartbeat": cache.get(BEAT_HEARTBEAT_KEY) if checks["cache"] is None else None,
    }
    response = JsonResponse(body, status=200 if ready else 503)
    if not ready:
        response["Retry-After"] = "5"
    return response
