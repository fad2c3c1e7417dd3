"""The one rule set of every order: booking a quote, extending a reservation and any later change call it.

``order_rules_check`` runs, in this order and under the organization's row lock (taken by the caller in the same
transaction): the organization may order (active, documents in force accepted), the window limits (a sane date,
whole hours, at most ``MAX_WINDOW_HOURS`` in all), the GPU quota, and the guards of higher apps (billing's budget hard
cap). Capacity is the last rule and is checked by the caller where it takes the GPUs (placement for a booking, the
same GPUs for an extension), because only there is the answer exact. Each refusal is a ``ValidationError`` with a
stable code, the same for the API and the web forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from catalog.choices import MAX_WINDOW_HOURS, Commitment
from catalog.models import Quote
from core.datetimes import DATETIME_RANGE_CODE, datetime_range_error
from core.statements import Statement
from reservations.allocation import overlapping
from reservations.choices import ReservationKind
from reservations.guards import (
    OrderDescription,
    OrderGuard,
    OrderRefusal,
    order_guard_reads,
    order_guards_check,
    order_guards_reading,
)
from reservations.models import Allocation, QuotaLimit, Reservation
from tenants.choices import OrganizationStatus
from tenants.models import Organization
from tenants.services import consents_missing, consents_statement
from tenants.services.legal import ConsentRows

ONE_HOUR = timedelta(hours=1)


def quota_limit(*, organization: Organization, gpu_model_id: int) -> int:
    limit = QuotaLimit.objects.for_organization(organization).filter(gpu_model_id=gpu_model_id).first()
    return limit.max_gpus if limit is not None else settings.KONTOR_DEFAULT_GPU_QUOTA


def _held_allocations(
    *,
    organization: Organization,
    gpu_model_id: int,
    starts_at: datetime,
    ends_at: datetime | None,
    exclude_reservation_id: int | None = None,
) -> QuerySet[Allocation]:
    allocations = Allocation.objects.for_organization(organization).filter(
        overlapping(starts_at, ends_at), gpu_model_id=gpu_model_id
    )
    if exclude_reservation_id is not None:
        allocations = allocations.exclude(reservation_id=exclude_reservation_id)
    return allocations


def gpus_held(
    *,
    organization: Organization,
    gpu_model_id: int,
    starts_at: datetime,
    ends_at: datetime | None,
    exclude_reservation_id: int | None = None,
) -> int:
    """The organization's GPUs of one model held at some moment of the window (an upper bound: overlaps add up)."""
    allocations = _held_allocations(
        organization=organization,
        gpu_model_id=gpu_model_id,
        starts_at=starts_at,
        ends_at=ends_at,
        exclude_reservation_id=exclude_reservation_id,
    )
    total = allocations.aggregate(total=Sum("gpu_count"))["total"]
    return int(total or 0)


#: ``quota_limit`` and ``gpus_held`` in one statement, without the ORM: every order runs it under the organization's
#: lock. The same conditions as ``_held_allocations`` (``overlapping``) and ``quota_limit`` (the first row by id).
#: The allocations are counted by the GPU model each row names (``reservations_alloc_org_model``: one table, a plan
#: made in a tenth of a millisecond, where joining each row to its node, pool and node type took half of one).
QUOTA_AND_HELD_SQL = """
SELECT
    (SELECT q.max_gpus FROM reservations_quotalimit q
     WHERE q.organization_id = %(organization)s AND q.gpu_model_id = %(gpu_model)s ORDER BY q.id LIMIT 1),
    (SELECT COALESCE(SUM(a.gpu_count), 0)
     FROM reservations_allocation a
     WHERE a.organization_id = %(organization)s AND a.gpu_model_id = %(gpu_model)s AND a.released_at IS NULL
       AND (a.ends_at IS NULL OR a.ends_at > %(starts)s)
       AND (%(ends)s::timestamptz IS NULL OR a.starts_at < %(ends)s::timestamptz)
       AND (%(exclude)s::bigint IS NULL OR a.reservation_id <> %(exclude)s::bigint))
"""


def _quota_params(
    *,
    organization: Organization,
    gpu_model_id: int,
    starts_at: datetime,
    ends_at: datetime | None,
    exclude_reservation_id: int | None,
) -> dict[str, Any]:
    return {
        "organization": organization.pk,
        "gpu_model": gpu_model_id,
        "starts": starts_at,
        "ends": ends_at,
        "exclude": exclude_reservation_id,
    }


