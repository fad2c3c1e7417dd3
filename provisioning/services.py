"""Provisioning: turning reservations into servers and back, safe under at-least-once delivery.

Every step looks before it acts: an instance's server is found by its tag before one is created, a state already
reached is not reached again, and facts (started, stopped) are written once. Polling is a task retry with a
countdown, never a sleep.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.choices import ItemKind
from catalog.models import Flavor
from core.events import publish
from core.prepared import PreparedQuery
from core.secrets import decrypt_secret
from core.statements import Statement, insert_statement, statements_execute
from core.tasks import enqueue_on_commit
from provisioning.cloud_init import user_data_for
from provisioning.drivers import CloudDriver, CloudError, get_driver
from provisioning.drivers.base import ACTIVE, ERROR, CloudServer, ServerSpec
from provisioning.models import (
    CloudProfile,
    DriftFinding,
    DriftKind,
    Instance,
    InstanceState,
    InstanceTransition,
    ReservationAccess,
    default_instance_name,
)
from provisioning.network import (
    instance_fingerprints_statement,
    instance_public_address_ensure,
    reconcile_floating_ips,
    server_access_prepare,
    server_metadata_for,
    service_url_for,
)
from reservations.choices import ReservationState
from reservations.models import Reservation
from reservations.services import reservation_transition, reservations_transition_locked
from tenants.audit import Actor, AuditEntry, audit_record, audit_record_many, audit_statement
from tenants.models import AuditEvent
from tenants.services import InvalidTransitionError

ACTOR = Actor.system("provisioning")
R = ReservationState
I = InstanceState  # noqa: E741


@dataclass(frozen=True)
class Step:
    """What a task should do next: ``done``, or poll again after ``countdown`` seconds."""

    done: bool
    countdown: float = 0.0


# The instance lifecycle. Anything not listed here is refused; a stopped instance is final.
INSTANCE_TRANSITIONS: dict[str, frozenset[str]] = {
    I.PENDING: frozenset({I.BUILDING, I.FAILED, I.STOPPING, I.STOPPED}),
    I.BUILDING: frozenset({I.RUNNING, I.FAILED, I.STOPPING, I.STOPPED}),
    I.RUNNING: frozenset({I.STOPPING, I.STOPPED}),
    I.STOPPING: frozenset({I.STOPPED}),
    I.FAILED: frozenset({I.STOPPING, I.STOPPED}),
    I.STOPPED: frozenset(),
}


def instance_transition(
    *,
    actor: Actor,
    instance: Instance,
    from_state: InstanceState,
    to_state: InstanceState,
    values: Mapping[str, Any] | None = None,
    reason: str = "",
    now: datetime | None = None,
    through: Sequence[InstanceState] = (),
    also: Sequence[Statement] = (),
) -> bool:
    """Compare-and-set ``from_state`` → ``to_state`` (and ``values``) in one UPDATE, audited in the same transaction.

    ``through`` names the states passed on the way when one step makes several moves (a server ACTIVE at the first
    look: pending → building → running): each move is checked against the lifecycle and gets its own transition and
    audit row, all written with one UPDATE and two INSERTs.

    Refuses a move the lifecycle does not allow (``InvalidTransitionError``). Returns False and changes nothing when
    the instance is no longer in ``from_state``: a concurrent delivery of the same step moved it first, and its move
    stands. The only place that writes ``Instance.state``. ``now`` dates the move (default: the clock). ``also``:
    statements that belong to the move (the SSH fingerprints of the server it names), run only when it moved, in
    the round trip of its transition and audit rows.
    """
    states = [from_state, *through, to_state]
    moves = list(pairwise(states))
    for source, target in moves:
        if target not in INSTANCE_TRANSITIONS[source]:
            raise InvalidTransitionError(
                _("An instance cannot go from %(from)s to %(to)s.") % {"from": I(source).label, "to": I(target).label},
                code="invalid_transition",
            )
    now = now or timezone.now()
    # No savepoint inside a caller's transaction: nothing here is caught and recovered from, and a savepoint costs
    # two round trips.
    with transaction.atomic(savepoint=False):
        move = _move_statement(instance, from_state, {"state": to_state, "updated_at": now, **(values or {})})
        if move is not None:
            moved = bool(statements_execute([move])[0])
        else:
            moved = bool(
                Instance.objects.unscoped()
                .filter(pk=instance.pk, state=from_state)
                .update(state=to_state, updated_at=now, **(values or {}))
            )
        if not moved:
            return False
        # The transition rows and their audit rows in one round trip (``core.statements``).
        transitions = [
            InstanceTransition(
                organization_id=instance.organization_id,
                instance_id=instance.pk,
                from_state=source,
                to_state=target,
                reason=reason[:500],
                occurred_at=now,
            )
            for source, target in moves
        ]
        audit = [
            AuditEntry(
                action=f"instance.{target}",
                target=instance,
                organization=instance.organization,
                data={"from": str(source), "to": str(target), "reason": reason},
            )
            for source, target in moves
        ]
        if connection.vendor == "postgresql":
            statements_execute(
                [
                    insert_statement(transitions, prefix="transition"),
                    audit_statement(actor=actor, entries=audit, prefix="audit"),
                    *also,
                ]
            )
        else:  # the embedded SQLite cannot insert the audit log's database default by keyword
            InstanceTransition.objects.bulk_create(transitions)
            audit_record_many(actor=actor, entries=audit)
            if also:
                statements_execute(list(also))
    return True


def _is_increment(name: str, value: object) -> bool:
    """Whether ``value`` is ``F(name) + <int>``: a counter the move raises (``status_polls``)."""
    return (
        isinstance(value, CombinedExpression)
        and value.connector == CombinedExpression.ADD
        and isinstance(value.lhs, F)
        and getattr(value.lhs, "name", None) == name
        and isinstance(value.rhs, Value)
        and type(value.rhs.value) is int
    )


def _move_statement(instance: Instance, from_state: InstanceState, values: Mapping[str, Any]) -> Statement | None:
    """The compare-and-set UPDATE of ``instance_transition`` as the ORM's ``filter(pk, state).update(**values)``
    writes it, ``RETURNING`` the row it moved, without the ORM's compilation (about 0.4 ms in every step); its SQL
    is made once per set of columns. None for a value it does not write itself (an expression other than a
    counter's increment, a name that is not a field's), and on another database than PostgreSQL: the ORM then."""
    if connection.vendor != "postgresql":
        return None
    fields = _instance_fields()
    params: dict[str, Any] = {"move_pk": instance.pk, "move_from": str(from_state)}
    shape: list[tuple[str, bool]] = []
    for name, value in values.items():
        field = fields.get(name)
        if field is None:
            return None
        if _is_increment(name, value):
            params[f"move_{name}"] = value.rhs.value
            shape.append((name, True))
        elif hasattr(value, "resolve_expression"):
            return None
        else:
            params[f"move_{name}"] = field.get_db_prep_save(value, connection)
            shape.append((name, False))
    return _move_sql(tuple(shape)), params


@functools.cache
def _instance_fields() -> dict[str, Any]:
    """The instance's fields by name (but its primary key), read once."""
    return {field.name: field for field in Instance._meta.concrete_fields if not field.primary_key}


