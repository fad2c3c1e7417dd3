"""The fault suite: each test breaks a real part (the broker, a worker process, a render) and shows the platform
recovers by itself. Marker ``faults``; runs in ``make test``; bounded to a few minutes in all."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.db import connection

from catalog.models import AvailabilityZone, NodeType
from portal.celery import app
from provisioning.drivers.simulator import simulator_reset_failures
from reservations.choices import Pool
from reservations.models import CapacityPool, Node
from tests.faults.harness import PrivateRedis, Worker, producing_to, worker_env
from tests.reservations.conftest import catalog, customer, hour, make_quote, small_inventory

__all__ = ["catalog", "customer", "hour", "make_quote", "small_inventory"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/tests/faults/" in str(item.path):
            item.add_marker(pytest.mark.faults)


@pytest.fixture
def broker() -> Iterator[PrivateRedis]:
    """A private redis-server as the broker of this process and of the workers the test starts."""
    simulator_reset_failures()
    server = PrivateRedis()
    server.start()
    try:
        with producing_to(app, server):
            yield server
    finally:
        server.stop()


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def start_worker(broker: PrivateRedis) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(name: str, concurrency: int = 2, **env: str) -> Worker:
        worker = Worker(name, worker_env(database_url=database_url(), broker=broker, **env), concurrency=concurrency)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def fault_inventory(catalog) -> None:
    """Six whole DGX B200 nodes for reserved windows in one zone: room for 24 reservations of two GPUs."""
    zone = AvailabilityZone.objects.get(slug="de-muc-1a")
    pool = CapacityPool.objects.create(zone=zone, node_type=NodeType.objects.get(slug="dgx-b200"), pool=Pool.RESERVABLE)
    for number in range(6):
        Node.objects.create(hostname=f"fault-{number}", pool=pool)
