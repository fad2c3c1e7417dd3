"""gunicorn for Kontor's web pods: threads (the work is I/O: PostgreSQL, Redis, OpenStack), bounded timeouts,
a graceful shutdown shorter than Kubernetes' grace period, and JSON access lines with the request ID."""

from __future__ import annotations

import os

bind = f"{os.environ.get('KONTOR_HOST', '127.0.0.1')}:{os.environ.get('KONTOR_PORT', '8000')}"
worker_class = "gthread"
# 2 x 8 on a 2-core pod: one process per core for the Python, threads for the waits. Measured against 2x4, 4x4,
# 3x4, 2x16 and 4x2 with bench/http_booking.py (2026-12-02, a shared machine): none was better beyond the noise;
# the racing orders of one organization queue on its row lock, not on the workers.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A request that takes longer is killed; the API's long work is in Celery, so 30 s is generous.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# SIGTERM: stop accepting, finish in-flight requests for this long (the pod's terminationGracePeriodSeconds is 45).
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then (memory fragmentation), with jitter so they do not all restart together. Rarely:
# at 5,000 a worker answering cached reads (~250/s each) restarted every 20 s, each time importing the app again
# (seconds of a core) with its per-process catalog copy and database connections cold.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
# Each worker imports the app itself, so that each opens its own database pool and broker connection.
preload_app = False
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# One JSON object per request; X-Request-ID is the ID RequestIdMiddleware answers with.
access_log_format = (
    '{"event": "http.access", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "query": "%(q)s", '
    '"status": %(s)s, "bytes": %(B)s, "duration_ms": %(M)s, "request_id": "%({x-request-id}o)s", '
    '"user_agent": "%(a)s", "time": "%(t)s"}'
)


# Prometheus multiprocess mode (portal/process_metrics.py): each worker writes its figures to files in
# PROMETHEUS_MULTIPROC_DIR; files of a previous start are removed, a dead worker's live gauges are dropped.
def on_starting(server: object) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def child_exit(server: object, worker: object) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined,no-untyped-call]
