"""The reads of the reservations API that are shaped by its answers (here, not in ``reservations.selectors``: they
name provisioning's models, which sit above reservations)."""

from __future__ import annotations

from django.db.models import Prefetch

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
