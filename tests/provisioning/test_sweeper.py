"""The sweeper re-drives work whose message was lost, from the database state, and gives up visibly."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from provisioning.drivers.simulator import simulator_reset_failures
from provisioning.models import Instance, InstanceState, SimulatedServer
from provisioning.sweeper import provisioning_sweep
from provisioning.tasks import (
    deprovision_reservation_task,
    organization_activate_task,
    provision_instance_task,
    provision_reservation_task,
)
from reservations.choices import ReservationState
from reservations.models import Reservation
from reservations.services import reservation_create, reservation_release, reservation_transition
from tenants.audit import Actor
from tenants.choices import OrganizationStatus
from tenants.models import AuditEvent, Organization
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")
LATER = timedelta(minutes=11)


@pytest.fixture(autouse=True)
def _fresh_simulator():
    simulator_reset_failures()
    yield
    simulator_reset_failures()


@pytest.fixture
def queued(monkeypatch):
    """The tasks the sweeper sends, by name, instead of a broker nobody consumes in these tests."""
    sent: list[tuple[str, int]] = []
    for task in (provision_reservation_task, deprovision_reservation_task, organization_activate_task):
        monkeypatch.setattr(task, "apply_async", lambda args, _name=task.name, **options: sent.append((_name, *args)))
    return sent


@pytest.fixture
def lost(small_inventory, customer, make_quote):
    """A reservation moved to provisioning whose provisioning message was lost: no instance rows, no work."""
    reservation = reservation_create(
        actor=ACTOR, organization=customer, quote=make_quote(flavor="b200-x4", count=2)
    ).reservation
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.PROVISIONING)
    return Reservation.objects.unscoped().get(pk=reservation.pk)


def sweep(django_capture_on_commit_callbacks, at):
    with django_capture_on_commit_callbacks(execute=True):
        return provisioning_sweep(now=at)


def test_a_lost_provisioning_message_is_redriven_and_the_reservation_becomes_active(
    lost, queued, django_capture_on_commit_callbacks
):
    too_early = sweep(django_capture_on_commit_callbacks, lost.updated_at + timedelta(minutes=5))
    assert too_early.redriven == {}

    result = sweep(django_capture_on_commit_callbacks, lost.updated_at + LATER)

    assert result.redriven == {"provisioning": [lost.pk]}
    assert queued == [("provisioning.provision_reservation", lost.pk)]
    assert AuditEvent.objects.for_organization(lost.organization).filter(action="reservation.redriven").count() == 1
    # The re-driven step runs as a worker would run it.
    provision_reservation_task.run(lost.pk)  # creates the instance rows; their own tasks go to the broker
    for instance_id in Instance.objects.unscoped().filter(reservation=lost).values_list("pk", flat=True):
        provision_instance_task.apply(args=[instance_id])
    lost.refresh_from_db()
    assert lost.state == ReservationState.ACTIVE
    assert SimulatedServer.objects.filter(deleted_at__isnull=False).count() == 0
    assert SimulatedServer.objects.count() == 2
    assert sweep(django_capture_on_commit_callbacks, timezone.now() + LATER).redriven == {}


def test_an_instance_still_polling_is_left_alone(lost, queued, django_capture_on_commit_callbacks):
    provision_reservation_task.run(lost.pk)
    Instance.objects.unscoped().filter(reservation=lost).update(
        state=InstanceState.BUILDING, updated_at=lost.updated_at + timedelta(minutes=10)
    )

    result = sweep(django_capture_on_commit_callbacks, lost.updated_at + LATER)

    assert (result.redriven, queued) == ({}, [])


def test_a_lost_deprovisioning_message_is_redriven(lost, queued, django_capture_on_commit_callbacks):
    Reservation.objects.unscoped().filter(pk=lost.pk).update(state=ReservationState.ACTIVE)
    ending = reservation_release(actor=ACTOR, reservation=Reservation.objects.unscoped().get(pk=lost.pk))
    assert ending.state == ReservationState.ENDING

    result = sweep(
        django_capture_on_commit_callbacks, Reservation.objects.unscoped().get(pk=lost.pk).updated_at + LATER
    )

    assert result.redriven == {"ending": [lost.pk]}
    assert queued[-1] == ("provisioning.deprovision_reservation", lost.pk)


def test_a_failed_reservation_with_servers_left_is_deprovisioned_again(
    lost, queued, django_capture_on_commit_callbacks
):
    """Its deprovisioning message was lost: the sibling instance still runs (and is metered) until the sweep."""
    provision_reservation_task.run(lost.pk)
    first, second = Instance.objects.unscoped().filter(reservation=lost).order_by("index")
    Instance.objects.unscoped().filter(pk=first.pk).update(state=InstanceState.RUNNING)
    Instance.objects.unscoped().filter(pk=second.pk).update(state=InstanceState.FAILED)
    reservation_transition(actor=ACTOR, reservation=lost, to_state=ReservationState.FAILED, reason="boot failed")
    failed_at = Reservation.objects.unscoped().get(pk=lost.pk).updated_at

    result = sweep(django_capture_on_commit_callbacks, failed_at + LATER)

    assert result.redriven == {"failed": [lost.pk]}
    assert queued[-1] == ("provisioning.deprovision_reservation", lost.pk)
    # Once every instance is stopped there is nothing left to remove: the failed reservation is left alone.
    Instance.objects.unscoped().filter(reservation=lost).update(state=InstanceState.STOPPED)
    assert sweep(django_capture_on_commit_callbacks, failed_at + 2 * LATER).redriven == {}


def test_redriving_stops_after_the_limit_and_says_so_once(lost, queued, django_capture_on_commit_callbacks, settings):
    settings.KONTOR_SWEEP_MAX_REDRIVES = 2
    moments = [lost.updated_at + LATER * step for step in range(1, 5)]

    results = [sweep(django_capture_on_commit_callbacks, at) for at in moments]

    assert [r.redriven for r in results] == [{"provisioning": [lost.pk]}, {"provisioning": [lost.pk]}, {}, {}]
    assert [r.exhausted for r in results] == [{}, {}, {"provisioning": [lost.pk]}, {}]
    assert queued == [("provisioning.provision_reservation", lost.pk)] * 2
    actions = list(
        AuditEvent.objects.for_organization(lost.organization)
        .filter(action__startswith="reservation.redrive")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["reservation.redriven", "reservation.redriven", "reservation.redrive_exhausted"]


def test_an_organization_stuck_in_provisioning_is_activated_again(queued, django_capture_on_commit_callbacks):
    organization = OrganizationFactory.create(status=OrganizationStatus.PROVISIONING, slug="stuck")
    stamp = Organization.objects.get(pk=organization.pk).updated_at

    result = sweep(django_capture_on_commit_callbacks, stamp + LATER)

    assert result.redriven == {"organization": [organization.pk]}
    assert queued == [("provisioning.organization_activate", organization.pk)]
    organization_activate_task.apply(args=[organization.pk])
    assert Organization.objects.get(pk=organization.pk).status == OrganizationStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_redrive_each_item_once(lost, queued):
    at = lost.updated_at + LATER
    barrier = threading.Barrier(2)
    results = []

    def run():
        close_old_connections()
        barrier.wait()
        try:
            results.append(provisioning_sweep(now=at))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(len(r.redriven.get("provisioning", [])) for r in results) == [0, 1]
    assert queued == [("provisioning.provision_reservation", lost.pk)]
