"""What each process observes: HTTP requests, database queries and Celery tasks, as Prometheus counters and histograms.

Multi-process safe through prometheus_client's multiprocess mode, not through a shared store: with
``PROMETHEUS_MULTIPROC_DIR`` set (before the process imports prometheus_client), every gunicorn worker and every
Celery pool process writes its values to memory-mapped files in that directory, and a scrape adds them up
(``MultiProcessCollector``). Chosen over counting in Redis because it costs no network round trip per request or
task, loses nothing when Redis restarts, and is how gunicorn and Celery prefork pools are meant to be measured.
The directory is per pod (an ``emptyDir``): a web pod's ``/metrics`` shows its own gunicorn workers, a worker pod
serves its pool's figures on ``KONTOR_WORKER_METRICS_PORT``; Prometheus scrapes every pod and sums. On one machine
(``make prod-smoke``) all processes share one directory and ``/metrics`` shows them all. Without the variable
(``runserver``, tests) the values live in this process only.

The business signals (bookings, invoices, queue depth...) are not here: they are computed at scrape time from
PostgreSQL and the broker (``portal.metrics``), identical on every pod.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from celery import Task
from celery.signals import task_postrun, task_prerun, worker_ready
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess, start_http_server
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Before the first metric below: each one opens its file there (a worker pod's /tmp starts empty).
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
PROCESS_REGISTRY = CollectorRegistry(auto_describe=True)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 1800.0)

HTTP_REQUESTS = Counter(
    "kontor_http_requests",
    "HTTP requests answered, by route name (namespace:name of the URL pattern), method and status.",
    ["route", "method", "status"],
    registry=PROCESS_REGISTRY,
)
HTTP_DURATION = Histogram(
    "kontor_http_request_duration_seconds",
    "Seconds from the request reaching Django to its answer, by route name and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
    registry=PROCESS_REGISTRY,
)
DB_QUERIES = Counter(
    "kontor_db_queries",
    "Database queries run while answering HTTP requests, by route name.",
    ["route"],
    registry=PROCESS_REGISTRY,
)
DB_DURATION = Histogram(
    "kontor_db_query_duration_seconds",
    "Seconds per database query while answering HTTP requests.",
    buckets=LATENCY_BUCKETS,
    registry=PROCESS_REGISTRY,
)
TASKS = Counter(
    "kontor_celery_tasks",
    "Celery tasks run, by task name and outcome (success, failure, retry, ...).",
    ["task", "outcome"],
    registry=PROCESS_REGISTRY,
)
TASK_DURATION = Histogram(
    "kontor_celery_task_duration_seconds",
    "Seconds a Celery task ran, by task name.",
    ["task"],
    buckets=TASK_BUCKETS,
    registry=PROCESS_REGISTRY,
)


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class _ThisProcess(Collector):
    def collect(self) -> Iterable[Metric]:
        yield from PROCESS_REGISTRY.collect()


def register_process_metrics(registry: CollectorRegistry) -> None:
    """Add what the processes observed to a scrape: every process of the directory, or this one."""
    if multiprocess_mode():
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())


def _route(request: HttpRequest) -> str:
    match = request.resolver_match
    return match.view_name if match is not None else "unmatched"


class MetricsMiddleware:
    """Counts and times every request and the database queries it runs; the first middleware, so it sees all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        queries = _QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(queries):
            response = self.get_response(request)
        route = _route(request)
        HTTP_DURATION.labels(route, request.method or "").observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(route, request.method or "", str(response.status_code)).inc()
        if queries.count:
            DB_QUERIES.labels(route).inc(queries.count)
        return response


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            DB_DURATION.observe(time.perf_counter() - started)


# --- Celery ----------------------------------------------------------------------------------------------------
_started: dict[str, float] = {}


@task_prerun.connect
def _task_started(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


@task_postrun.connect
def _task_finished(
    task_id: str | None = None, task: Task[Any, Any] | None = None, state: str | None = None, **kwargs: Any
) -> None:
    began = _started.pop(task_id or "", None)
    if task is None:
        return
    TASKS.labels(task.name, (state or "unknown").lower()).inc()
    if began is not None:
        TASK_DURATION.labels(task.name).observe(time.perf_counter() - began)


@worker_ready.connect
def _serve_worker_metrics(**kwargs: Any) -> None:
    """A worker pod's own scrape endpoint (its pool's tasks), when ``KONTOR_WORKER_METRICS_PORT`` is set."""
    port = settings.KONTOR_WORKER_METRICS_PORT
    if not port:
        return
    registry = CollectorRegistry(auto_describe=False)
    register_process_metrics(registry)
    start_http_server(port, addr=settings.KONTOR_WORKER_METRICS_ADDRESS, registry=registry)
