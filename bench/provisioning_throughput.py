"""Provisioning throughput: reservations provisioned through two Celery worker processes with the simulator at
zero boot delay, next to the throughput of a no-op Celery task on the same broker, measured in the same run.

Needs the PostgreSQL and Redis that `make test` uses. Creates (and drops) its own database (``kontor_bench``, or
``KONTOR_BENCH_DATABASE``) and uses Redis databases 12 and 13 (on ``KONTOR_BENCH_REDIS``, default the local server).
Prints its figures (``--output`` writes them as Markdown, as in bench/results/provisioning_throughput.md).

Each run measures its own floor first: as many no-op tasks as reservations, through the same workers. The
reservations are then moved to provisioning as beat's ``dispatch_due`` does (up to 200 per transaction) and the
clock stops when the last one is active.

The two measured workers consume the ``provisioning`` and ``default`` queues (the no-op task's), as production's
provisioning workers do; a third worker process consumes the other queues (``email``, ``documents``, ``metering``), as
production's e-mail worker does, so each reservation's 'active' e-mail (a notice task, then one send per recipient)
runs beside the measurement on the same two cores, not on the measured workers. ``--shared-email`` lets the two
workers consume every queue instead (the benchmark before 2026-12-02 07:30).

Wall-clock rates on a shared 2-core machine move with whatever else runs, and the floor and the provisioning of a
run are measured at different moments. Each phase therefore also counts the CPU it cost, which other people's load
does not change much: the worker processes (every process of their sessions), this process (the dispatching
transactions and the polling), the PostgreSQL backends of the benchmark's database and, when ``KONTOR_BENCH_REDIS``
names a private server, that Redis server, all from ``/proc``. The CPU per no-op task against the CPU per
reservation is the same ratio measured in CPU time. The provisioning phase is counted twice: until the last
reservation is active (the clock), and until its e-mails are written and sent too (the queues drained), which the
e-mail worker does on the same two cores, partly after the clock stopped.

    .venv/bin/python bench/provisioning_throughput.py [--reservations 500] [--runs 3] [--shared-email] [--output FILE]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: The Redis server the benchmark uses (its own database numbers on it); another one keeps it off a busy server.
BENCH_REDIS = os.environ.get("KONTOR_BENCH_REDIS", "redis://127.0.0.1:6379")
DATABASE = os.environ.get("KONTOR_BENCH_DATABASE", "kontor_bench")
ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    "CELERY_BROKER_URL": f"{BENCH_REDIS}/13",
    "REDIS_URL": f"{BENCH_REDIS}/12",
    "KONTOR_SIMULATOR_BOOT_SECONDS": "0",
    "KONTOR_LOG_LEVEL": "WARNING",
    "DJANGO_DEBUG": "0",
    "EMAIL_URL": "dummymail://",
    # The workers keep their database connections through the run (production's 60 s would replace them, and the
    # CPU of a backend that ends between two readings of the CPU table is lost): a reconnect a minute costs a worker
    # about 10 ms, nothing next to what is measured.
    "DATABASE_CONN_MAX_AGE": "3600",
}
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))


def recreate_database() -> None:
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")


def start_workers(queues: list[str]) -> list[subprocess.Popen[bytes]]:
    """One worker process (prefork, concurrency 1) per entry of ``queues`` (comma-separated queue names)."""
    return [
        subprocess.Popen(
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
                f"--queues={consumed}",
                "--without-heartbeat",
                "--loglevel=WARNING",
                f"--hostname=bench{index}@%h",
            ],
            cwd=ROOT,
            env={**os.environ},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for index, consumed in enumerate(queues)
    ]


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=30)


_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (field 3 onwards), or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def _cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _TICKS if fields else 0.0  # utime + stime


class CpuMeter:
    """The CPU seconds used so far by the benchmark's own processes, by part: the workers (every process of their
    sessions), this process, the PostgreSQL backends connected to the benchmark's database, and the benchmark's
    Redis server (only a private one: ``KONTOR_BENCH_REDIS``). A process that ends between two readings loses what
    it used; the workers and their database connections live through the run."""

    def __init__(self, workers: list[subprocess.Popen[bytes]], redis_pid: int | None) -> None:
        self.sessions = {worker.pid for worker in workers}
        self.redis_pid = redis_pid

    def _worker_pids(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                fields = _stat(int(entry.name))
                if fields and int(fields[3]) in self.sessions:  # the session ID (field 6)
                    pids.append(int(entry.name))
        return pids

    def read(self) -> dict[str, dict[int, float]]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            backends = [pid for (pid,) in cursor.fetchall()]
        return {
            "workers": {pid: _cpu_seconds(pid) for pid in self._worker_pids()},
            "benchmark": {os.getpid(): time.process_time()},
            "postgresql": {pid: _cpu_seconds(pid) for pid in backends},
            "redis": {self.redis_pid: _cpu_seconds(self.redis_pid)} if self.redis_pid else {},
        }

    @staticmethod
    def used(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
        """CPU seconds per part between two readings (a process that appeared in between counts from zero)."""
        return {
            part: sum(seconds - before[part].get(pid, 0.0) for pid, seconds in after[part].items()) for part in after
        }


def _private_redis_pid() -> int | None:
    if "KONTOR_BENCH_REDIS" not in os.environ:
        return None  # the shared server: its CPU is everybody's
    import redis

    pid = redis.Redis.from_url(BENCH_REDIS).info("server").get("process_id")
    return int(pid) if pid and Path(f"/proc/{pid}").exists() else None


def wait_for(predicate: Callable[[], bool], timeout: float, poll: float = 0.05) -> float:
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the benchmark did not finish in time")
        time.sleep(poll)
    return time.perf_counter() - start


#: Every queue (purged before the runs, drained before each floor).
QUEUES = ("default", "provisioning", "documents", "email", "metering")
#: What the two measured workers consume: the no-op task's queue and provisioning's, as production's provisioning
#: workers; the others go to a worker of their own, as production's e-mail worker (``--shared-email``: all to both).
MEASURED_QUEUES = ("default", "provisioning")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reservations", type=int, default=500, help="reservations per run")
    parser.add_argument("--runs", type=int, default=3, help="runs, each with its own no-op floor")
    parser.add_argument(
        "--shared-email",
        action="store_true",
        help="the two measured workers consume every queue (the e-mail tasks too); no third worker",
    )
    parser.add_argument("--output", type=Path, help="write the Markdown summary here")
    args = parser.parse_args()
    count = args.reservations

    recreate_database()
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import transaction

    from catalog.models import CatalogItem, Flavor, GpuModel
    from catalog.services import quote_create
    from portal.celery import app
    from portal.tasks import BENCH_COUNTER_KEY, bench_ping
    from provisioning.models import SimulatedServer
    from reservations.choices import ReservationState
    from reservations.models import QuotaLimit, Reservation, ReservationNotice
    from reservations.services import reservation_create, reservations_transition_locked
    from tenants.audit import Actor
    from tenants.choices import Role
    from tenants.demo import legal_documents_ensure
    from tenants.models import Consent, LegalDocument, Membership, Organization, User

    call_command("migrate", verbosity=0)
    call_command("seed_catalog", verbosity=0)
    call_command("seed_inventory", verbosity=0)
    legal_documents_ensure()
    actor = Actor.system("bench")
    owner = User.objects.create_user("bench@example.de", "bench-password-2026")
    organization = Organization.objects.create(legal_name="Bench GmbH", slug="bench", country="DE", status="active")
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    for document in LegalDocument.objects.all():
        Consent.objects.create(organization=organization, document=document, user=owner)
    QuotaLimit.objects.create(
        organization=organization, gpu_model=GpuModel.objects.get(slug="b200"), max_gpus=count * args.runs * 2
    )
    version = CatalogItem.objects.get(slug="pytorch").versions.order_by("-released_on")[0]
    flavor = Flavor.objects.get(slug="b200-x1")
    # Far enough ahead that the last booking still starts in the future on a busy machine; the benchmark moves them
    # to provisioning itself (no beat runs).
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)

    print(f"booking {count * args.runs} on-demand reservations ...", flush=True)
    reservations = []
    for _ in range(count * args.runs):
        quote = quote_create(
            actor=actor,
            organization=organization,
            version=version,
            flavor=flavor,
            instance_count=1,
            commitment="on_demand",
            starts_at=start + timedelta(seconds=30),
            ends_at=start + timedelta(hours=1, seconds=30),
        )
        reservations.append(reservation_create(actor=actor, organization=organization, quote=quote).reservation)

    with app.connection_for_write() as broker:
        for queue in QUEUES:
            broker.default_channel.queue_purge(queue)  # type: ignore[attr-defined]
    # The purge lost the bookings' e-mail messages: their notices are not part of the measurement (in production the
    # sweeper re-drives them; no beat runs here), and the drain flags that say a drain is queued (``core.tasks``) go
    # with the messages, or the first writers of the measurement would wait for their TTL.
    ReservationNotice.objects.unscoped().filter(written_at__isnull=True).update(written_at=datetime.now(UTC))
    cache.delete_many(["kontor:drain:reservations.notices", "kontor:drain:tenants.emails"])
    if args.shared_email:
        worker_queues = [",".join(QUEUES)] * 2
    else:
        others = [queue for queue in QUEUES if queue not in MEASURED_QUEUES]
        worker_queues = [",".join(MEASURED_QUEUES)] * 2 + [",".join(others)]
    workers = start_workers(worker_queues)
    runs: list[tuple[float, float]] = []  # (no-op seconds, provisioning seconds) per run
    # CPU seconds per part: of the no-op phase, of provisioning until the last is active, until the queues drained.
    cpu: list[tuple[dict[str, float], dict[str, float], dict[str, float]]] = []
    drain_seconds: list[float] = []
    dispatch_cpu: list[float] = []  # of this process's CPU until active: the dispatching transactions (the rest polls)
    meter = CpuMeter(workers, _private_redis_pid())
    try:
        # Every worker answers before any clock starts (a worker takes many seconds to start on a busy machine).
        wait_for(lambda: len(app.control.ping(timeout=0.5) or []) == len(workers), timeout=300, poll=0.5)

        def drained() -> bool:
            """No message waiting in any queue and no task running: what a run leaves behind after its clock
            stopped (the activation e-mails and their sends) is not counted against the next run's floor."""
            with app.connection_for_write() as broker:
                channel: Any = broker.default_channel
                if any(channel._size(queue) for queue in QUEUES):  # Redis: the list's length, every priority
                    return False
            active = app.control.inspect(timeout=1).active() or {}
            return len(active) == len(workers) and not any(active.values())

        for run in range(args.runs):
            batch = reservations[run * count : (run + 1) * count]
            wait_for(drained, timeout=600, poll=0.5)
            # Baseline: the same number of no-op tasks through the same broker and workers, idle when it starts.
            cache.set(BENCH_COUNTER_KEY, 0, timeout=None)
            noop_before = meter.read()
            began = time.perf_counter()
            for _ in range(count):
                bench_ping.delay()
            wait_for(lambda: cache.get(BENCH_COUNTER_KEY) == count, timeout=600)
            noop_seconds = time.perf_counter() - began
            noop_cpu = CpuMeter.used(noop_before, meter.read())

            print(f"run {run + 1}: provisioning {count} reservations through 2 worker processes ...", flush=True)
            ids = [reservation.pk for reservation in batch]
            provision_before = meter.read()
            began = time.perf_counter()
            # As beat's dispatch_due claims them: up to 200 per transaction (locked with their organizations, moved
            # together), whose commit sends their tasks.
            dispatch_began = time.process_time()
            for first in range(0, count, 200):
                with transaction.atomic():
                    locked = list(
                        Reservation.objects.unscoped()
                        .select_related("organization")
                        .select_for_update(of=("self",))
                        .filter(pk__in=ids[first : first + 200])
                        .order_by("starts_at")
                    )
                    reservations_transition_locked(actor=actor, locked=locked, to_state=ReservationState.PROVISIONING)
            dispatch_cpu.append(time.process_time() - dispatch_began)
            wait_for(
                lambda ids=ids: (
                    Reservation.objects.unscoped()  # type: ignore[misc]
                    .filter(pk__in=ids, state=ReservationState.ACTIVE)
                    .count()
                    == count
                ),
                timeout=1800,
                poll=0.25,
            )
            provision_seconds = time.perf_counter() - began
            active_cpu = CpuMeter.used(provision_before, meter.read())
            wait_for(drained, timeout=600, poll=0.25)
            drain_seconds.append(time.perf_counter() - began)
            drained_cpu = CpuMeter.used(provision_before, meter.read())
            runs.append((noop_seconds, provision_seconds))
            cpu.append((noop_cpu, active_cpu, drained_cpu))
            ratio = noop_seconds / provision_seconds
            print(
                f"run {run + 1}: no-op {count / noop_seconds:.1f}/s, provisioned {count / provision_seconds:.1f}/s, "
                f"{ratio:.1%} of the no-op rate; CPU per no-op task {1000 * sum(noop_cpu.values()) / count:.2f} ms, "
                f"per reservation {1000 * sum(active_cpu.values()) / count:.1f} ms until active, "
                f"{1000 * sum(drained_cpu.values()) / count:.1f} ms with its e-mails; of this process's "
                f"{1000 * active_cpu['benchmark'] / count:.2f} ms the dispatch {1000 * dispatch_cpu[-1] / count:.2f}",
                flush=True,
            )
    finally:
        stop(workers)
    servers = SimulatedServer.objects.filter(deleted_at__isnull=True).count()
    load = os.getloadavg()

    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):.1f} (min {min(values):.1f}, max {max(values):.1f})"

    def per_operation(seconds: dict[str, float]) -> float:
        return 1000 * sum(seconds.values()) / count

    cpu_lines = [
        "",
        "CPU per operation (ms; workers, this process, the benchmark database's PostgreSQL backends"
        + (", the private Redis server" if meter.redis_pid else "")
        + "): the same ratio in CPU time, which other load on the machine changes much less than the rates.",
        "",
        "| run | per no-op task | per reservation until active | of which workers / benchmark / PostgreSQL / Redis "
        "| with its e-mails (queues drained, after s) | ratio until active | ratio with e-mails |",
        "|---:|---:|---:|---|---:|---:|---:|",
        *(
            f"| {index} | {per_operation(noop):.2f} | {per_operation(active):.1f} | "
            + " / ".join(
                f"{1000 * active.get(part, 0.0) / count:.1f}"
                for part in ("workers", "benchmark", "postgresql", "redis")
            )
            + f" | {per_operation(drained):.1f} ({drained_after:.1f}) | "
            f"{100 * per_operation(noop) / per_operation(active):.1f} % | "
            f"{100 * per_operation(noop) / per_operation(drained):.1f} % |"
            for index, ((noop, active, drained), drained_after) in enumerate(
                zip(cpu, drain_seconds, strict=True), start=1
            )
        ),
    ]
    cpu_ratios = [100 * per_operation(noop) / per_operation(active) for noop, active, _ in cpu]
    cpu_ratios_mailed = [100 * per_operation(noop) / per_operation(drained) for noop, _, drained in cpu]
    cpu_lines.append(
        f"| median | {statistics.median(per_operation(noop) for noop, _, _ in cpu):.2f} | "
        f"{statistics.median(per_operation(active) for _, active, _ in cpu):.1f} | | "
        f"{statistics.median(per_operation(drained) for _, _, drained in cpu):.1f} | "
        f"{statistics.median(cpu_ratios):.1f} % | {statistics.median(cpu_ratios_mailed):.1f} % |"
    )
    cpu_lines += [
        "",
        "Of this process's CPU until active (ms per reservation), the dispatching transactions; the rest is the "
        "polling and the CPU meter's readings: "
        + ", ".join(
            f"run {index}: {1000 * active.get('benchmark', 0.0) / count:.2f}, of which dispatch "
            f"{1000 * dispatched / count:.2f}"
            for index, ((_noop, active, _drained), dispatched) in enumerate(zip(cpu, dispatch_cpu, strict=True), 1)
        )
        + ".",
    ]
    noop_rates = [count / noop for noop, _ in runs]
    provision_rates = [count / provisioned for _, provisioned in runs]
    ratios = [100 * noop / provisioned for noop, provisioned in runs]
    lines = [
        "# Provisioning throughput",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({os.cpu_count()} cores, load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end), PostgreSQL and Redis on localhost, two Celery "
        "worker processes (prefork, concurrency 1) consuming "
        + (
            "every queue (the e-mail tasks too), "
            if args.shared_email
            else f"{' and '.join(MEASURED_QUEUES)} (a third consumes {', '.join(others)}), "
        )
        + "simulator with zero boot delay. "
        f"`python bench/provisioning_throughput.py --reservations {count} --runs {args.runs}"
        f"{' --shared-email' if args.shared_email else ''}`",
        "",
        "| run | no-op tasks per second | reservations provisioned per second (scheduled → active) | ratio |",
        "|---:|---:|---:|---:|",
        *(
            f"| {index} | {noop:.1f} | {provisioned:.1f} | {ratio:.1f} % |"
            for index, (noop, provisioned, ratio) in enumerate(
                zip(noop_rates, provision_rates, ratios, strict=True), start=1
            )
        ),
        f"| median (min, max) | {spread(noop_rates)} | {spread(provision_rates)} | {spread(ratios)} % |",
        "",
        f"Servers created: {servers} (one per reservation: {'yes' if servers == count * args.runs else 'NO'}).",
        *cpu_lines,
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.output:
        args.output.write_text(report)


if __name__ == "__main__":
    main()
