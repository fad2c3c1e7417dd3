"""Webhook delivery through one Celery worker process: events per second (a burst) and the p95 from commit to
receipt at a steady 50 events per second, next to a no-op task's rate on the same broker in the same run.

Each event is a domain event published in its own transaction; the webhooks app writes its outbox row in that
transaction and the worker signs and POSTs it to a receiver on loopback (an http.server thread in this process).
Needs the PostgreSQL and Redis that `make test` uses. Creates (and drops) its own database
``kontor_bench_webhooks`` and uses Redis databases 14 and 15. Prints its figures and writes them to
bench/results/webhook_delivery.md.

    .venv/bin/python bench/webhook_delivery.py [--burst 1000] [--paced 600] [--rate 50]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/kontor_bench_webhooks",
    # Redis databases 14 and 15 unless the caller names others (machines shared by several runs).
    "CELERY_BROKER_URL": os.environ.get("BENCH_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15"),
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
    "KONTOR_LOG_LEVEL": "WARNING",
    "DJANGO_DEBUG": "0",
    "EMAIL_URL": "dummymail://",
    "KONTOR_WEBHOOKS_ALLOW_LOOPBACK": "1",
}
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))

PRODUCERS = 4
RECEIVED: dict[int, float] = {}
LOCK = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        arrived = time.time()
        index = json.loads(body)["data"]["index"]
        with LOCK:
            RECEIVED.setdefault(index, arrived)
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def recreate_database() -> None:
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS kontor_bench_webhooks WITH (FORCE)")
        conn.execute("CREATE DATABASE kontor_bench_webhooks")


def start_worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--queues=default",  # webhooks.deliver and the no-op both run on the default queue
            "--loglevel=WARNING",
            "--hostname=benchwebhooks@%h",
        ],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)


def wait_for(predicate: Callable[[], bool], timeout: float, poll: float = 0.02) -> float:
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the benchmark did not finish in time")
        time.sleep(poll)
    return time.perf_counter() - start


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--paced", type=int, default=600)
    parser.add_argument("--rate", type=float, default=50.0)
    args = parser.parse_args()

    recreate_database()
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection, transaction

    from core.events import publish
    from portal.celery import app
    from portal.tasks import BENCH_COUNTER_KEY, bench_ping
    from tenants.audit import Actor
    from tenants.models import Organization
    from webhooks.models import WebhookDelivery
    from webhooks.services import endpoint_create

    call_command("migrate", verbosity=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    organization = Organization.objects.create(legal_name="Bench GmbH", slug="bench", country="DE", status="active")
    endpoint_create(
        actor=Actor.system("bench"),
        organization=organization,
        url=f"http://127.0.0.1:{server.server_address[1]}/hooks",
        event_types=["budget.threshold_reached"],
    )
    committed: dict[int, float] = {}

    def announce(index: int) -> None:
        with transaction.atomic():
            publish("budget.threshold_reached", organization_id=organization.pk, data={"index": index})
        committed[index] = time.time()

    def produce(indexes: list[int], rate: float | None) -> None:
        """Commit one event per index from PRODUCERS threads (one database connection each), at ``rate`` events
        per second when given (event k is due k/rate seconds after the start), else as fast as they can."""
        start = time.perf_counter()
        queue = list(enumerate(indexes))
        lock = threading.Lock()

        def run() -> None:
            app.set_current()  # Celery's current app is per thread: enqueue_on_commit looks tasks up in it
            try:
                while True:
                    with lock:
                        if not queue:
                            return
                        offset, index = queue.pop(0)
                    if rate:
                        pause = start + offset / rate - time.perf_counter()
                        if pause > 0:
                            time.sleep(pause)
                    announce(index)
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(PRODUCERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    # Register every task before the producer threads send any (lazy discovery is not meant for threads).
    app.loader.import_default_modules()
    app.autodiscover_tasks(force=True)
    assert "webhooks.deliver" in app.tasks
    with app.connection_for_write() as broker:
        broker.default_channel.queue_purge("default")  # type: ignore[attr-defined]
    worker: subprocess.Popen[bytes] | None = None
    try:
        # No-op rate: the messages wait in the broker, then one worker drains them (first to last increment).
        noop = args.burst
        cache.set(BENCH_COUNTER_KEY, 0, timeout=None)
        for _ in range(noop):
            bench_ping.delay()
        worker = start_worker()
        wait_for(lambda: (cache.get(BENCH_COUNTER_KEY) or 0) > 0, timeout=120, poll=0.005)
        began = time.perf_counter()
        wait_for(lambda: cache.get(BENCH_COUNTER_KEY) == noop, timeout=600, poll=0.005)
        noop_seconds = time.perf_counter() - began
        stop_worker(worker)

        # Delivery rate: the burst's outbox rows and messages are committed while no worker runs, then one worker
        # drains them (first to last receipt): the worker's throughput, not the producer's.
        print(f"burst: {args.burst} events through one worker ...", flush=True)
        produce(list(range(args.burst)), rate=None)
        worker = start_worker()
        wait_for(lambda: len(RECEIVED) == args.burst, timeout=1200)
        burst_seconds = max(RECEIVED.values()) - min(RECEIVED.values())

        print(f"paced: {args.paced} events at {args.rate:.0f}/s ...", flush=True)
        first = args.burst
        produce(list(range(first, first + args.paced)), rate=args.rate)
        wait_for(lambda: len(RECEIVED) == args.burst + args.paced, timeout=1200)
        load = os.getloadavg()
        # The worker writes a batch's results after its POSTs: stop it only once they are committed (SIGTERM to
        # the process group ends the pool child at once, and its open transaction would roll back).
        wait_for(
            lambda: WebhookDelivery.objects.unscoped().filter(status="delivered").count() == args.burst + args.paced,
            timeout=60,
        )
    finally:
        if worker is not None:
            stop_worker(worker)
        server.shutdown()
    paced = range(first, first + args.paced)
    latencies = [RECEIVED[i] - committed[i] for i in paced]
    commit_span = max(committed[i] for i in paced) - min(committed[i] for i in paced)
    achieved_rate = (args.paced - 1) / commit_span
    delivered = WebhookDelivery.objects.unscoped().filter(status="delivered").count()

    noop_rate = (noop - 1) / noop_seconds
    burst_rate = (args.burst - 1) / burst_seconds
    goal = "met" if percentile(latencies, 0.95) < 2.0 and achieved_rate >= args.rate * 0.95 else "NOT met"
    lines = [
        "# Webhook delivery",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({os.cpu_count()} cores, shared with "
        f"other work: load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end), PostgreSQL and Redis "
        "on localhost, one Celery worker process (prefork, concurrency 1), a receiver on loopback answering 204. "
        f"Each event is its own transaction (outbox row + audit-free publish), committed by {PRODUCERS} producer "
        "threads. `python bench/webhook_delivery.py`",
        "",
        "| workload (one worker draining a queue filled beforehand) | count | seconds | per second |",
        "|---|---:|---:|---:|",
        f"| no-op task (cache increment) | {noop} | {noop_seconds:.2f} | {noop_rate:.1f} |",
        f"| webhook delivered (claim → sign → POST → 204 → attempt rows) | {args.burst} | {burst_seconds:.2f} | "
        f"{burst_rate:.1f} |",
        "",
        f"Steady {args.rate:.0f} events/s asked, {achieved_rate:.1f} events/s committed, {args.paced} events: "
        f"commit → receipt p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
        f"(goal: p95 under 2 s at 50 events/s: **{goal}**).",
        f"Deliveries marked delivered: {delivered} of {args.burst + args.paced}; each event received once: "
        f"{'yes' if len(RECEIVED) == args.burst + args.paced else 'NO'}.",
        f"Delivery runs at {burst_rate / noop_rate:.1%} of the no-op rate. Under a backlog a task claims up to 20 due "
        "rows in one query and writes their attempts and results in one insert and one update; the other rows' own "
        "messages then find nothing to do (one query each). Connections to the receiver are kept alive per address.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    (ROOT / "bench" / "results" / "webhook_delivery.md").write_text(report)


if __name__ == "__main__":
    main()
