"""The last steps of the ordering wizard, shown on the catalog's quote page: live availability for an open quote and
the form that books it (posted to ``reservation_book``). The catalog view renders
``reservations/_quote_booking.html`` with this context, so the catalog holds no reservations logic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from catalog.choices import Commitment, QuoteStatus
from catalog.models import Quote
from catalog.selectors import flavor_list, zone_list
from reservations.availability import availability_check
from reservations.choices import ReservationKind
from reservations.guards import OrderRefusal
from reservations.rules import booking_refusal
from reservations.selectors import reservation_ids_by_quote
from reservations.web.forms import BookForm
from tenants.models import Membership, Organization
from tenants.permissions import Action, role_allows
from tenants.selectors import ssh_key_list_usable_by


@dataclass(frozen=True)
class NamedAlternative:
    """Where or how the quote would fit instead, by name."""

    zone_name: str
    flavor_name: str
    instance_count: int


@dataclass(frozen=True)
class QuoteBooking:
    """Live availability of an open quote; ``form`` is None when the member's role may not book, when the quote is
    booked already (``reservation_id``: the latest reservation booked from it) or when the order rules refuse it
    (``refusal``: quota, budget hard cap, the organization's state — the booking's own checks)."""

    fits: bool
    zone_name: str
    earliest_start: datetime | None
    alternatives: list[NamedAlternative]
    on_demand: bool
    form: BookForm | None
    refusal: OrderRefusal | None = None
    reservation_id: int | None = None
    may_request_quota: bool = False  # the refusal links to the quota page or the spend page, for roles that may open it
    may_see_spend: bool = False


def ssh_key_choices(organization: Organization, membership: Membership) -> list[tuple[int, str]]:
    """The keys an order may put on its servers, labelled with their fingerprints."""
    return [
        (key.pk, f"{key.name} ({key.fingerprint})")
        for key in ssh_key_list_usable_by(organization=organization, user=membership.user)
    ]


def quote_booking(
    *, organization: Organization, membership: Membership, quote: Quote, now: datetime | None = None
) -> QuoteBooking | None:
    """Availability now for the quote's flavor, count and window (on demand: from now, until released), and a fresh
    book form with its own idempotency key. None for an expired quote: it can no longer be booked."""
    now = now or timezone.now()
    if quote.organization_id != organization.pk or quote.status(now) != QuoteStatus.OPEN:
        return None
    on_demand = quote.commitment == Commitment.ON_DEMAND
    zones = list(zone_list())
    booked = reservation_ids_by_quote(organization=organization, quote_ids=[quote.pk]).get(quote.pk, [])
    if booked:
        return QuoteBooking(False, "", None, [], on_demand, None, reservation_id=booked[-1])
    refusal = booking_refusal(organization=organization, quote=quote, now=now)
    if refusal is not None:
        return QuoteBooking(
            False,
            "",
            None,
            [],
            on_demand,
            None,
            refusal=refusal,
            may_request_quota=role_allows(membership.role, Action.QUOTA_REQUEST),
            may_see_spend=role_allows(membership.role, Action.BILLING_VIEW),
        )
    availability = availability_check(
        flavor=quote.flavor,
        instances=quote.instance_count,
        kind=ReservationKind.ON_DEMAND if on_demand else ReservationKind.RESERVED,
        starts_at=now.replace(microsecond=0) if on_demand else quote.starts_at,
        ends_at=None if on_demand else quote.ends_at,
        zone=None,
        item_version_id=quote.item_version_id,
    )
    zone_names = {zone.slug: zone.display_name for zone in zones}
    flavor_names = {flavor.slug: flavor.name for flavor in flavor_list(include_inactive=True)}
    may_book = role_allows(membership.role, Action.RESERVATIONS_MANAGE)
    return QuoteBooking(
        fits=availability.fits,
        zone_name=zone_names.get(availability.zone or "", availability.zone or ""),
        earliest_start=availability.earliest_start if not availability.fits else None,
        alternatives=[
            NamedAlternative(
                zone_name=zone_names.get(alternative.zone, alternative.zone),
                flavor_name=flavor_names.get(alternative.flavor, alternative.flavor),
                instance_count=alternative.instance_count,
            )
            for alternative in availability.alternatives
        ],
        on_demand=on_demand,
        form=BookForm.for_quote(quote.pk, zones=zones, ssh_keys=ssh_key_choices(organization, membership))
        if may_book
        else None,
    )


def quote_booking_context(*, organization: Organization, membership: Membership, quote: Quote) -> dict[str, object]:
    """The context of ``reservations/_quote_booking.html`` for the quote page."""
    return {"booking": quote_booking(organization=organization, membership=membership, quote=quote)}
