"""Reads of provisioning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, Q

from provisioning.models import DriftFinding, DriftKind, Instance, InstanceState
from reservations.choices import ReservationState
from reservations.models import Reservation
from tenants.choices import OrganizationStatus
from tenants.models import Organization


def reservation_instances(*, reservation: Reservation) -> list[Instance]:
    """The reservation's servers in the cloud, in order, with their addresses and state histories."""
    return list(
        Instance.objects.for_organization(reservation.organization)
        .filter(reservation=reservation)
        .select_related("network")
        .prefetch_related("transitions")
    )


# --- The operator dashboard: failures, stuck work and drift ---------------------------------------------------------

# Work in a transitional state without progress for this long is stuck (the sweeper re-drives it after
# ``KONTOR_SWEEP_STALE_SECONDS``; this is when an operator should look).
STUCK_AFTER = timedelta(minutes=30)
FAILURE_WINDOW = timedelta(days=7)
INSTANCE_TRANSITIONAL = (InstanceState.PENDING, InstanceState.BUILDING, InstanceState.STOPPING)
RESERVATION_TRANSITIONAL = (ReservationState.PROVISIONING, ReservationState.ENDING)


@dataclass(frozen=True)
class FailedInstance:
    instance_id: int
    reservation_id: int
    organization_name: str
    last_error: str
    failed_at: datetime


@dataclass(frozen=True)
class ProvisioningHealth:
    """Failures of the last ``FAILURE_WINDOW`` and work stuck for longer than ``STUCK_AFTER``, at ``now``."""

    since: datetime  # failures counted from here
    stuck_before: datetime  # no progress since before this instant: stuck
    failed_instances: int
    failed_reservations: int
    latest_failures: list[FailedInstance]
    stuck_instances: int
    stuck_reservations: int
    stuck_organizations: int
    oldest_stuck_since: datetime | None


def provisioning_health(*, now: datetime, latest: int = 5) -> ProvisioningHealth:
    """Four queries: instance counts (failed, stuck), the latest failures, reservation counts, organizations."""
    since = now - FAILURE_WINDOW
    stuck_before = now - STUCK_AFTER
    instances = Instance.objects.unscoped().aggregate(
        failed=Count("id", filter=Q(state=InstanceState.FAILED, updated_at__gte=since)),
        stuck=Count("id", filter=Q(state__in=INSTANCE_TRANSITIONAL, updated_at__lt=stuck_before)),
        stuck_since=Min("updated_at", filter=Q(state__in=INSTANCE_TRANSITIONAL, updated_at__lt=stuck_before)),
    )
    reservations = Reservation.objects.unscoped().aggregate(
        failed=Count("id", filter=Q(state=ReservationState.FAILED, updated_at__gte=since)),
        stuck=Count("id", filter=Q(state__in=RESERVATION_TRANSITIONAL, updated_at__lt=stuck_before)),
        stuck_since=Min("updated_at", filter=Q(state__in=RESERVATION_TRANSITIONAL, updated_at__lt=stuck_before)),
    )
    organizations = Organization.objects.filter(
        status=OrganizationStatus.PROVISIONING, updated_at__lt=stuck_before
    ).aggregate(stuck=Count("id"), stuck_since=Min("updated_at"))
    failures = [
        FailedInstance(
            instance_id=row["id"],
            reservation_id=row["reservation_id"],
            organization_name=row["organization__legal_name"],
            last_error=row["last_error"],
            failed_at=row["updated_at"],
        )
        for row in Instance.objects.unscoped()
        .filter(state=InstanceState.FAILED, updated_at__gte=since)
        .order_by("-updated_at", "-id")
        .values("id", "reservation_id", "organization__legal_name", "last_error", "updated_at")[:latest]
    ]
    stuck_since = [
        moment
        for moment in (instances["stuck_since"], reservations["stuck_since"], organizations["stuck_since"])
        if moment is not None
    ]
    return ProvisioningHealth(
        since=since,
        stuck_before=stuck_before,
        failed_instances=instances["failed"],
        failed_reservations=reservations["failed"],
        latest_failures=failures,
        stuck_instances=instances["stuck"],
        stuck_reservations=reservations["stuck"],
        stuck_organizations=organizations["stuck"],
        oldest_stuck_since=min(stuck_since, default=None),
    )


@dataclass(frozen=True)
class DriftSummary:
    open_by_kind: dict[str, int]  # not repaired, per DriftKind value (every kind present, 0 when none)
    detected_recently: int  # found in the last FAILURE_WINDOW, repaired or not
    last_detected_at: datetime | None

    @property
    def open(self) -> int:
        return sum(self.open_by_kind.values())


def drift_summary(*, now: datetime) -> DriftSummary:
    """Reconciliation's findings: open ones by kind and how many were found lately. One query."""
    figures = DriftFinding.objects.aggregate(
        recent=Count("id", filter=Q(detected_at__gte=now - FAILURE_WINDOW)),
        last=Max("detected_at"),
        **{kind: Count("id", filter=Q(kind=kind, repaired=False)) for kind in DriftKind.values},
    )
    return DriftSummary(
        open_by_kind={kind: figures[kind] for kind in DriftKind.values},
        detected_recently=figures["recent"],
        last_detected_at=figures["last"],
    )
