"""Provisioning through the simulator: at-least-once safety, retries, permanent failure, due events, drift."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.events import Event
from core.statements import statement_text
from provisioning import services
from provisioning.drivers import get_driver
from provisioning.drivers.simulator import simulator_reset_failures
from provisioning.models import DriftFinding, DriftKind, Instance, InstanceState, InstanceTransition, SimulatedServer
from provisioning.receivers import PROVISION_BATCH, provision_on_lifecycle_many
from provisioning.tasks import provision_instance_task, provision_reservation_task, provision_reservations_task
from reservations.choices import ReservationState
from reservations.models import Allocation, Reservation
from reservations.services import (
    reservation_create,
    reservation_release,
    reservation_transition,
    reservations_transition_locked,
)
from tenants.audit import Actor
from tenants.models import AuditEvent
from tenants.services import InvalidTransitionError

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")


@pytest.fixture(autouse=True)
def _fresh_simulator():
    simulator_reset_failures()
    yield
    simulator_reset_failures()


@pytest.fixture
def provisioning(small_inventory, customer, make_quote):
    """A reservation of two instances, moved to provisioning, with its instance rows."""
    reservation = reservation_create(
        actor=ACTOR, organization=customer, quote=make_quote(flavor="b200-x4", count=2)
    ).reservation
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.PROVISIONING)
    instance_ids = services.reservation_start_provisioning(reservation_id=reservation.pk)
    return reservation, instance_ids


def live_servers():
    return SimulatedServer.objects.filter(deleted_at__isnull=True).count()


def test_delivering_the_same_task_twice_makes_one_server(provisioning):
    reservation, instance_ids = provisioning

    for instance_id in instance_ids:
        provision_instance_task.apply(args=[instance_id])
        provision_instance_task.apply(args=[instance_id])

    reservation.refresh_from_db()
    assert reservation.state == ReservationState.ACTIVE
    assert live_servers() == 2
    instances = Instance.objects.for_organization(reservation.organization).order_by("index")
    assert [(i.state, bool(i.started_at), bool(i.address)) for i in instances] == [
        (InstanceState.RUNNING, True, True),
        (InstanceState.RUNNING, True, True),
    ]
    assert services.reservation_start_provisioning(reservation_id=reservation.pk) == []


@pytest.fixture
def single(small_inventory, customer, make_quote):
    """A reservation of one instance, moved to provisioning; no instance row yet (its task has not run)."""
    reservation = reservation_create(
        actor=ACTOR, organization=customer, quote=make_quote(flavor="b200-x4", count=1)
    ).reservation
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.PROVISIONING)
    return reservation


def provisioning_record(reservation):
    """What provisioning wrote about the reservation: instances, transitions, audit actions, servers."""
    instances = Instance.objects.unscoped().filter(reservation=reservation)
    return {
        "instances": list(instances.values_list("index", "state", "cloud_server_id", "status_polls")),
        "transitions": list(
            InstanceTransition.objects.unscoped()
            .filter(instance__reservation=reservation)
            .order_by("pk")
            .values_list("from_state", "to_state")
        ),
        "audit": list(
            AuditEvent.objects.unscoped()
            .filter(action__in=["instance.building", "instance.running", "reservation.active"])
            .order_by("pk")
            .values_list("action", "target_id")
        ),
        "servers": list(SimulatedServer.objects.values_list("server_id", "tag", "deleted_at")),
        "state": Reservation.objects.unscoped().get(pk=reservation.pk).state,
    }


def test_one_task_brings_a_reservation_of_one_server_up_and_a_second_delivery_changes_nothing(single, monkeypatch):
    polls: list[tuple[int, ...]] = []
    monkeypatch.setattr(provision_instance_task, "apply_async", lambda args, **options: polls.append(args))
    monkeypatch.setattr(provision_instance_task, "delay", lambda *args: polls.append(args))

    provision_reservation_task.apply(args=[single.pk])

    first = provisioning_record(single)
    [instance] = Instance.objects.unscoped().filter(reservation=single)
    [server] = SimulatedServer.objects.all()
    assert first == {
        "instances": [(0, InstanceState.RUNNING, server.server_id, 1)],
        "transitions": [
            (InstanceState.PENDING, InstanceState.BUILDING),
            (InstanceState.BUILDING, InstanceState.RUNNING),
        ],
        "audit": [
            ("instance.building", str(instance.pk)),
            ("instance.running", str(instance.pk)),
            ("reservation.active", str(single.pk)),
        ],
        "servers": [(server.server_id, f"kontor-instance-{instance.pk}", None)],
        "state": ReservationState.ACTIVE,
    }
    assert polls == []  # no second task: the server was ACTIVE at the first look

    provision_reservation_task.apply(args=[single.pk])

    assert provisioning_record(single) == first
    assert polls == []


def test_a_reservation_of_two_runs_the_first_step_itself_and_sends_one_task_for_the_other(provisioning, monkeypatch):
    reservation, instance_ids = provisioning
    sent: list[tuple[int, ...]] = []
    monkeypatch.setattr(provision_instance_task, "delay", lambda *args: sent.append(args))

    provision_reservation_task.apply(args=[reservation.pk])

    assert sent == [(instance_ids[1],)]
    assert [state for _index, state, _server, _polls in provisioning_record(reservation)["instances"]] == [
        InstanceState.RUNNING,
        InstanceState.PENDING,
    ]
    assert Reservation.objects.unscoped().get(pk=reservation.pk).state == ReservationState.PROVISIONING
    provision_instance_task.apply(args=[instance_ids[1]])
    assert Reservation.objects.unscoped().get(pk=reservation.pk).state == ReservationState.ACTIVE


def test_a_server_still_booting_is_polled_by_the_instance_task(single, monkeypatch, settings):
    settings.KONTOR_SIMULATOR = {**settings.KONTOR_SIMULATOR, "boot_seconds": 600}
    polls: list[tuple[tuple[int, ...], float]] = []
    monkeypatch.setattr(
        provision_instance_task, "apply_async", lambda args, countdown, **options: polls.append((args, countdown))
    )

    provision_reservation_task.apply(args=[single.pk])

    [instance] = Instance.objects.unscoped().filter(reservation=single)
    assert polls == [((instance.pk,), 2.0)]
    assert (instance.state, instance.status_polls) == (InstanceState.BUILDING, 1)
    assert provisioning_record(single)["transitions"] == [(InstanceState.PENDING, InstanceState.BUILDING)]


def test_the_cloud_fails_n_times_then_succeeds(provisioning, settings):
    reservation, instance_ids = provisioning
    settings.KONTOR_SIMULATOR = {**settings.KONTOR_SIMULATOR, "fail_first_creates": 3}

    for instance_id in instance_ids:
        provision_instance_task.apply(args=[instance_id])

    reservation.refresh_from_db()
    assert reservation.state == ReservationState.ACTIVE
    assert live_servers() == 2
    assert sorted(Instance.objects.unscoped().values_list("status_polls", flat=True)) == [1, 1]


def test_a_permanent_failure_fails_the_reservation_releases_the_gpus_and_charges_nothing(provisioning, settings):
    reservation, instance_ids = provisioning
    settings.KONTOR_SIMULATOR = {**settings.KONTOR_SIMULATOR, "fail_creates_permanently": True}

    provision_instance_task.apply(args=[instance_ids[0]])

    reservation.refresh_from_db()
    assert reservation.state == ReservationState.FAILED
    assert reservation.state_reason.startswith("provisioning failed: simulated failure: quota exceeded")
    assert Allocation.objects.for_organization(reservation.organization).filter(released_at__isnull=True).count() == 0
    assert live_servers() == 0
    assert not Instance.objects.unscoped().filter(started_at__isnull=False).exists()  # nothing to bill


def test_release_removes_the_servers_and_records_when_they_stopped(provisioning):
    reservation, instance_ids = provisioning
    for instance_id in instance_ids:
        provision_instance_task.apply(args=[instance_id])

    reservation_release(actor=ACTOR, reservation=reservation)
    for instance_id in services.reservation_instances_to_stop(reservation_id=reservation.pk):
        services.instance_deprovision_step(instance_id=instance_id)
        services.instance_deprovision_step(instance_id=instance_id)

    reservation.refresh_from_db()
    assert reservation.state == ReservationState.ENDED
    assert live_servers() == 0
    stopped = list(Instance.objects.unscoped().values_list("state", "stopped_at"))
    assert all(state == InstanceState.STOPPED and stopped_at is not None for state, stopped_at in stopped)


def test_due_reservations_are_claimed_once(small_inventory, customer, make_quote, time_machine):
    reservation = reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation
    time_machine.move_to(reservation.starts_at, tick=False)

    first = services.dispatch_due()
    second = services.dispatch_due()

    assert first == ([reservation.pk], [])
    assert second == ([], [])
    assert Reservation.objects.for_organization(customer).get().state == ReservationState.PROVISIONING


def test_dispatch_moves_due_reservations_together_with_every_audit_row_event_and_instance_row(
    small_inventory, customer, make_quote, time_machine, settings, django_capture_on_commit_callbacks
):
    """``dispatch_due`` moves its claim with one UPDATE, one audit INSERT and one instance INSERT: each reservation
    still gets its audit row, its instance rows, its webhook delivery and its task, and the statements do not grow
    with the number of reservations."""
    from webhooks.models import WebhookDelivery
    from webhooks.services import endpoint_create

    settings.KONTOR_WEBHOOKS_ALLOW_LOOPBACK = True
    endpoint_create(
        actor=ACTOR, organization=customer, url="http://127.0.0.1:9/hook", event_types=["reservation.provisioning"]
    )
    booked = [reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation for _ in range(3)]
    time_machine.move_to(max(reservation.starts_at for reservation in booked), tick=False)

    sent: list[tuple[str, tuple[int, ...]]] = []
    originals = {task: task.apply_async for task in (provision_reservation_task, provision_reservations_task)}
    for task in originals:
        task.apply_async = lambda args, task=task, **options: sent.append((task.name, tuple(args)))  # type: ignore[method-assign]
    try:
        with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
            starting, ending = services.dispatch_due()
    finally:
        for task, original in originals.items():
            task.apply_async = original  # type: ignore[method-assign]

    ids = sorted(reservation.pk for reservation in booked)
    assert (sorted(starting), ending) == (ids, [])
    assert sent == [("provisioning.provision_reservations", tuple(starting))]  # one message for the three
    assert set(Reservation.objects.for_organization(customer).values_list("state", flat=True)) == {
        ReservationState.PROVISIONING
    }
    audit = AuditEvent.objects.unscoped().filter(action="reservation.provisioning")
    assert sorted((int(row.target_id), row.data["from"], row.data["to"]) for row in audit) == [
        (pk, "scheduled", "provisioning") for pk in ids
    ]
    assert sorted(Instance.objects.unscoped().values_list("reservation_id", flat=True)) == ids
    deliveries = WebhookDelivery.objects.unscoped().filter(event_type="reservation.provisioning")
    assert sorted(delivery.payload["data"]["id"] for delivery in deliveries) == ids
    moves = [sql for sql in (query["sql"] for query in queries.captured_queries) if sql.startswith("UPDATE")]
    assert sum('"reservations_reservation"' in sql for sql in moves) == 1  # the three moves (each delivery: its own)
    assert sum(query["sql"].startswith('INSERT INTO "tenants_auditevent"') for query in queries.captured_queries) == 1


@pytest.mark.parametrize(
    ("starting", "messages"),
    [
        (1, [("provisioning.provision_reservation", 1)]),
        (2, [("provisioning.provision_reservations", 2)]),
        (PROVISION_BATCH, [("provisioning.provision_reservations", PROVISION_BATCH)]),
        (PROVISION_BATCH + 1, [("provisioning.provision_reservations", 6), ("provisioning.provision_reservations", 5)]),
        (25, [("provisioning.provision_reservations", 9)] + [("provisioning.provision_reservations", 8)] * 2),
        (200, [("provisioning.provision_reservations", 10)] * 20),
    ],
)
def test_reservations_that_start_together_go_to_the_workers_in_balanced_chunks(
    starting, messages, monkeypatch, django_capture_on_commit_callbacks
):
    """A claim of ``dispatch_due`` is sent in messages of at most ``PROVISION_BATCH`` reservations, as even as can
    be (every worker gets a share), each reservation in exactly one; a chunk of one is the single task."""
    sent: list[tuple[str, tuple[int, ...]]] = []
    for task in (provision_reservation_task, provision_reservations_task):
        monkeypatch.setattr(task, "apply_async", lambda args, task=task, **options: sent.append((task.name, args)))
    ids = list(range(1000, 1000 + starting))

    with django_capture_on_commit_callbacks(execute=True):
        provision_on_lifecycle_many([Event("reservation.provisioning", organization_id=7, subject_id=pk) for pk in ids])

    assert [(name, len(args)) for name, args in sent] == messages
    assert Counter(pk for _name, args in sent for pk in args) == Counter(ids)
    assert [args[0] for _name, args in sent] == ids[: len(sent)]  # the earliest due lead their chunks


@pytest.fixture
def three_starting(small_inventory, customer, make_quote):
    """Three reservations of one server each, moved to provisioning together (as ``dispatch_due`` moves them)."""
    booked = [reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation for _ in range(3)]
    with transaction.atomic():
        locked = list(Reservation.objects.unscoped().select_related("organization").select_for_update().order_by("pk"))
        reservations_transition_locked(actor=ACTOR, locked=locked, to_state=ReservationState.PROVISIONING)
    return [reservation.pk for reservation in booked]


def test_one_message_provisions_each_of_its_reservations_and_a_second_delivery_changes_nothing(three_starting):
    provision_reservations_task.apply(args=three_starting)

    first = [provisioning_record(Reservation.objects.unscoped().get(pk=pk)) for pk in three_starting]
    assert [record["state"] for record in first] == [ReservationState.ACTIVE] * 3
    assert [len(record["instances"]) for record in first] == [1, 1, 1]
    assert live_servers() == 3

    provision_reservations_task.apply(args=three_starting)

    assert [provisioning_record(Reservation.objects.unscoped().get(pk=pk)) for pk in three_starting] == first
    assert live_servers() == 3


def test_a_reservation_that_raises_holds_back_none_after_it_and_the_message_fails_with_its_error(
    three_starting, monkeypatch
):
    broken = three_starting[1]
    reading = services.reservation_instances_starting

    def read(*, reservation_id):
        if reservation_id == broken:
            raise RuntimeError("the read broke")
        return reading(reservation_id=reservation_id)

    monkeypatch.setattr(services, "reservation_instances_starting", read)

    result = provision_reservations_task.apply(args=three_starting)

    assert (type(result.result), str(result.result)) == (RuntimeError, "the read broke")
    states = dict(Reservation.objects.unscoped().filter(pk__in=three_starting).values_list("pk", "state"))
    assert states == {
        three_starting[0]: ReservationState.ACTIVE,
        broken: ReservationState.PROVISIONING,  # for the sweeper, as if its own task had failed
        three_starting[2]: ReservationState.ACTIVE,
    }
    assert live_servers() == 2


def test_a_batch_with_a_move_the_lifecycle_refuses_writes_nothing(small_inventory, customer, make_quote):
    first, second = (
        reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation for _ in range(2)
    )
    reservation_transition(actor=ACTOR, reservation=second, to_state=ReservationState.CANCELLED)
    with transaction.atomic():
        locked = list(Reservation.objects.unscoped().select_related("organization").select_for_update().order_by("pk"))
        with pytest.raises(InvalidTransitionError):
            reservations_transition_locked(actor=ACTOR, locked=locked, to_state=ReservationState.PROVISIONING)
    first.refresh_from_db()
    assert first.state == ReservationState.SCHEDULED
    assert not AuditEvent.objects.unscoped().filter(action="reservation.provisioning").exists()
    assert not Instance.objects.unscoped().exists()


def test_dispatch_uses_skip_locked(small_inventory, customer):
    with CaptureQueriesContext(connection) as queries:
        services.dispatch_due()

    # The claims lock only the reservations' rows (``FOR UPDATE OF``), read with their organizations.
    claims = [query["sql"] for query in queries.captured_queries if "SKIP LOCKED" in query["sql"]]
    assert len(claims) == 2
    assert all("FOR UPDATE OF" in sql for sql in claims)


def test_reconciliation_deletes_orphans_and_reports_missing_servers(provisioning):
    reservation, instance_ids = provisioning
    for instance_id in instance_ids:
        provision_instance_task.apply(args=[instance_id])
    first, second = Instance.objects.for_organization(reservation.organization).order_by("index")
    SimulatedServer.objects.filter(server_id=first.cloud_server_id).update(deleted_at=timezone.now())
    Instance.objects.unscoped().filter(pk=second.pk).update(state=InstanceState.STOPPED)

    findings = services.reconcile()
    again = services.reconcile()

    assert sorted((f.kind, f.server_id, f.repaired) for f in findings) == sorted(
        [
            (DriftKind.MISSING_SERVER, first.cloud_server_id, False),
            (DriftKind.ORPHAN_SERVER, second.cloud_server_id, True),
        ]
    )
    assert again == []
    assert DriftFinding.objects.count() == 2
    assert live_servers() == 0


def test_console_force_release_fails_the_reservation_and_frees_its_gpus(provisioning, console_client):
    reservation, instance_ids = provisioning
    provision_instance_task.apply(args=[instance_ids[0]])

    response = console_client.post(
        "/ops/provisioning/instance/", {"action": "force_release", "_selected_action": [instance_ids[0]]}
    )

    assert response.status_code == 302
    reservation.refresh_from_db()
    assert (reservation.state, reservation.state_reason) == (ReservationState.FAILED, "force-released by an operator")
    assert Allocation.objects.for_organization(reservation.organization).filter(released_at__isnull=True).count() == 0


def test_console_lists_failures_with_their_error(provisioning, console_client, settings):
    _reservation, instance_ids = provisioning
    settings.KONTOR_SIMULATOR = {**settings.KONTOR_SIMULATOR, "fail_creates_permanently": True}
    provision_instance_task.apply(args=[instance_ids[0]])

    listing = console_client.get("/ops/provisioning/instance/?state__exact=failed").content.decode()
    detail = console_client.get(f"/ops/provisioning/instance/{instance_ids[0]}/change/").content.decode()

    # In words in the list; the raw error only on the instance's page, collapsed under "Technical detail".
    assert "The cloud refused to create the server: its quota is used up." in listing
    assert "simulated failure" not in listing
    assert (
        '<p class="kontor-problem">The cloud refused to create the server: its quota is used up.</p>'
        '<details class="kontor-raw"><summary>Technical detail</summary>'
        "<pre>simulated failure: quota exceeded for instances</pre></details>"
    ) in detail


def test_the_console_counts_status_polls_and_names_them_so(provisioning, console_client):
    _reservation, instance_ids = provisioning
    provision_instance_task.apply(args=[instance_ids[0]])

    listing = console_client.get("/ops/provisioning/instance/")
    detail = console_client.get(f"/ops/provisioning/instance/{instance_ids[0]}/change/").content.decode()

    polls = Instance.objects.unscoped().get(pk=instance_ids[0]).status_polls
    assert polls >= 1
    assert "Status polls" in listing.content.decode()
    assert "ttempts" not in listing.content.decode()
    assert f'<div class="readonly">{polls}</div>' in detail
    assert "How often provisioning asked the cloud for the server's status." in detail


def _statement(sql: str) -> str:
    """``UPDATE provisioning_instance``, ``SELECT reservations_reservation FOR UPDATE``, ``SAVEPOINT``: what a
    statement does to which table (a prepared statement's ``EXECUTE``: what the statement it runs does)."""
    text = statement_text(sql)
    if text.startswith("EXECUTE") and "/* " in text:
        sql = text[text.index("/* ") + 3 : text.rindex(" */")]
    elif text.startswith("PREPARE") and ";\nEXECUTE" in text:  # its first run on the connection
        sql = text[text.index(" AS ") + 4 : text.index(";\nEXECUTE")]
    words = sql.replace('"', "").replace("(", " ( ").replace(")", " ) ").split()
    verb = words[0]
    if verb in ("SAVEPOINT", "RELEASE"):
        return verb
    if verb == "INSERT":
        return f"INSERT {words[2]}"
    if verb == "UPDATE":
        return f"UPDATE {words[1]}"
    depth = 0
    for word, following in itertools.pairwise(words):
        depth += {"(": 1, ")": -1}.get(word, 0)
        if depth == 0 and word == "FROM":  # the statement's own table, not a subquery's
            return f"{verb} {following}{' FOR UPDATE' if 'FOR UPDATE' in sql else ''}"
    return verb


def test_a_one_server_reservation_becomes_active_in_one_task_and_these_statements(
    small_inventory, customer, make_quote
):
    """The organization's cloud project exists (its first reservation made it). In a test's transaction each
    transaction of the task is a savepoint; no webhook endpoint, so the events' look-ups find nothing."""
    reservation = reservation_create(actor=ACTOR, organization=customer, quote=make_quote()).reservation
    reservation_transition(actor=ACTOR, reservation=reservation, to_state=ReservationState.PROVISIONING)
    get_driver().ensure_project(organization_id=customer.pk, name=customer.slug)

    with CaptureQueriesContext(connection) as queries:
        provision_reservation_task.apply(args=[reservation.pk])

    reservation.refresh_from_db()
    assert reservation.state == ReservationState.ACTIVE
    assert [_statement(query["sql"]) for query in queries.captured_queries] == [
        "SELECT provisioning_instance",  # with its reservation, organization, profile, flavor, item, access
        "SELECT provisioning_simulatedproject",  # the simulated cloud: its project, the server by its tag, created
        "SELECT provisioning_simulatedserver",
        "SAVEPOINT",
        "INSERT provisioning_simulatedserver",
        "RELEASE",
        "SAVEPOINT",  # ACTIVE at the first look: the instance runs and the reservation is active, one transaction
        "UPDATE provisioning_instance",
        "INSERT provisioning_instancetransition",  # with its audit rows and the SSH fingerprints (checked below)
        "SELECT webhooks_webhookendpoint",  # instance.running
        "SELECT reservations_reservation FOR UPDATE",  # no savepoint of its own: a refusal is raised after it
        "UPDATE reservations_reservation",  # with its audit row, one round trip (checked below)
        "INSERT reservations_reservationnotice",
        "SELECT webhooks_webhookendpoint",  # reservation.active
        "RELEASE",
    ]
    moves = next(sql for sql in (query["sql"] for query in queries.captured_queries) if "instancetransition" in sql)
    assert 'INSERT INTO "tenants_auditevent"' in moves
    assert 'INSERT INTO "provisioning_instanceaddress"' in moves
    statements = [query["sql"] for query in queries.captured_queries]
    activation = next(sql for sql in statements if sql.startswith('UPDATE "reservations_reservation"'))
    assert 'INSERT INTO "tenants_auditevent"' in activation
    assert AuditEvent.objects.unscoped().filter(action="reservation.active", target_id=str(reservation.pk)).count() == 1