def _quota_row(quota: int | None, total: int | None) -> tuple[int, int]:
    return (int(quota) if quota is not None else settings.KONTOR_DEFAULT_GPU_QUOTA), int(total or 0)


def quota_limit_and_held(
    *,
    organization: Organization,
    gpu_model_id: int,
    starts_at: datetime,
    ends_at: datetime | None,
    exclude_reservation_id: int | None = None,
) -> tuple[int, int]:
    """``quota_limit`` and ``gpus_held`` in one statement: what an order's quota check reads."""
    if connection.vendor == "postgresql":
        params = _quota_params(
            organization=organization,
            gpu_model_id=gpu_model_id,
            starts_at=starts_at,
            ends_at=ends_at,
            exclude_reservation_id=exclude_reservation_id,
        )
        with connection.cursor() as cursor:
            cursor.execute(QUOTA_AND_HELD_SQL, params)
            quota, total = cursor.fetchone()
    else:  # the embedded SQLite default: the same two reads through the ORM
        limit = QuotaLimit.objects.for_organization(organization).filter(gpu_model_id=gpu_model_id).first()
        quota = limit.max_gpus if limit is not None else None
        total = gpus_held(
            organization=organization,
            gpu_model_id=gpu_model_id,
            starts_at=starts_at,
            ends_at=ends_at,
            exclude_reservation_id=exclude_reservation_id,
        )
    return _quota_row(quota, total)


def booking_order(*, organization: Organization, quote: Quote, now: datetime) -> OrderDescription:
    """What booking ``quote`` asks for. On demand runs from now; its net covers the quote's estimated window."""
    flavor = quote.flavor
    if quote.commitment == Commitment.ON_DEMAND:
        start = now.replace(microsecond=0)
        kind, starts_at, ends_at = ReservationKind.ON_DEMAND, start, None
        adds_from, adds_until = start, start + (quote.ends_at - quote.starts_at)
    else:
        kind, starts_at, ends_at = ReservationKind.RESERVED, quote.starts_at, quote.ends_at
        adds_from, adds_until = quote.starts_at, quote.ends_at
    return OrderDescription(
        organization=organization,
        flavor=flavor,
        gpu_model_id=flavor.node_type.gpu_model_id,
        kind=kind,
        instance_count=quote.instance_count,
        starts_at=starts_at,
        ends_at=ends_at,
        adds_from=adds_from,
        adds_until=adds_until,
        additional_net=quote.net_amount,
        now=now,
    )


def extension_order(*, reservation: Reservation, ends_at: datetime, now: datetime) -> OrderDescription:
    """What moving the end of ``reservation`` to ``ends_at`` asks for: the added hours at the quote's own rate."""
    assert reservation.ends_at is not None
    quote = reservation.quote
    quoted_seconds = int((quote.ends_at - quote.starts_at).total_seconds())
    added_seconds = max(0, int((ends_at - reservation.ends_at).total_seconds()))
    additional = quote.net_amount * added_seconds / quoted_seconds if quoted_seconds > 0 else Decimal(0)
    return OrderDescription(
        organization=reservation.organization,
        flavor=reservation.flavor,
        gpu_model_id=reservation.flavor.node_type.gpu_model_id,
        kind=reservation.kind,
        instance_count=reservation.instance_count,
        starts_at=reservation.starts_at,
        ends_at=ends_at,
        adds_from=reservation.ends_at,
        adds_until=ends_at,
        additional_net=additional,
        now=now,
        reservation_id=reservation.pk,
    )


@dataclass(frozen=True)
class OrderReads:
    """What ``order_rules_check`` reads from the database, read by the caller in the round trip of the
    organization's lock, after the lock (``order_reads_statements``): the consents' rows, the quota row and the
    rows of each guard's read (``reservations.guards``)."""

    consents: ConsentRows
    quota: tuple[int, int]
    guards: dict[OrderGuard, list[tuple[Any, ...]]]


def _quota_window(order: OrderDescription) -> tuple[datetime, datetime | None]:
    if order.reservation_id is not None:
        return order.adds_from, order.adds_until
    return order.starts_at, order.ends_at


