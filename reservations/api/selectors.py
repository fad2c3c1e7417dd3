"""The reads of the reservations API that are shaped by its answers (here, not in ``reservations.selectors``: they
name provisioning's models, which sit above reservations)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch

from core.prepared import PreparedQuery
from core.statements import statements_execute
from provisioning.models import Instance, InstanceTransition, ReservationAccess
from reservations.models import Allocation, Reservation
from tenants.models import Organization
from tenants.scoping import TenantQuerySet


def reservation_list_for_api(*, organization: Organization) -> TenantQuerySet[Reservation]:
    """``reservations.selectors.reservation_list`` with only the columns ``ReservationSerializer`` shows: the
    slugs and tag of the related rows, not their descriptions, prices or certificates, and the quote as its ID.
    The same queries, fewer and smaller rows built per page."""
    return (
        Reservation.objects.for_organization(organization)
        .select_related("flavor", "zone", "item_version__item")
        .only(
            *("id", "organization_id", "kind", "state", "state_reason", "quote_id", "instance_count"),
            *("starts_at", "ends_at", "purchase_order_reference", "created_at"),
            *("flavor__id", "flavor__slug", "flavor__gpu_count", "zone__id", "zone__slug"),
            *("item_version__id", "item_version__tag", "item_version__item__id", "item_version__item__slug"),
        )
        .prefetch_related(
            Prefetch(
                "instances",
                queryset=Instance.objects.unscoped()
                .select_related("network")
                .only(
                    *("id", "organization_id", "reservation_id", "index", "name", "state", "address", "ssh_user"),
                    *("service_url", "started_at", "stopped_at"),
                    *("network__id", "network__public_address", "network__ssh_fingerprints"),
                ),
            ),
            Prefetch(
                "instances__transitions",
                queryset=InstanceTransition.objects.unscoped().only(
                    "id", "instance_id", "from_state", "to_state", "reason", "occurred_at"
                ),
            ),
            Prefetch(
                "access",
                queryset=ReservationAccess.objects.unscoped().only(
                    *("id", "reservation_id", "public_address", "ssh_keys", "service_token_encrypted"),
                    "tls_fingerprint",
                ),
            ),
            Prefetch(
                "allocations",
                queryset=Allocation.objects.unscoped()
                .filter(released_at__isnull=True)
                .select_related("node")
                .only(
                    *("id", "reservation_id", "instance_index", "gpu_first", "gpu_count", "starts_at", "ends_at"),
                    *("node__id", "node__hostname"),
                ),
                to_attr="live_allocations",
            ),
        )
    )


#: The columns of one reservation in a list page: its own, the related slugs and tag, and its access row (a
#: reverse one-to-one, left-joined: ``access__id`` is None when the order chose none).
RESERVATION_LIST_COLUMNS = (
    *("id", "kind", "state", "state_reason", "quote_id", "instance_count", "starts_at", "ends_at"),
    *("purchase_order_reference", "created_at", "flavor__slug", "flavor__gpu_count", "zone__slug"),
    *("item_version__tag", "item_version__item__slug"),
    *("access__id", "access__public_address", "access__ssh_keys", "access__service_token_encrypted"),
    "access__tls_fingerprint",
)


def reservation_rows_for_api(*, organization: Organization) -> TenantQuerySet[Any]:
    """The reservation list's rows as dictionaries (``RESERVATION_LIST_COLUMNS``), for the cursor paginator and
    ``reservation_rows_related``: one query per page, no model instances built."""
    return Reservation.objects.for_organization(organization).values(*RESERVATION_LIST_COLUMNS)  # type: ignore[return-value]


def _allocation_rows(organization: Organization) -> TenantQuerySet[Any]:
    live = Allocation.objects.for_organization(organization).filter(released_at__isnull=True)
    return live.values(  # type: ignore[return-value]
        "reservation_id", "instance_index", "node__hostname", "gpu_first", "gpu_count", "starts_at", "ends_at"
    )


def _instance_rows(organization: Organization) -> TenantQuerySet[Any]:
    return Instance.objects.for_organization(organization).values(  # type: ignore[return-value]
        *("id", "reservation_id", "index", "name", "state", "address", "ssh_user", "service_url"),
        *("started_at", "stopped_at", "network__id", "network__public_address", "network__ssh_fingerprints"),
    )


def _transition_rows(organization: Organization) -> TenantQuerySet[Any]:
    return InstanceTransition.objects.for_organization(organization).values(  # type: ignore[return-value]
        "instance_id", "from_state", "to_state", "reason", "occurred_at"
    )


def _related_grouped(
    allocation_rows: Any, instance_rows: Any, transition_rows: Callable[[list[int]], Any]
) -> dict[str, Any]:
    allocations: dict[int, list[dict[str, Any]]] = defaultdict(list)
    instances: dict[int, list[dict[str, Any]]] = defaultdict(list)
    transitions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for allocation in allocation_rows:
        allocations[allocation["reservation_id"]].append(allocation)
    instance_ids = []
    for instance in instance_rows:
        instances[instance["reservation_id"]].append(instance)
        instance_ids.append(instance["id"])
    if instance_ids:
        for transition in transition_rows(instance_ids):
            transitions[transition["instance_id"]].append(transition)
    return {"allocations": allocations, "instances": instances, "transitions": transitions}


def reservation_rows_related(*, organization: Organization, reservation_ids: list[int]) -> dict[str, Any]:
    """What a page of reservations shows besides their own rows, grouped by reservation ID: the live allocations
    (node hostname), the instances (their address row, left-joined) and the instances' transitions. Three queries
    per page whatever its size (two when no reservation has instances yet), the orderings of the models' Meta
    (the same as ``reservation_list_for_api``'s prefetches)."""
    if not reservation_ids:
        return _related_grouped([], [], lambda ids: [])
    return _related_grouped(
        _allocation_rows(organization).filter(reservation_id__in=reservation_ids),
        _instance_rows(organization).filter(reservation_id__in=reservation_ids),
        lambda instance_ids: _transition_rows(organization).filter(instance_id__in=instance_ids),
    )


def _of_one_reservation(
    rows: Callable[[Organization], TenantQuerySet[Any]], lookup: str
) -> PreparedQuery[dict[str, Any]]:
    """``rows(organization)`` of one reservation (``lookup``: the path to its id), compiled once per process."""
    return PreparedQuery(
        lambda organization, reservation: rows(Organization(pk=organization)).filter(**{lookup: reservation}),
        organization=int,
        reservation=int,
    )


# One reservation's answer (after an order, a cancel, an extension: in the transaction that holds the organization's
# lock, so every racing order of the organization waits for these reads).
_ONE_ROW = _of_one_reservation(lambda organization: reservation_rows_for_api(organization=organization), "pk")
_ONE_ALLOCATIONS = _of_one_reservation(_allocation_rows, "reservation_id")
_ONE_INSTANCES = _of_one_reservation(_instance_rows, "reservation_id")
_ONE_TRANSITIONS = _of_one_reservation(_transition_rows, "instance__reservation_id")


def reservation_row_for_api(*, organization: Organization, reservation_id: int) -> tuple[dict[str, Any] | None, Any]:
    """One reservation's row and ``reservation_rows_related`` for it (None and nothing when the organization has no
    such reservation): the same rows, from statements compiled once per process, all four in one round trip."""
    reads = [_ONE_ROW, _ONE_ALLOCATIONS, _ONE_INSTANCES, _ONE_TRANSITIONS]
    found = statements_execute(
        [
            read.statement(prefix=f"one{number}_", organization=organization.pk, reservation=reservation_id)
            for number, read in enumerate(reads)
        ]
    )
    rows, allocations, instances, transitions = (read.answer(raw) for read, raw in zip(reads, found, strict=True))
    if not rows:
        return None, {}
    return rows[0], _related_grouped(allocations, instances, lambda instance_ids: transitions)
