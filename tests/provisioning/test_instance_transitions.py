"""The instance lifecycle: compare-and-set transitions, audited; the same step delivered twice at the same time."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from provisioning import services
from provisioning.drivers.base import CloudServer
from provisioning.drivers.simulator import SimulatorDriver, simulator_reset_failures
from provisioning.models import Instance, InstanceState, SimulatedServer
from provisioning.services import Step, instance_provision_step, instance_transition
from provisioning.tasks import provision_instance_task, provision_reservation_task
from reservations.choices import ReservationState
from reservations.services import reservation_create, reservation_transition
from tenants.audit import Actor
from tenants.models import AuditEvent
from tenants.services import InvalidTransitionError

ACTOR = Actor.system("test")
I = InstanceState  # noqa: E741


@pytest.fixture(autouse=True)
def _fresh_simulator():
    simulator_reset_failures()
    yield
    simulator_reset_failures()


@pytest.fixture
def instance(small_inventory, customer, make_quote):
    """The one instance of a reservation in provisioning, still pending."""
    reservation = reservation_create(
        actor=ACTOR, organization=customer, quote=make_quote(flavor="b200-x4", count=1)
    ).reservation
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.PROVISIONING)
    [instance_id] = services.reservation_start_provisioning(reservation_id=reservation.pk)
    return Instance.objects.unscoped().select_related("organization", "reservation").get(pk=instance_id)


def instance_audit(instance):
    return list(
        AuditEvent.objects.unscoped()
        .filter(target_type="provisioning.instance", target_id=str(instance.pk))
        .order_by("pk")
        .values_list("action", "data")
    )


def snapshot(instance):
    return (
        Instance.objects.unscoped().values("state", "cloud_server_id", "status_polls", "started_at").get(pk=instance.pk)
    )


class InterleavingDriver(SimulatorDriver):
    """The simulator, with a meeting point in ``find_server``: both deliveries have read the instance (pending)
    before either looks for its server; then the first runs its whole step while the second waits, and the second
    goes on from its stale read — the redelivery that used to move a running instance back to building."""

    def __init__(self, barrier: threading.Barrier, first_done: threading.Event) -> None:
        self.barrier = barrier
        self.first_done = first_done

    def find_server(self, *, project_id: str, tag: str) -> CloudServer | None:
        if self.barrier.wait(timeout=30) != 0:
            assert self.first_done.wait(timeout=30)
        return super().find_server(project_id=project_id, tag=tag)


@pytest.mark.django_db(transaction=True)
def test_a_stale_concurrent_delivery_never_moves_a_running_instance_back(instance, monkeypatch):
    barrier = threading.Barrier(2)
    first_done = threading.Event()
    driver = InterleavingDriver(barrier, first_done)
    monkeypatch.setattr(services, "get_driver", lambda: driver)
    steps: list[Step] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        close_old_connections()
        try:
            steps.append(instance_provision_step(instance_id=instance.pk))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            first_done.set()
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert steps == [Step(done=True), Step(done=True)]
    assert SimulatedServer.objects.filter(deleted_at__isnull=True).count() == 1
    server = SimulatedServer.objects.get()
    current = snapshot(instance)
    assert (current["state"], current["cloud_server_id"], current["status_polls"]) == (I.RUNNING, server.server_id, 1)
    assert current["started_at"] is not None
    assert [action for action, _data in instance_audit(instance)] == ["instance.building", "instance.running"]
    reservation = instance.reservation
    reservation.refresh_from_db()
    assert reservation.state == ReservationState.ACTIVE
    assert AuditEvent.objects.unscoped().filter(action="reservation.active", target_id=str(reservation.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_task_delivered_twice_at_the_same_time_makes_one_server_and_one_running_transition(instance):
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def deliver() -> None:
        close_old_connections()
        barrier.wait(timeout=30)
        try:
            provision_instance_task.apply(args=(instance.pk,))  # the loser of the create race retries (eagerly)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert SimulatedServer.objects.filter(deleted_at__isnull=True).count() == 1
    current = snapshot(instance)
    assert (current["state"], current["cloud_server_id"]) == (I.RUNNING, SimulatedServer.objects.get().server_id)
    assert [action for action, _data in instance_audit(instance)] == ["instance.building", "instance.running"]
    assert instance_provision_step(instance_id=instance.pk) == Step(done=True)
    assert snapshot(instance) == current


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("from_state", "to_state"),
    [
        (I.PENDING, I.RUNNING),
        (I.RUNNING, I.BUILDING),
        (I.RUNNING, I.FAILED),
        (I.STOPPING, I.RUNNING),
        (I.FAILED, I.RUNNING),
        (I.STOPPED, I.STOPPING),
        (I.STOPPED, I.RUNNING),
    ],
)
def test_a_move_the_lifecycle_does_not_allow_is_refused_and_changes_nothing(instance, from_state, to_state):
    Instance.objects.unscoped().filter(pk=instance.pk).update(state=from_state)
    before = snapshot(instance)

    with pytest.raises(InvalidTransitionError) as refusal:
        instance_transition(actor=ACTOR, instance=instance, from_state=from_state, to_state=to_state)

    assert refusal.value.code == "invalid_transition"
    assert snapshot(instance) == before
    assert instance_audit(instance) == []


@pytest.mark.django_db
def test_a_transition_from_a_state_the_instance_has_left_changes_nothing(instance):
    Instance.objects.unscoped().filter(pk=instance.pk).update(state=I.RUNNING)
    before = snapshot(instance)

    moved = instance_transition(
        actor=ACTOR, instance=instance, from_state=I.PENDING, to_state=I.BUILDING, values={"cloud_server_id": "stale"}
    )

    assert moved is False
    assert snapshot(instance) == before
    assert instance_audit(instance) == []


@pytest.mark.django_db
def test_a_transition_writes_its_values_and_one_audit_row(instance):
    moved = instance_transition(
        actor=ACTOR,
        instance=instance,
        from_state=I.PENDING,
        to_state=I.FAILED,
        values={"last_error": "quota exceeded"},
        reason="gave up",
    )

    assert moved is True
    instance.refresh_from_db()
    assert (instance.state, instance.last_error) == (I.FAILED, "quota exceeded")
    assert instance_audit(instance) == [("instance.failed", {"from": "pending", "to": "failed", "reason": "gave up"})]


@pytest.mark.django_db
def test_the_move_is_one_update_written_without_the_orm_and_leaves_the_row_as_the_orm_would(instance, monkeypatch):
    """The start's values (a counter's increment, a time, strings) go through SQL made once per set of columns;
    the same move through the ORM's ``update`` (what any other value takes) leaves the same row."""
    now = timezone.now()
    values = {
        "cloud_server_id": "server-1",
        "status_polls": F("status_polls") + 1,
        "address": "10.128.0.7",
        "started_at": now,
        "last_error": "",
        "service_url": "http://10.128.0.7:8000/",
    }
    fields = ["state", "cloud_server_id", "status_polls", "address", "started_at", "service_url", "updated_at"]

    with CaptureQueriesContext(connection) as queries:
        assert instance_transition(
            actor=ACTOR, instance=instance, from_state=I.PENDING, to_state=I.BUILDING, values=values, now=now
        )
    by_hand = Instance.objects.unscoped().values(*fields).get(pk=instance.pk)
    Instance.objects.unscoped().filter(pk=instance.pk).update(state=I.PENDING, status_polls=0)
    monkeypatch.setattr(services, "_move_statement", lambda *args: None)  # the ORM's update
    assert instance_transition(
        actor=ACTOR, instance=instance, from_state=I.PENDING, to_state=I.BUILDING, values=values, now=now
    )

    assert Instance.objects.unscoped().values(*fields).get(pk=instance.pk) == by_hand
    assert by_hand["status_polls"] == 1
    [update] = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("UPDATE")]
    assert update.startswith('UPDATE "provisioning_instance" SET "state" = ')
    assert update.endswith('RETURNING "id"')
    assert '"status_polls" = "status_polls" + 1' in update