def order_reads_statements(order: OrderDescription) -> list[Statement] | None:
    """The reads of ``order_rules_check`` as statements to send after the organization's lock in its round trip
    (PostgreSQL; None elsewhere); their results, in order, make ``order_reads``."""
    if connection.vendor != "postgresql":
        return None
    starts_at, ends_at = _quota_window(order)
    quota = _quota_params(
        organization=order.organization,
        gpu_model_id=order.gpu_model_id,
        starts_at=starts_at,
        ends_at=ends_at,
        exclude_reservation_id=order.reservation_id,
    )
    guards = [statement for _guard, statement in order_guard_reads(order)]
    return [consents_statement(organization=order.organization), (QUOTA_AND_HELD_SQL, quota), *guards]


def order_reads(results: list[list[tuple[Any, ...]]]) -> OrderReads:
    """``OrderReads`` from the rows of ``order_reads_statements``, in order."""
    consents, quota, *guards = results
    read = order_guards_reading()
    if len(read) != len(guards):
        raise RuntimeError("The order guards with a read changed between the statements and their rows.")
    return OrderReads(
        consents=[(row[0], row[1], row[2]) for row in consents],
        quota=_quota_row(*quota[0]),
        guards=dict(zip(read, guards, strict=True)),
    )


def _check_organization(organization: Organization, reads: OrderReads | None) -> None:
    if organization.status != OrganizationStatus.ACTIVE:
        raise ValidationError(
            _("%(name)s cannot order yet (status: %(status)s).")
            % {"name": organization.legal_name, "status": OrganizationStatus(organization.status).label},
            code="organization_not_active",
        )
    missing = consents_missing(organization=organization, rows=reads.consents if reads is not None else None)
    if missing:
        raise ValidationError(
            _("Accept the new version of %(documents)s before the next order.")
            % {"documents": ", ".join(str(document) for document in missing)},
            code="consent_required",
        )


def _check_window(order: OrderDescription) -> None:
    for moment in (order.starts_at, order.ends_at):
        error = datetime_range_error(moment) if moment is not None else None
        if error is not None:
            raise ValidationError(error, code=DATETIME_RANGE_CODE)
    if order.ends_at is None:
        return
    length = order.ends_at - order.starts_at
    if length % ONE_HOUR:
        raise ValidationError(_("The window must last a whole number of hours."), code="window_not_whole_hours")
    if length > MAX_WINDOW_HOURS * ONE_HOUR:
        raise ValidationError(
            _("A window lasts at most %(days)d days.") % {"days": MAX_WINDOW_HOURS // 24}, code="window_too_long"
        )


def _check_quota(order: OrderDescription, reads: OrderReads | None) -> None:
    starts_at, ends_at = _quota_window(order)
    limit, held = (
        reads.quota
        if reads is not None
        else quota_limit_and_held(
            organization=order.organization,
            gpu_model_id=order.gpu_model_id,
            starts_at=starts_at,
            ends_at=ends_at,
            exclude_reservation_id=order.reservation_id,
        )
    )
    if held + order.gpus > limit:
        raise ValidationError(
            _(
                "This order needs %(wanted)d GPUs; your quota allows %(limit)d at a time and %(held)d are "
                "booked. An owner can request more."
            )
            % {"wanted": order.gpus, "limit": limit, "held": held},
            code="quota_exceeded",
        )


def order_rules_check(order: OrderDescription, reads: OrderReads | None = None) -> None:
    """Every rule but capacity, first refusal raised. Call it under the organization's row lock; ``reads`` are its
    reads when the caller made them in the lock's round trip (``order_reads_statements``), for this very order."""
    _check_organization(order.organization, reads)
    _check_window(order)
    _check_quota(order, reads)
    order_guards_check(order, reads.guards if reads is not None else None)


def booking_refusal(*, organization: Organization, quote: Quote, now: datetime) -> OrderRefusal | None:
    """Why booking ``quote`` would be refused now by every rule but capacity, or None: ``order_rules_check`` on the
    booking's own ``booking_order``, the very checks ``reservation_create`` runs, so a quote page can say at once what
    the booking would say. Without the organization's lock it is a preview; the booking checks again under it."""
    try:
        order_rules_check(booking_order(organization=organization, quote=quote, now=now))
    except ValidationError as error:
        return OrderRefusal(" ".join(error.messages), code=error.code or "invalid")
    return None
