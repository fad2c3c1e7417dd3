"""quote_create and quote_get_bookable: exact stored values, every refusal with nothing stored, price versioning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.choices import Commitment, License, QuoteStatus
from catalog.compatibility import IncompatibleFlavorError
from catalog.models import CatalogItem, CatalogItemVersion, Flavor, Quote, QuoteLine
from catalog.selectors import QuoteExpiredError, QuoteNotFoundError, quote_get_bookable
from catalog.services import quote_create
from core.vat import VatCategory
from tenants.audit import Actor
from tenants.models import AuditEvent
from tests.catalog.conftest import NOW, launch_prices_for
from tests.catalog.factories import published_price_list
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

START = NOW + timedelta(hours=1)


def stored() -> tuple[int, int, int]:
    return (
        Quote.objects.unscoped().count(),
        QuoteLine.objects.unscoped().count(),
        AuditEvent.objects.unscoped().filter(action="quote.created").count(),
    )


def test_a_quote_stores_its_prices_lines_vat_and_validity(make_quote, organization, launch_prices):
    quote = make_quote()

    quote = Quote.objects.for_organization(organization).get(pk=quote.pk)
    assert (quote.item_version.item.slug, quote.item_version.tag, quote.flavor.slug) == (
        "nemo",
        "25.09",
        "b200-x8-metal",
    )
    assert (quote.instance_count, quote.commitment, quote.starts_at, quote.ends_at, quote.hours) == (
        1,
        Commitment.ON_DEMAND,
        START,
        START + timedelta(days=7),
        168,
    )
    assert (quote.currency, quote.price_list, quote.compute_unit_price, quote.license_unit_price) == (
        "EUR",
        launch_prices,
        Decimal("6.5000"),
        Decimal("0.8800"),
    )
    assert [
        (line.position, line.kind, line.description, line.quantity, line.unit_price, line.net_amount)
        for line in quote.lines.all()
    ] == [
        (
            1,
            "compute",
            "B200 ×8 bare metal, On demand: 1 × 8 GPUs × 168 h",
            Decimal("1344.0000"),
            Decimal("6.5000"),
            Decimal("8736.00"),
        ),
        (
            2,
            "license",
            "NVIDIA AI Enterprise license, per GPU-hour",
            Decimal("1344.0000"),
            Decimal("0.8800"),
            Decimal("1182.72"),
        ),
    ]
    assert (quote.net_amount, quote.vat_category, quote.vat_rate, quote.vat_amount, quote.gross_amount) == (
        Decimal("9918.72"),
        VatCategory.STANDARD,
        Decimal("19.00"),
        Decimal("1884.56"),
        Decimal("11803.28"),
    )
    assert (quote.created_at, quote.valid_until, quote.status(), quote.created_by_label) == (
        NOW,
        NOW + timedelta(days=7),
        QuoteStatus.OPEN,
        "tests",
    )
    event = AuditEvent.objects.for_organization(organization).get(action="quote.created")
    assert (event.target_id, event.data["gross"], event.data["price_list"]) == (
        str(quote.pk),
        "11803.28",
        launch_prices.pk,
    )


def test_many_instances_of_a_share_of_a_node(make_quote, items, flavors):
    quote = make_quote(
        version=items.version(items.pytorch),
        flavor=flavors["b200-x2"],
        instance_count=64,
        ends_at=START + timedelta(hours=10),
    )

    # 64 instances of 2 GPUs for 10 h = 1280 GPU-hours at 6.90; PyTorch is free: one line.
    assert [(line.quantity, line.net_amount) for line in quote.lines.all()] == [
        (Decimal("1280.0000"), Decimal("8832.00"))
    ]
    assert (quote.net_amount, quote.vat_amount, quote.gross_amount) == (
        Decimal("8832.00"),
        Decimal("1678.08"),
        Decimal("10510.08"),
    )


def test_a_reserved_year_includes_the_license(make_quote):
    quote = make_quote(commitment=Commitment.RESERVED_12M, ends_at=START + timedelta(days=365))

    assert [(line.kind, line.quantity, line.unit_price, line.net_amount) for line in quote.lines.all()] == [
        ("compute", Decimal("70080.0000"), Decimal("4.2000"), Decimal("294336.00")),
        ("license", Decimal("70080.0000"), Decimal("0.0000"), Decimal("0.00")),
    ]
    assert quote.gross_amount == Decimal("350259.84")


@pytest.mark.parametrize(
    ("country", "vat_id", "verified", "category", "rate", "vat", "gross", "note"),
    [
        ("DE", "", False, "S", "19.00", "1884.56", "11803.28", ""),
        ("AT", "ATU12345678", False, "S", "19.00", "1884.56", "11803.28", "German VAT applies"),
        ("NL", "NL123456789B01", True, "AE", "0.00", "0.00", "9918.72", "Reverse charge"),
        ("CH", "CHE123456789", True, "O", "0.00", "0.00", "9918.72", "Not subject to German VAT"),
    ],
)
def test_vat_follows_the_organization(make_quote, country, vat_id, verified, category, rate, vat, gross, note):
    customer = OrganizationFactory.create(
        country=country, vat_id=vat_id, vat_id_verified_at=datetime(2026, 11, 1, tzinfo=UTC) if verified else None
    )

    quote = make_quote(organization=customer)

    assert (quote.vat_category, str(quote.vat_rate), str(quote.vat_amount), str(quote.gross_amount)) == (
        category,
        rate,
        vat,
        gross,
    )
    assert quote.vat_note.startswith(note)


def refused(make_quote, **overrides) -> dict[str, list[str]]:
    before = stored()
    with pytest.raises(ValidationError) as refusal:
        make_quote(**overrides)
    assert stored() == before == (0, 0, 0)
    return refusal.value.message_dict


@pytest.mark.parametrize("count", [0, -1, 65])
def test_an_instance_count_the_flavor_cannot_form_is_refused(make_quote, count):
    assert refused(make_quote, instance_count=count) == {
        "instance_count": ["Order between 1 and 64 instances of B200 ×8 bare metal."]
    }


def test_a_window_in_the_past_is_refused(make_quote):
    assert refused(make_quote, starts_at=NOW - timedelta(minutes=2), ends_at=NOW + timedelta(minutes=58)) == {
        "starts_at": ["The window starts in the past; choose a start from now on."]
    }


def test_a_start_within_the_last_minute_counts_as_now(make_quote):
    quote = make_quote(starts_at=NOW - timedelta(seconds=59), ends_at=NOW - timedelta(seconds=59) + timedelta(hours=2))

    assert quote.hours == 2


@pytest.mark.parametrize(
    "ends_at",
    [START - timedelta(hours=1), START],
    ids=["before the start", "at the start"],
)
def test_a_window_ending_before_it_starts_is_refused(make_quote, ends_at):
    assert refused(make_quote, ends_at=ends_at) == {"ends_at": ["The window ends before it starts."]}


def test_a_window_must_be_whole_hours(make_quote):
    assert refused(make_quote, ends_at=START + timedelta(hours=2, minutes=30)) == {
        "ends_at": ["The window must last a whole number of hours."]
    }
    assert refused(make_quote, ends_at=START + timedelta(minutes=30)) == {
        "ends_at": ["The window must last at least one hour."]
    }


def test_microseconds_are_dropped_from_the_window(make_quote):
    quote = make_quote(starts_at=START + timedelta(microseconds=7), ends_at=START + timedelta(hours=3, microseconds=9))

    assert (quote.starts_at, quote.ends_at) == (START, START + timedelta(hours=3))


def test_a_window_too_long_or_too_far_ahead_is_refused(make_quote):
    assert refused(make_quote, ends_at=START + timedelta(days=373)) == {"ends_at": ["A window lasts at most 372 days."]}
    assert refused(make_quote, starts_at=NOW + timedelta(days=366), ends_at=NOW + timedelta(days=367)) == {
        "starts_at": ["A window starts at most 365 days from now."]
    }


def test_the_longest_window_is_accepted(make_quote):
    assert make_quote(ends_at=START + timedelta(days=372)).hours == 372 * 24


@pytest.mark.parametrize(
    ("commitment", "too_short", "long_enough", "message"),
    [
        (
            Commitment.RESERVED_1M,
            timedelta(days=29, hours=23),
            timedelta(days=30),
            "Reserved, 1 month needs a window of at least 30 days (720 hours).",
        ),
        (
            Commitment.RESERVED_12M,
            timedelta(days=364),
            timedelta(days=365),
            "Reserved, 12 months needs a window of at least 365 days (8760 hours).",
        ),
    ],
)
def test_a_reservation_needs_a_window_as_long_as_its_commitment(
    make_quote, commitment, too_short, long_enough, message
):
    assert refused(make_quote, commitment=commitment, ends_at=START + too_short) == {"commitment": [message]}

    assert make_quote(commitment=commitment, ends_at=START + long_enough).commitment == commitment


def test_several_problems_are_reported_together(make_quote):
    assert refused(make_quote, instance_count=0, currency="USD", ends_at=START - timedelta(hours=1)) == {
        "currency": ["Kontor quotes in EUR only; USD is not accepted."],
        "instance_count": ["Order between 1 and 64 instances of B200 ×8 bare metal."],
        "ends_at": ["The window ends before it starts."],
    }


@pytest.mark.parametrize("currency", ["USD", "CHF", ""])
def test_a_currency_other_than_eur_is_refused(make_quote, currency):
    assert refused(make_quote, currency=currency) == {
        "currency": [f"Kontor quotes in EUR only; {currency or '—'} is not accepted."]
    }


def test_an_incompatible_item_and_flavor_is_refused_with_the_reason(make_quote, flavors):
    before = stored()

    with pytest.raises(IncompatibleFlavorError) as refusal:
        make_quote(flavor=flavors["b200-x4"])

    assert refusal.value.message_dict == {
        "flavor": [
            "NeMo Framework 25.09 cannot run on B200 ×4. It needs a whole node; this flavor has 4 of the node's 8 GPUs."
        ]
    }
    assert stored() == before == (0, 0, 0)


def test_a_flavor_no_longer_offered_or_an_unpublished_item_is_refused(make_quote):
    Flavor.objects.filter(slug="b200-x8-metal").update(is_active=False)
    CatalogItem.objects.filter(slug="nemo").update(is_published=False)

    version = CatalogItemVersion.objects.select_related("item").get(item__slug="nemo")

    assert refused(make_quote, flavor=Flavor.objects.get(slug="b200-x8-metal"), version=version) == {
        "item": ["There is no catalog item nemo."],
        "flavor": ["The flavor b200-x8-metal is not offered."],
    }


def test_no_price_list_in_effect_is_refused(now, flavors, items, organization):
    published_price_list(name="Next year", effective_from=NOW + timedelta(days=1), compute=launch_prices_for(flavors))

    with pytest.raises(ValidationError) as refusal:
        quote_create(
            actor=Actor.system("tests"),
            organization=organization,
            version=items.version(items.pytorch),
            flavor=flavors["b200-x1"],
            instance_count=1,
            commitment=Commitment.ON_DEMAND,
            starts_at=START,
            ends_at=START + timedelta(hours=1),
        )

    assert refusal.value.messages == ["No price list is in effect yet; quotes are not possible right now."]
    assert stored() == (0, 0, 0)


def test_a_quote_made_at_the_old_price_keeps_it_after_a_new_price_list_takes_effect(make_quote, flavors, organization):
    old = make_quote()
    new_list = published_price_list(
        name="2027 prices",
        effective_from=NOW + timedelta(days=2),
        compute=launch_prices_for(flavors, scale=Decimal("1.10")),
        license={(License.NVIDIA_AI_ENTERPRISE, commitment): Decimal("0.95") for commitment in Commitment},
    )

    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        bookable = quote_get_bookable(organization=organization, quote_id=old.pk)
        newer = make_quote(starts_at=NOW + timedelta(days=3, hours=1), ends_at=NOW + timedelta(days=10, hours=1))

    assert (bookable.price_list.name, bookable.compute_unit_price, bookable.net_amount, bookable.gross_amount) == (
        "2026 launch prices",
        Decimal("6.5000"),
        Decimal("9918.72"),
        Decimal("11803.28"),
    )
    assert [line.net_amount for line in bookable.lines.all()] == [Decimal("8736.00"), Decimal("1182.72")]
    # The new list: 6.50 * 1.10 = 7.15 per GPU-hour, and 0.95 for the license.
    assert (newer.price_list, newer.compute_unit_price, newer.license_unit_price) == (
        new_list,
        Decimal("7.1500"),
        Decimal("0.9500"),
    )
    assert [line.net_amount for line in newer.lines.all()] == [Decimal("9609.60"), Decimal("1276.80")]


def test_an_expired_quote_cannot_be_booked(make_quote, organization):
    quote = make_quote()

    with time_machine.travel(NOW + timedelta(days=7), tick=False):
        with pytest.raises(QuoteExpiredError) as refusal:
            quote_get_bookable(organization=organization, quote_id=quote.pk)
        status = Quote.objects.for_organization(organization).get().status()

    assert refusal.value.message_dict == {
        "quote": [f"Quote {quote.pk} expired at 2 Dec 2026, 11:00; request a new quote."]
    }
    assert status == QuoteStatus.EXPIRED
    with time_machine.travel(NOW + timedelta(days=7) - timedelta(seconds=1), tick=False):
        assert quote_get_bookable(organization=organization, quote_id=quote.pk) == quote


def test_another_organizations_quote_cannot_be_booked(make_quote, other_organization):
    quote = make_quote()

    with pytest.raises(QuoteNotFoundError) as refusal:
        quote_get_bookable(organization=other_organization, quote_id=quote.pk)

    assert refusal.value.message_dict == {"quote": [f"There is no quote {quote.pk}."]}


def test_the_database_keeps_gross_equal_to_net_plus_vat(make_quote, organization):
    quote = make_quote()

    with pytest.raises(IntegrityError, match="catalog_quote_gross_is_net_plus_vat"), transaction.atomic():
        Quote.objects.for_organization(organization).update(gross_amount=Decimal("1.00"))

    quote.refresh_from_db()
    assert quote.gross_amount == Decimal("11803.28")


def test_the_database_refuses_more_instances_than_an_order_allows(make_quote, organization):
    make_quote()

    with pytest.raises(IntegrityError, match="catalog_quote_instance_count_range"), transaction.atomic():
        Quote.objects.for_organization(organization).update(instance_count=65)


def test_the_database_refuses_vat_outside_the_standard_category(make_quote, organization):
    make_quote()

    with pytest.raises(IntegrityError, match="catalog_quote_no_vat_outside_standard"), transaction.atomic():
        Quote.objects.for_organization(organization).update(vat_category=VatCategory.REVERSE_CHARGE)
