"""The sweeper: work that waits on a lost message is found from the database and re-driven (invariant 9).

A broker that restarts empty or a worker killed between two polls leaves a reservation in ``provisioning`` or
``ending`` (or ``failed`` with servers still to remove), or an organization in ``provisioning``, with nobody
working on it. Every minute (beat) the sweeper looks for such items whose last progress is older than
``KONTOR_SWEEP_STALE_SECONDS`` and queues their next step again; the steps are safe to repeat (servers are found
by tag before one is created, states are compare-and-set).

- Rows are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED``: two sweepers never take the same item.
- Each re-drive is audited (``<entity>.redriven``) in the transaction that claims it; the task is sent after commit.
- An item re-driven ``KONTOR_SWEEP_MAX_REDRIVES`` times without progress is not retried forever: it is audited once
  as ``<entity>.redrive_exhausted`` and left to operators (the console's provisioning failures).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q

from core.tasks import enqueue_on_commit
from provisioning.models import Instance, InstanceState
from provisioning.organizations import ACTIVATE_TASK
from reservations.choices import ReservationState
from reservations.models import Reservation
from tenants.audit import Actor, audit_record
from tenants.choices import OrganizationStatus
from tenants.models import AuditEvent, Organization

ACTOR = Actor.system("sweeper")
PROVISION_TASK = "provisioning.provision_reservation"
DEPROVISION_TASK = "provisioning.deprovision_reservation"


@dataclass
class SweepResult:
    """What one sweep did, by kind of item: IDs re-driven and IDs given up on."""

    redriven: dict[str, list[int]] = field(default_factory=dict)
    exhausted: dict[str, list[int]] = field(default_factory=dict)


def _stale_after() -> timedelta:
    return timedelta(seconds=settings.KONTOR_SWEEP_STALE_SECONDS)


def _redrives(target: models.Model, *, since: datetime | None = None) -> int:
    events = AuditEvent.objects.unscoped().filter(
        target_type=target._meta.label_lower, target_id=str(target.pk), action__endswith=".redriven"
    )
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    return events.count()


def _exhausted(target: models.Model) -> bool:
    return (
        AuditEvent.objects.unscoped()
        .filter(target_type=target._meta.label_lower, target_id=str(target.pk), action__endswith=".redrive_exhausted")
        .exists()
    )


def _redrive(
    *, result: SweepResult, kind: str, target: models.Model, organization: Organization, task: str, now: datetime
) -> None:
    """Queue ``task`` for ``target`` again, unless it was just re-driven or has been re-driven too often."""
    if _redrives(target, since=now - _stale_after()) or _exhausted(target):
        return  # re-driven within the last interval (let it work), or already handed to operators
    entity = target._meta.model_name or kind
    if _redrives(target) >= settings.KONTOR_SWEEP_MAX_REDRIVES:
        audit_record(actor=ACTOR, action=f"{entity}.redrive_exhausted", target=target, organization=organization)
        result.exhausted.setdefault(kind, []).append(int(target.pk))
        return
    audit_record(actor=ACTOR, action=f"{entity}.redriven", target=target, organization=organization)
    # Stamped with the sweep's own clock: a sweep that reads the row after this one commits sees it as fresh, so two
    # sweeps never both re-drive it, whatever the audit log's wall-clock times say.
    type(target)._base_manager.filter(pk=target.pk).update(updated_at=now)
    enqueue_on_commit(task, int(target.pk))
    result.redriven.setdefault(kind, []).append(int(target.pk))


def provisioning_sweep(*, now: datetime, limit: int = 200) -> SweepResult:
    """Re-drive stale reservations (provisioning, ending, failed with servers left) and organizations
    (provisioning). Instances are re-driven through their reservation (its step re-sends one task per instance that
    is pending, building or stopping). Idempotent."""
    cutoff = now - _stale_after()
    result = SweepResult()
    recent_instance = Instance.objects.unscoped().filter(reservation=OuterRef("pk"), updated_at__gte=cutoff)
    # A failed reservation whose servers are still being removed (its deprovisioning message was lost): instances
    # not yet stopped, pending and building ones included (they may have a server booting).
    live_instance = Instance.objects.unscoped().filter(reservation=OuterRef("pk")).exclude(state=InstanceState.STOPPED)
    for state, kind, task, needs in (
        (ReservationState.PROVISIONING, "provisioning", PROVISION_TASK, Q()),
        (ReservationState.ENDING, "ending", DEPROVISION_TASK, Q()),
        (ReservationState.FAILED, "failed", DEPROVISION_TASK, Q(Exists(live_instance))),
    ):
        with transaction.atomic():
            stale = (
                Reservation.objects.unscoped()
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("organization")
                .filter(needs, state=state, updated_at__lt=cutoff)
                .filter(~Exists(recent_instance))
                .order_by("updated_at")[:limit]
            )
            for reservation in stale:
                _redrive(
                    result=result,
                    kind=kind,
                    target=reservation,
                    organization=reservation.organization,
                    task=task,
                    now=now,
                )
    with transaction.atomic():
        organizations = (
            Organization.objects.select_for_update(skip_locked=True)
            .filter(status=OrganizationStatus.PROVISIONING, updated_at__lt=cutoff)
            .order_by("updated_at")[:limit]
        )
        for organization in organizations:
            _redrive(
                result=result,
                kind="organization",
                target=organization,
                organization=organization,
                task=ACTIVATE_TASK,
                now=now,
            )
    return result