@functools.cache
def _move_sql(shape: tuple[tuple[str, bool], ...]) -> str:
    """``UPDATE ... SET <column> = %(move_<name>)s`` (``<column> + %(...)s`` for an increment) ``WHERE id = ...
    AND state = ... RETURNING id``."""
    quote = connection.ops.quote_name
    fields = _instance_fields()
    meta = Instance._meta
    assignments = []
    for name, increment in shape:
        column = quote(str(fields[name].column))
        assignments.append(f"{column} = {column} + %(move_{name})s" if increment else f"{column} = %(move_{name})s")
    pk = quote(str(meta.pk.column))
    return (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} "  # noqa: S608 (names from _meta)
        f"WHERE {pk} = %(move_pk)s AND {quote(str(fields['state'].column))} = %(move_from)s RETURNING {pk}"
    )


def _instance_move(
    instance: Instance,
    to_state: InstanceState,
    values: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> bool:
    """Move the instance from whatever state it is in now, if the lifecycle allows; False if it did not move."""
    current = I(Instance.objects.unscoped().values_list("state", flat=True).get(pk=instance.pk))
    if to_state not in INSTANCE_TRANSITIONS[current]:
        return False
    return instance_transition(
        actor=ACTOR, instance=instance, from_state=current, to_state=to_state, values=values, now=now
    )


# What a provisioning step reads of an instance, in one query: its reservation with the flavor, the item, how it is
# reached (``access``) and the organization's cloud profile (the NGC API key). Both reverse one-to-ones may be absent.
STEP_RELATED = (
    "organization",
    "reservation__organization__cloud_profile",
    "reservation__flavor",
    "reservation__item_version__item",
    "reservation__access",
)


def reservation_start_provisioning(*, reservation_id: int) -> list[int]:
    """Create the reservation's instance rows (once: one INSERT that skips the indexes that exist) and return the IDs
    of those still starting; the caller provisions each (``provisioning.tasks``)."""
    return [instance.pk for instance in reservation_instances_starting(reservation_id=reservation_id)]


# Read for a reservation moving to provisioning on its own (``reservation_transition``).
_RESERVATION_SIZE: PreparedQuery[tuple[int, int, int]] = PreparedQuery(
    lambda reservation_id: (
        Reservation.objects.unscoped().filter(pk=reservation_id).values_list("pk", "organization_id", "instance_count")
    ),
    reservation_id=int,
)


def reservation_instances_create(*, reservation_id: int) -> None:
    """The reservation's instance rows, pending, in the caller's transaction: the one that moves it to provisioning
    (``provisioning.receivers``), so that its task finds them and writes nothing before the cloud call. One INSERT
    ... ON CONFLICT DO NOTHING: a row that exists (unique per index) stays as it is."""
    _instances_insert(_RESERVATION_SIZE(reservation_id=reservation_id))


def reservations_instances_create(*, reservation_ids: Sequence[int]) -> None:
    """``reservation_instances_create`` for many reservations (``dispatch_due`` moves up to 200 in one transaction):
    one SELECT of their sizes, one INSERT ... ON CONFLICT DO NOTHING of all their rows."""
    if reservation_ids:
        _instances_insert(
            Reservation.objects.unscoped()
            .filter(pk__in=reservation_ids)
            .order_by("pk")
            .values_list("pk", "organization_id", "instance_count")
        )


def _instances_insert(sizes: Iterable[tuple[int, int, int]]) -> None:
    """The pending instance rows of reservations given as (ID, organization ID, instance count), in one INSERT that
    skips the rows that exist."""
    rows = [
        Instance(
            organization_id=organization_id,
            reservation_id=reservation_id,
            index=index,
            name=default_instance_name(reservation_id=reservation_id, index=index),
        )
        for reservation_id, organization_id, instance_count in sizes
        for index in range(instance_count)
    ]
    if rows:
        Instance.objects.bulk_create(rows, ignore_conflicts=True)


def booking_request_id(reservation_id: int | OuterRef) -> Subquery:
    """The booking's request ID, from its audit row (``reservation_id``: the ID or an ``OuterRef`` to it)."""
    target_id = Cast(reservation_id, CharField()) if isinstance(reservation_id, OuterRef) else str(reservation_id)
    return Subquery(
        AuditEvent.objects.unscoped()
        .filter(action="reservation.requested", target_type=Reservation._meta.label_lower, target_id=target_id)
        .values("request_id")[:1]
    )


# The step's reads (``STEP_RELATED``), compiled once per process (``core.prepared``): a reservation's
# instances with the booking's request ID for the log, and one instance.
_RESERVATION_INSTANCES: PreparedQuery[Instance] = PreparedQuery(
    lambda reservation_id: (
        Instance.objects.unscoped()
        .select_related(*STEP_RELATED)
        .annotate(booking_request_id=booking_request_id(OuterRef("reservation_id")))
        .filter(reservation_id=reservation_id)
        .order_by("index")
    ),
    reservation_id=int,
)
_STEP_INSTANCE: PreparedQuery[Instance] = PreparedQuery(
    lambda instance_id: Instance.objects.unscoped().select_related(*STEP_RELATED).filter(pk=instance_id),
    instance_id=int,
)


def reservation_instances_starting(*, reservation_id: int) -> list[Instance]:
    """``reservation_start_provisioning``, answering the instances still starting loaded as a provisioning step
    reads them (``STEP_RELATED``, and ``booking_request_id``: the request ID of the booking, for the log), so that
    the first step needs no second read.

    Usually one SELECT: the rows were made when the reservation moved to provisioning. A reservation with fewer
    rows than instances (one moved before that, or rows removed by hand) gets the missing ones first."""
    found = _RESERVATION_INSTANCES(reservation_id=reservation_id)
    missing = not found or len(found) < found[0].reservation.instance_count
    if missing and Reservation.objects.unscoped().filter(pk=reservation_id, state=R.PROVISIONING).exists():
        reservation_instances_create(reservation_id=reservation_id)
        found = _RESERVATION_INSTANCES(reservation_id=reservation_id)
    if not found or found[0].reservation.state != R.PROVISIONING:
        return []
    return [instance for instance in found if instance.state in (I.PENDING, I.BUILDING)]


def _access_of(instance: Instance) -> ReservationAccess | None:
    """How the instance's reservation is reached (None for one ordered before access was chosen), from the step's
    one read (``STEP_RELATED``)."""
    try:
        return instance.reservation.access
    except ReservationAccess.DoesNotExist:
        return None


def _ngc_api_key(instance: Instance) -> str:
    try:
        profile = instance.reservation.organization.cloud_profile
    except CloudProfile.DoesNotExist:
        return ""
    return decrypt_secret(profile.ngc_api_key_encrypted) if profile.has_ngc_api_key else ""


def _spec(instance: Instance, project_id: str, driver: CloudDriver, access: ReservationAccess | None) -> ServerSpec:
    reservation = instance.reservation
    version = reservation.item_version
    ngc_api_key = _ngc_api_key(instance)
    server_access = server_access_prepare(driver=driver, instance=instance, project_id=project_id, access=access)
    user_data = user_data_for(
        ssh_public_keys=server_access.ssh_public_keys,
        image_reference=version.reference,
        ngc_api_key=ngc_api_key,
        service_port=8000,
        ngc_key_in_container=version.item.kind == ItemKind.NIM,
        proxy=server_access.proxy,
    )
    return ServerSpec(
        project_id=project_id,
        name=f"{reservation.organization.slug}-r{reservation.pk}-{instance.index}",
        tag=instance.tag,
        flavor=_cloud_flavor(reservation.flavor),
        image="ubuntu-24.04-nvidia",
        network=f"kontor-net-{reservation.organization_id}",
        ssh_public_keys=server_access.ssh_public_keys,
        user_data=user_data,
        metadata={
            "reservation": str(reservation.pk),
            "item": f"{version.item.slug}:{version.tag}",
            **server_metadata_for(access),
        },
        key_name=server_access.key_name,
        security_groups=server_access.security_groups,
    )


def _cloud_flavor(flavor: Flavor) -> str:
    return f"kontor.{flavor.slug}"


def instance_provision_step(*, instance_id: int, now: datetime | None = None, instance: Instance | None = None) -> Step:
    """One step of bringing an instance up: find or create its server, then check whether it is ACTIVE.

    A server ACTIVE at the first look (a fast cloud, the simulator without boot time) is started in one
    transaction: pending → building → running in one UPDATE, and the reservation activated with its last instance.
    ``now`` dates the step's facts (default: the clock; the demo data provisions its history back then).
    ``instance``: the row just read with ``STEP_RELATED`` (``reservation_instances_starting``), read here otherwise;
    every write below compares the state in the database, so a row read moments ago is as good as one read now."""
    now = now or timezone.now()
    if instance is None or instance.pk != instance_id:
        found = _STEP_INSTANCE(instance_id=instance_id)
        if not found:
            raise Instance.DoesNotExist(f"No instance {instance_id}.")
        instance = found[0]
    reservation = instance.reservation
    if instance.state in (I.RUNNING, I.STOPPING, I.STOPPED, I.FAILED) or reservation.state != R.PROVISIONING:
        return Step(done=True)
    access = _access_of(instance)  # read with the instance, for the whole step
    driver = get_driver()
    project = driver.ensure_project(organization_id=reservation.organization_id, name=reservation.organization.slug)
    server = driver.find_server(project_id=project.id, tag=instance.tag)
    if server is None:
        server = driver.create_server(spec=_spec(instance, project.id, driver, access))
    if server.status == ACTIVE:
        public_address = instance_public_address_ensure(
            driver=driver, instance=instance, project_id=project.id, server=server, access=access
        )
        _instance_start(instance, server, public_address, access, now)
        return Step(done=True)  # started here, or a concurrent delivery moved it on first: its move stands
    if not _count_status_poll(instance, server.id, access, now):
        return Step(done=True)  # a concurrent delivery moved it on (running, failed, stopping): its move stands
    if server.status == ERROR:
        driver.delete_server(project_id=project.id, server_id=server.id)
        raise CloudError(server.fault or "the server went into ERROR while booting")
    return Step(done=False, countdown=2.0)  # BUILD, or a state on the way to ACTIVE


def _instance_start(
    instance: Instance, server: CloudServer, public_address: str, access: ReservationAccess | None, now: datetime
) -> bool:
    """The server is ACTIVE: the instance runs (from pending or building, compared in the database) and the
    reservation is active once all its instances run; one transaction. False if a concurrent delivery was first."""
    values = {
        "cloud_server_id": server.id,
        "status_polls": F("status_polls") + 1,
        "address": server.address,
        "started_at": now,
        "last_error": "",
        "service_url": service_url_for(access, public_address or server.address) if server.address else "",
    }
    move = functools.partial(
        instance_transition,
        actor=ACTOR,
        instance=instance,
        to_state=I.RUNNING,
        values=values,
        now=now,
        also=[instance_fingerprints_statement(instance, access)],
    )
    with transaction.atomic():
        pending = instance.state == I.PENDING
        started = move(from_state=I(instance.state), through=(I.BUILDING,) if pending else ())
        if not started and pending:
            # A concurrent delivery named the server first (pending → building) but has not started it yet.
            started = move(from_state=I.BUILDING)
        if started:
            reservation = instance.reservation
            publish("instance.running", organization_id=reservation.organization_id, subject_id=instance.pk)
            _activate_when_all_running(reservation)
    return started


def _count_status_poll(instance: Instance, server_id: str, access: ReservationAccess | None, now: datetime) -> bool:
    """Name the server and count this status poll while the instance is still starting (pending → building once,
    with the SSH fingerprints it got).

    Both writes compare the state in the database, never the one read at the start of the step: a stale delivery
    cannot move a running instance back. Returns False when the instance is no longer starting.
    """
    values = {"cloud_server_id": server_id, "status_polls": F("status_polls") + 1}
    if instance.state == I.PENDING:
        with transaction.atomic():
            if instance_transition(
                actor=ACTOR,
                instance=instance,
                from_state=I.PENDING,
                to_state=I.BUILDING,
                values=values,
                now=now,
                also=[instance_fingerprints_statement(instance, access)],
            ):
                return True
    # ``updated_at`` is the instance's last sign of progress: the sweeper re-drives only instances without one.
    return bool(Instance.objects.unscoped().filter(pk=instance.pk, state=I.BUILDING).update(**values, updated_at=now))


def _activate_when_all_running(reservation: Reservation) -> None:
    """Active once every instance runs. A reservation of one instance needs no count: it is this one, and the
    transition's own lock and check refuse a reservation that moved on meanwhile (failed, ending). Several
    instances that start concurrently count each other's commits under the reservation's lock, taken here."""
    if reservation.instance_count == 1:
        with suppress(InvalidTransitionError):  # no longer provisioning: its move stands
            reservation_transition(actor=ACTOR, reservation=reservation, to_state=R.ACTIVE)
        return
    # With its organization (read once, not again by the transition's scoped lookup); only the reservation's row
    # is locked.
    locked = (
        Reservation.objects.unscoped()
        .select_related("organization")
        .select_for_update(of=("self",))
        .get(pk=reservation.pk)
    )
    if locked.state != R.PROVISIONING:
        return
    running = Instance.objects.unscoped().filter(reservation=locked, state=I.RUNNING).count()
    if running == locked.instance_count:
        reservation_transition(actor=ACTOR, reservation=locked, to_state=R.ACTIVE)


def instance_provision_failed(*, instance_id: int, error: str) -> None:
    """Past the retry limit: the reservation fails, its GPUs are released (by the transition), the customer is told
    (the domain event), and nothing is charged (no instance ever started, or those that did are stopped now)."""
    instance = Instance.objects.unscoped().select_related("reservation", "organization").get(pk=instance_id)
    with transaction.atomic():
        # Only an instance still starting fails; one a concurrent delivery brought up (or that is being removed) stays.
        failed = _instance_move(instance, I.FAILED, values={"last_error": error[:2000]})
        locked = Reservation.objects.unscoped().select_for_update().get(pk=instance.reservation_id)
        if failed and locked.state in (R.PROVISIONING, R.ACTIVE):
            reservation_transition(
                actor=ACTOR, reservation=locked, to_state=R.FAILED, reason=f"provisioning failed: {error[:200]}"
            )


def reservation_instances_to_stop(*, reservation_id: int) -> list[int]:
    return list(
        Instance.objects.unscoped()
        .filter(reservation_id=reservation_id)
        .exclude(state=I.STOPPED)
        .values_list("pk", flat=True)
    )


def instance_deprovision_step(*, instance_id: int, now: datetime | None = None) -> Step:
    """One step of removing an instance's server; when it is gone the instance is stopped (``stopped_at``, the
    clock's time or ``now``: the demo data removes its history's servers back then)."""
    instance = (
        Instance.objects.unscoped().select_related("organization", "reservation__organization").get(pk=instance_id)
    )
    if instance.state == I.STOPPED:
        return Step(done=True)
    driver = get_driver()
    reservation = instance.reservation
    project = driver.ensure_project(organization_id=reservation.organization_id, name=reservation.organization.slug)
    server = (
        driver.get_server(project_id=project.id, server_id=instance.cloud_server_id)
        if instance.cloud_server_id
        else driver.find_server(project_id=project.id, tag=instance.tag)
    )
    if server is not None:
        driver.delete_server(project_id=project.id, server_id=server.id)
        _instance_move(instance, I.STOPPING, now=now)
        if driver.get_server(project_id=project.id, server_id=server.id) is not None:
            return Step(done=False, countdown=2.0)
    now = now or timezone.now()
    with transaction.atomic():
        stopped = _instance_move(instance, I.STOPPED, now=now)
        Instance.objects.unscoped().filter(pk=instance.pk, started_at__isnull=False, stopped_at__isnull=True).update(
            stopped_at=now
        )
        if stopped:
            publish("instance.stopped", organization_id=reservation.organization_id, subject_id=instance.pk)
        _end_when_all_stopped(reservation)
    return Step(done=True)


def _end_when_all_stopped(reservation: Reservation) -> None:
    locked = Reservation.objects.unscoped().select_for_update().get(pk=reservation.pk)
    remaining = Instance.objects.unscoped().filter(reservation=locked).exclude(state=I.STOPPED).count()
    if locked.state == R.ENDING and remaining == 0:
        reservation_transition(actor=ACTOR, reservation=locked, to_state=R.ENDED)


# --- Due events -----------------------------------------------------------------------------------------------------


def dispatch_due(*, limit: int = 200) -> tuple[list[int], list[int]]:
    """Claim reservations whose start or end has come and move them on; returns (to provision, to deprovision).

    ``SELECT ... FOR UPDATE SKIP LOCKED``: two beat runs or workers never take the same reservation; the state
    change happens in the same transaction as the claim. The transition's domain event starts the work after
    commit (``provisioning.receivers``).
    """
    now = timezone.now()
    with transaction.atomic():
        due_start = list(
            Reservation.objects.unscoped()
            .select_related("organization")
            .select_for_update(skip_locked=True, of=("self",))
            .filter(state=R.SCHEDULED, starts_at__lte=now)
            .order_by("starts_at")[:limit]
        )
        reservations_transition_locked(actor=ACTOR, locked=due_start, to_state=R.PROVISIONING)
        starting = [reservation.pk for reservation in due_start]
        due_end = list(
            Reservation.objects.unscoped()
            .select_related("organization")
            .select_for_update(skip_locked=True, of=("self",))
            .filter(state__in=[R.PROVISIONING, R.ACTIVE], ends_at__lte=now)
            .order_by("ends_at")[:limit]
        )
        reservations_transition_locked(actor=ACTOR, locked=due_end, to_state=R.ENDING, reason="window ended")
        ending = [reservation.pk for reservation in due_end]
    return starting, ending


# --- Reconciliation -------------------------------------------------------------------------------------------------


def reconcile() -> list[DriftFinding]:
    """Compare the cloud's servers with the instances. A server no live instance claims is deleted (safe: nobody is
    billed for it, nobody can reach it through Kontor); a running instance whose server is gone is reported for an
    operator (restarting it could lose data). Each finding is recorded once."""
    driver = get_driver()
    servers = driver.list_servers()
    by_id = {server.id: server for server in servers}
    live = {
        instance.cloud_server_id: instance
        for instance in Instance.objects.unscoped()
        .filter(state__in=[I.BUILDING, I.RUNNING])
        .exclude(cloud_server_id="")
    }
    findings: list[DriftFinding] = []
    for server in servers:
        if server.id in live:
            continue
        instance = Instance.objects.unscoped().filter(cloud_server_id=server.id).first()
        driver.delete_server(project_id=server.project_id, server_id=server.id)
        finding, created = DriftFinding.objects.get_or_create(
            kind=DriftKind.ORPHAN_SERVER,
            server_id=server.id,
            defaults={"instance": instance, "detail": f"{server.name}: no live reservation", "repaired": True},
        )
        if created:
            findings.append(finding)
    for server_id, instance in live.items():
        if instance.state == I.RUNNING and server_id not in by_id:
            finding, created = DriftFinding.objects.get_or_create(
                kind=DriftKind.MISSING_SERVER,
                server_id=server_id,
                defaults={"instance": instance, "detail": f"{instance}: the server is gone", "repaired": False},
            )
            if created:
                findings.append(finding)
    return findings + reconcile_floating_ips(driver)


# --- Operator repairs -----------------------------------------------------------------------------------------------


def instance_retry(*, actor: Actor, instance: Instance) -> None:
    """Queue provisioning of a stuck or failed-step instance again (its reservation must still be provisioning)."""
    reservation = instance.reservation
    if reservation.state != R.PROVISIONING or instance.state not in (I.PENDING, I.BUILDING):
        raise ValidationError(
            _("Only an instance that is still starting, of a reservation in provisioning, can be retried."),
            code="invalid_transition",
        )
    with transaction.atomic():
        audit_record(actor=actor, action="instance.retried", target=instance, organization=reservation.organization)
        enqueue_on_commit("provisioning.provision_instance", instance.pk)


def instance_force_release(*, actor: Actor, instance: Instance) -> None:
    """Give up on an instance's reservation: it fails, its GPUs are freed, and its servers are removed."""
    reservation = instance.reservation
    if reservation.state not in (R.PROVISIONING, R.ACTIVE, R.ENDING):
        raise ValidationError(_("The reservation holds no servers any more."), code="invalid_transition")
    reservation_transition(
        actor=actor, reservation=reservation, to_state=R.FAILED, reason="force-released by an operator"
    )
