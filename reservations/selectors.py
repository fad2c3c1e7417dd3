"""Reads of reservations. Tenant-owned lists always take the organization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Prefetch, Sum
from django.utils import timezone

from reservations.choices import QuotaRequestStatus, ReservationKind, ReservationState
from reservations.models import Allocation, QuotaRequest, Reservation
from tenants.models import Organization
from tenants.scoping import TenantQuerySet


def reservation_list(*, organization: Organization) -> TenantQuerySet[Reservation]:
    return (
        Reservation.objects.for_organization(organization)
        .select_related("flavor", "zone", "item_version__item", "quote")
        .prefetch_related(
            "instances__network",
            "instances__transitions",
            "access",
            Prefetch(
                "allocations",
                queryset=Allocation.objects.unscoped()
                .filter(released_at__isnull=True)
                .select_related("node")
                .order_by("instance_index"),
                to_attr="live_allocations",
            ),
        )
    )


def reservation_get(*, organization: Organization, reservation_id: int) -> Reservation | None:
    return reservation_list(organization=organization).filter(pk=reservation_id).first()


# --- The portal's reservation, quote and quota pages ----------------------------------------------------------------


@dataclass(frozen=True)
class ReservationActions:
    """What the portal offers for a reservation at a moment. The services check again under a lock when asked; this
    only decides which buttons a page shows, by the same preconditions."""

    cancel: bool  # free: the reservation has not started (reservation_cancel)
    release: bool  # it has started and runs (reservation_release)
    extend: bool  # a scheduled or running reserved window (reservation_extend)


def reservation_actions(*, reservation: Reservation, at: datetime | None = None) -> ReservationActions:
    now = at or timezone.now()
    state = reservation.state
    started = reservation.starts_at <= now
    return ReservationActions(
        cancel=state in (ReservationState.REQUESTED, ReservationState.SCHEDULED)
        or (state == ReservationState.PROVISIONING and not started),
        release=state in (ReservationState.PROVISIONING, ReservationState.ACTIVE) and started,
        extend=reservation.kind == ReservationKind.RESERVED
        and state in (ReservationState.SCHEDULED, ReservationState.PROVISIONING, ReservationState.ACTIVE),
    )


def reservation_ids_by_quote(*, organization: Organization, quote_ids: list[int]) -> dict[int, list[int]]:
    """For each of the quotes, the reservations booked from it (oldest first). One query."""
    booked: dict[int, list[int]] = {}
    rows = (
        Reservation.objects.for_organization(organization)
        .filter(quote_id__in=quote_ids)
        .order_by("id")
        .values_list("quote_id", "id")
    )
    for quote_id, reservation_id in rows:
        booked.setdefault(quote_id, []).append(reservation_id)
    return booked


def quota_request_list(*, organization: Organization) -> TenantQuerySet[QuotaRequest]:
    """The organization's quota requests, newest first."""
    return (
        QuotaRequest.objects.for_organization(organization).select_related("gpu_model").order_by("-created_at", "-id")
    )


# --- The operator dashboard ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingQuotaRequests:
    count: int
    requested_gpus: int
    oldest_created_at: datetime | None


def quota_requests_pending() -> PendingQuotaRequests:
    """Quota requests waiting for an operator, across organizations. One query."""
    figures = (
        QuotaRequest.objects.unscoped()
        .filter(status=QuotaRequestStatus.PENDING)
        .aggregate(count=Count("id"), gpus=Sum("requested_gpus"), oldest=Min("created_at"))
    )
    return PendingQuotaRequests(
        count=figures["count"], requested_gpus=figures["gpus"] or 0, oldest_created_at=figures["oldest"]
    )
