"""Reliability with real Celery worker processes on the real Redis broker: a worker killed in the middle of
provisioning loses nothing and duplicates nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from provisioning import services
from provisioning.models import Instance, InstanceState, SimulatedServer
from provisioning.tasks import provision_instance_task
from reservations.choices import ReservationState
from reservations.models import Reservation
from reservations.services import reservation_create, reservation_transition
from tenants.audit import Actor

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


# A queue of this test's own, so that no other test session sharing the Redis server can take its messages.
QUEUE = f"reliability-{uuid.uuid4().hex[:8]}"


def start_worker(name: str) -> subprocess.Popen[bytes]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "KONTOR_SIMULATOR_BOOT_SECONDS": "3",
        "KONTOR_BROKER_VISIBILITY_TIMEOUT": "4",
        "KONTOR_BROKER_RESTORE_INTERVAL": "1",
        "KONTOR_BROKER_RESTORE_THROTTLE": "1",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=prefork",
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "--queues=default,provisioning,documents,email,metering",
            "--without-heartbeat",
            f"--hostname={name}@%h",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill(worker: subprocess.Popen[bytes]) -> None:
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_worker_killed_mid_provisioning_still_ends_active_with_one_server_each(small_inventory, customer, make_quote):
    reservation = reservation_create(
        actor=Actor.system("t"), organization=customer, quote=make_quote(flavor="b200-x4", count=2)
    ).reservation
    reservation_transition(actor=Actor.system("t"), reservation=reservation, to_state=ReservationState.PROVISIONING)
    instance_ids = services.reservation_start_provisioning(reservation_id=reservation.pk)
    first = start_worker("first")
    try:
        for instance_id in instance_ids:
            provision_instance_task.apply_async(args=[instance_id], queue=QUEUE)
        # The servers exist and are still booting: the tasks are between polls, held by the worker.
        assert wait_until(lambda: SimulatedServer.objects.count() == 2, timeout=90)
    finally:
        kill(first)
    assert Reservation.objects.unscoped().get(pk=reservation.pk).state == ReservationState.PROVISIONING

    second = start_worker("second")
    try:
        became_active = wait_until(
            lambda: Reservation.objects.unscoped().get(pk=reservation.pk).state == ReservationState.ACTIVE, timeout=150
        )
    finally:
        kill(second)

    assert became_active
    assert SimulatedServer.objects.filter(deleted_at__isnull=True).count() == 2
    assert sorted(Instance.objects.unscoped().values_list("state", flat=True)) == [InstanceState.RUNNING] * 2
