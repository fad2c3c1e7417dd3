"""Booking through HTTP: 64 clients race, with API keys and an ``Idempotency-Key`` each, to book the last free nodes
of a zone through gunicorn; p50 and p95 per answer (201 booked, 409 ``no_capacity``), next to a floor measured in
the same round: the same clients asking the same gunicorn for a trivial authenticated API read (the organization,
``GET /api/v1/organizations/<slug>/``: key lookup, throttle, one query). Median of three rounds and the spread.

Each round books in its own window (30 days, reserved): every node of the zone's B200 pool but ``--free`` is held
by a blocking reservation written straight into the tables, and each client sends ``--bookings`` orders one after
the other (one node, whole-node flavor), so the first ``--free`` orders book and the rest are refused 409. The
overbookings are counted from the allocation table afterwards (they must be 0).

gunicorn runs with the repository's production configuration (deploy/gunicorn.conf.py), DEBUG off, the shared
PostgreSQL and a private redis-server (bench/http_load.py's; ``KONTOR_BENCH_REDIS`` and ``KONTOR_BENCH_DATABASE`` as
there). The clients are threads of this process with one keep-alive connection each; the CPU table of the results
says what they cost next to gunicorn and the whole machine (a few per cent: they are not what the server lacks).
The API-key limit is raised for the run. Creates (and drops) the database ``<DATABASE_URL's>_http_load``; prints
its figures and writes them to bench/results/http_booking.md.

    .venv/bin/python bench/http_booking.py [--rounds 3] [--clients 64] [--free 64] [--bookings 3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import signal
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["KONTOR_API_RATE_PER_KEY"] = "10000000/min"

import http_load  # its environment first (private Redis, the benchmark database)

ROOT = http_load.ROOT
OVERBOOKINGS_SQL = """
SELECT count(*) FROM reservations_allocation a JOIN reservations_allocation b
  ON a.node_id = b.node_id AND a.id < b.id
 AND a.released_at IS NULL AND b.released_at IS NULL
 AND int4range(a.gpu_first, a.gpu_first + a.gpu_count) && int4range(b.gpu_first, b.gpu_first + b.gpu_count)
 AND tstzrange(a.starts_at, coalesce(a.ends_at, 'infinity')) && tstzrange(b.starts_at, coalesce(b.ends_at, 'infinity'))