@pytest.mark.django_db
def test_a_stale_give_up_leaves_an_instance_a_concurrent_delivery_brought_up(instance):
    assert instance_provision_step(instance_id=instance.pk) == Step(done=True)
    before = snapshot(instance)

    services.instance_provision_failed(instance_id=instance.pk, error="the server did not become ACTIVE")

    assert snapshot(instance) == before
    assert before["state"] == I.RUNNING
    reservation = instance.reservation
    reservation.refresh_from_db()
    assert reservation.state == ReservationState.ACTIVE
    assert [action for action, _data in instance_audit(instance)] == ["instance.building", "instance.running"]


@pytest.mark.django_db(transaction=True)
def test_the_reservation_task_delivered_twice_at_the_same_time_makes_one_instance_one_server_one_activation(
    small_inventory, customer, make_quote, monkeypatch
):
    """Both deliveries insert the instance row (one stays) and run its first step; one creates the server, the
    other finds it or loses the create race and leaves a poll to the instance task."""
    reservation = reservation_create(
        actor=ACTOR, organization=customer, quote=make_quote(flavor="b200-x4", count=1)
    ).reservation
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.PROVISIONING)
    polls: list[tuple[int, ...]] = []
    monkeypatch.setattr(provision_instance_task, "apply_async", lambda args, **options: polls.append(args))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def deliver() -> None:
        close_old_connections()
        barrier.wait(timeout=30)
        try:
            provision_reservation_task.apply(args=(reservation.pk,))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    [instance] = Instance.objects.unscoped().filter(reservation=reservation).select_related("organization")
    for poll in polls:  # the loser of the create race, if there was one, polls once more
        provision_instance_task.run(*poll)
    assert SimulatedServer.objects.filter(deleted_at__isnull=True).count() == 1
    current = snapshot(instance)
    assert (current["state"], current["cloud_server_id"]) == (I.RUNNING, SimulatedServer.objects.get().server_id)
    assert [action for action, _data in instance_audit(instance)] == ["instance.building", "instance.running"]
    assert AuditEvent.objects.unscoped().filter(action="reservation.active", target_id=str(reservation.pk)).count() == 1