"""


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class World:
    """What the rounds need: the organization, its key, the race zone, and per round the quotes to book."""

    def __init__(self) -> None:
        import django

        django.setup()
        from django.core.cache import cache
        from django.core.management import call_command

        from catalog.models import AvailabilityZone, CatalogItem, Flavor, GpuModel
        from reservations.models import QuotaLimit
        from tenants.choices import Role
        from tenants.demo import legal_documents_ensure
        from tenants.models import Consent, LegalDocument, Membership, Organization, User
        from tenants.permissions import Scope
        from tenants.services import api_key_create

        call_command("migrate", verbosity=0)
        call_command("seed_catalog", verbosity=0)
        call_command("seed_inventory", verbosity=0)
        cache.clear()
        legal_documents_ensure()
        from tenants.audit import Actor

        self.actor = Actor.system("bench")
        owner = User.objects.create_user("bench@example.de", "bench-password-2026")
        self.organization = Organization.objects.create(
            legal_name="Bench GmbH", slug="bench", country="DE", status="active"
        )
        self.holder = Organization.objects.create(
            legal_name="Holder GmbH", slug="holder", country="DE", status="active"
        )
        for organization in (self.organization, self.holder):
            Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
            for document in LegalDocument.objects.all():
                Consent.objects.create(organization=organization, document=document, user=owner)
            QuotaLimit.objects.create(
                organization=organization, gpu_model=GpuModel.objects.get(slug="b200"), max_gpus=1_000_000
            )
        self.version = CatalogItem.objects.get(slug="pytorch").versions.order_by("-released_on")[0]
        self.metal = Flavor.objects.get(slug="b200-x8-metal")
        self.zone = AvailabilityZone.objects.order_by("slug")[0]
        _key, self.token = api_key_create(
            actor=Actor.for_user(owner),
            organization=self.organization,
            name="bench",
            scopes=[Scope.ORGANIZATION_READ, Scope.RESERVATIONS_READ, Scope.RESERVATIONS_WRITE],
        )

    def prepare_round(self, number: int, free: int, orders: int) -> list[int]:
        """Block all but ``free`` nodes of the zone's B200 pool in this round's window; quotes for ``orders``."""
        from catalog.services import quote_create
        from reservations.choices import NodeState, Pool, ReservationKind, ReservationState
        from reservations.models import Allocation, Node, Reservation

        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=40 + 31 * number)
        end = start + timedelta(days=30)
        nodes = list(
            Node.objects.filter(
                pool__zone=self.zone,
                pool__pool=Pool.RESERVABLE,
                state=NodeState.AVAILABLE,
                pool__node_type__gpu_model__slug="b200",
            ).order_by("hostname")
        )
        filler = quote_create(
            actor=self.actor,
            organization=self.holder,
            version=self.version,
            flavor=self.metal,
            instance_count=1,
            commitment="reserved_1m",
            starts_at=start,
            ends_at=end,
        )
        blocker = Reservation.objects.create(
            organization=self.holder,
            kind=ReservationKind.RESERVED,
            state=ReservationState.SCHEDULED,
            quote=filler,
            item_version=self.version,
            flavor=self.metal,
            instance_count=len(nodes) - free,
            zone=self.zone,
            starts_at=start,
            ends_at=end,
            created_by_label="bench",
        )
        Allocation.objects.bulk_create(
            Allocation(
                organization=self.holder,
                reservation=blocker,
                instance_index=index,
                node=node,
                gpu_model_id=self.metal.node_type.gpu_model_id,
                gpu_first=0,
                gpu_count=8,
                starts_at=start,
                ends_at=end,
            )
            for index, node in enumerate(nodes[free:])
        )
        return [
            quote_create(
                actor=self.actor,
                organization=self.organization,
                version=self.version,
                flavor=self.metal,
                instance_count=1,
                commitment="reserved_1m",
                starts_at=start,
                ends_at=end,
            ).pk
            for _ in range(orders)
        ]


class CpuUse:
    """CPU seconds spent during a phase by the clients (this process), gunicorn (master and workers) and the whole
    machine (PostgreSQL, Redis and anything else is the rest), next to the phase's wall-clock seconds."""

    def __init__(self, server_pid: int) -> None:
        import psutil  # type: ignore[import-untyped]  # locust's dependency, no stubs installed

        self._psutil = psutil
        self.server = psutil.Process(server_pid)
        self.figures: dict[str, float] = {}

    def _snapshot(self) -> tuple[float, float, float, float]:
        psutil = self._psutil
        client = psutil.Process().cpu_times()
        server = 0.0
        for process in [self.server, *self.server.children(recursive=True)]:
            times = process.cpu_times()
            server += times.user + times.system
        machine = psutil.cpu_times()
        busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
        return time.perf_counter(), client.user + client.system, server, busy

    def __enter__(self) -> CpuUse:
        self._before = self._snapshot()
        return self

    def __exit__(self, *exc: object) -> None:
        after = self._snapshot()
        wall, client, server, busy = (b - a for a, b in zip(self._before, after, strict=True))
        self.figures = {"wall": wall, "client": client, "server": server, "machine": busy}

    def summary(self) -> str:
        f = self.figures
        return (
            f"{f['wall']:.1f} s wall, CPU s: clients {f['client']:.1f} ({f['client'] / f['machine']:.0%}), gunicorn "
            f"{f['server']:.1f} ({f['server'] / f['machine']:.0%}), all {f['machine']:.1f} of "
            f"{f['wall'] * (os.cpu_count() or 1):.1f}"
        )


def run_clients(port: int, clients: int, work: list[list[tuple[str, str, bytes | None]]]) -> list[tuple[int, float]]:
    """Each client sends its requests (method, path, body) in turn on its own connection; (status, ms) each."""
    results: list[tuple[int, float]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client(requests: list[tuple[str, str, bytes | None]]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine: list[tuple[int, float]] = []
        barrier.wait()
        for method, path, body in requests:
            headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
            if body is not None:
                headers |= {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
            began = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            answer.read()
            mine.append((answer.status, (time.perf_counter() - began) * 1000))
        connection.close()
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=client, args=(requests,)) for requests in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


TOKEN = ""


def main() -> None:
    global TOKEN
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--free", type=int, default=64, help="free nodes per round: that many orders book")
    parser.add_argument("--bookings", type=int, default=3, help="orders per client and round")
    parser.add_argument("--reads", type=int, default=10, help="floor reads per client and round")
    args = parser.parse_args()

    redis = http_load.start_redis()
    try:
        http_load.recreate_database()
        world = World()
        TOKEN = world.token
        quotes = [world.prepare_round(number, args.free, args.clients * args.bookings) for number in range(args.rounds)]
        # The statistics a production database keeps (autovacuum analyzes a table soon after bulk writes): this
        # database was filled a moment ago, and on a server without autovacuum its tables would stay unanalyzed, which
        # no deployment runs with (the never-analyzed node table made the planner scan the pool's nodes once per
        # allocation in the window: 17 ms instead of 1.6 ms for each capacity read).
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        port = http_load.free_port()
        server = http_load.start_gunicorn(port)
        floor_path = f"/api/v1/organizations/{world.organization.slug}/"
        book_path = f"/api/v1/organizations/{world.organization.slug}/reservations/"
        rounds: list[dict[str, list[float]]] = []
        loads: list[float] = []
        cpu: dict[str, list[dict[str, float]]] = {"floor": [], "booking": []}
        try:
            for number in range(args.rounds):
                print(f"round {number + 1}: floor ...", flush=True)
                loads.append(os.getloadavg()[0])
                with CpuUse(server.pid) as floor_cpu:
                    floor = run_clients(port, args.clients, [[("GET", floor_path, None)] * args.reads] * args.clients)
                print(f"  floor: {floor_cpu.summary()}", flush=True)
                print(f"round {number + 1}: {args.clients} clients booking (count, p50/p95 per answer)", flush=True)
                mine = quotes[number]
                work: list[list[tuple[str, str, bytes | None]]] = [
                    [
                        (
                            "POST",
                            book_path,
                            json.dumps({"quote": mine[client * args.bookings + n], "zone": world.zone.slug}).encode(),
                        )
                        for n in range(args.bookings)
                    ]
                    for client in range(args.clients)
                ]
                with CpuUse(server.pid) as booking_cpu:
                    booking = run_clients(port, args.clients, work)
                print(f"  booking: {booking_cpu.summary()}", flush=True)
                by_status: dict[str, list[float]] = {"floor": [ms for status, ms in floor if status == 200]}
                for status, ms in booking:
                    by_status.setdefault(str(status), []).append(ms)
                by_status["floor errors"] = [ms for status, ms in floor if status != 200]
                rounds.append(by_status)
                cpu["floor"].append(floor_cpu.figures)
                cpu["booking"].append(booking_cpu.figures)
                print(
                    "  "
                    + ", ".join(
                        f"{name}: {len(values)}, {percentile(values, 0.5):.0f}/{percentile(values, 0.95):.0f} ms"
                        for name, values in sorted(by_status.items())
                        if values
                    ),
                    flush=True,
                )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(OVERBOOKINGS_SQL)
            overbookings = cursor.fetchone()[0]
    finally:
        http_load.stop_redis(redis)
    report(args, rounds, loads, overbookings, cpu)


def report(
    args: argparse.Namespace,
    rounds: list[dict[str, list[float]]],
    loads: list[float],
    overbookings: int,
    cpu: dict[str, list[dict[str, float]]],
) -> None:
    def figure(name: str, share: float) -> str:
        values = [percentile(r.get(name, []), share) for r in rounds if r.get(name)]
        if not values:
            return "–"
        return f"{statistics.median(values):.0f} ({min(values):.0f}–{max(values):.0f})"

    def ratio(name: str) -> str:
        values = [
            percentile(r[name], 0.95) / percentile(r["floor"], 0.95) for r in rounds if r.get(name) and r.get("floor")
        ]
        return f"{statistics.median(values):.1f}×" if values else "–"

    rows = [
        ("floor: `GET /api/v1/organizations/<slug>/` (API key)", "floor"),
        ("booking answered 201 (booked)", "201"),
        ("booking answered 409 (`no_capacity`)", "409"),
    ]
    others = sorted({name for r in rounds for name in r} - {"floor", "201", "409", "floor errors"})
    rows += [(f"booking answered {name}", name) for name in others]
    lines = [
        "# Booking through HTTP: 64 racing clients next to a trivial authenticated read",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores (load "
        f"average at the rounds' start, which says what else ran: {', '.join(f'{load:.1f}' for load in loads)}), "
        f"Python {platform.python_version()}. gunicorn from deploy/gunicorn.conf.py, the shared PostgreSQL and a "
        f"private redis-server; {args.clients} client threads in the benchmark's process (one keep-alive connection "
        f"each, API key, `Idempotency-Key` on every order). Per round: {args.reads} floor reads per client, then "
        f"{args.bookings} orders per client for one node each in a window with {args.free} free nodes (a new window "
        f"per round); {args.rounds} rounds, median (min–max) of the rounds' percentiles, latencies in ms measured by "
        "the clients.",
        "",
        "| answer | count per round | p50 ms | p95 ms | p95 vs floor p95 |",
        "|---|---|---|---|---|",
    ]
    for label, name in rows:
        counts = [len(r.get(name, [])) for r in rounds]
        lines.append(
            f"| {label} | {statistics.median(counts):.0f} | {figure(name, 0.5)} | {figure(name, 0.95)} | "
            f"{ratio(name) if name != 'floor' else '1.0×'} |"
        )
    floor_errors = sum(len(r.get("floor errors", [])) for r in rounds)
    lines += [
        "",
        f"Overbookings after the run (allocation table): **{overbookings}**. Floor reads that failed: {floor_errors}.",
        "",
        "CPU seconds per phase, summed over the rounds (psutil: the clients are this process, gunicorn its master "
        "and workers, the machine everything busy; the rest is PostgreSQL, Redis and whatever else ran):",
        "",
        "| phase | wall s | clients | gunicorn | machine (of cores × wall) | gunicorn ms per request |",
        "|---|---|---|---|---|---|",
    ]
    for phase, requests in (("floor", args.clients * args.reads), ("booking", args.clients * args.bookings)):
        total = {name: sum(figures[name] for figures in cpu[phase]) for name in ("wall", "client", "server", "machine")}
        lines.append(
            f"| {phase} | {total['wall']:.1f} | {total['client']:.1f} ({total['client'] / total['machine']:.0%}) | "
            f"{total['server']:.1f} ({total['server'] / total['machine']:.0%}) | {total['machine']:.1f} "
            f"(of {total['wall'] * (os.cpu_count() or 1):.1f}) | "
            f"{total['server'] * 1000 / (requests * max(1, len(cpu[phase]))):.1f} |"
        )
    lines += [
        "",
        "Goal (issue 19): p95 < 300 ms for both 201 and 409. Reproduce with `.venv/bin/python bench/http_booking.py`.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "bench" / "results" / "http_booking.md").write_text(text)


if __name__ == "__main__":
    main()
