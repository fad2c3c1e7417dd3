"""Drafting invoices from usage: exact amounts, VAT treatments, Berlin month boundaries and idempotency."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from billing.choices import InvoiceKind, InvoiceStatus
from billing.invoices.services import invoice_draft_for_month
from billing.models import Invoice, InvoiceLine
from billing.periods import billing_period
from core.vat import VatCategory
from metering.choices import Meter
from tenants.models import Organization
from tests.billing.usage import reservation, usage

pytestmark = pytest.mark.django_db
__all__ = ["reservation"]
AFTER_OCTOBER = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def utc(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def lines(invoice: Invoice) -> list[tuple[int, str, str, Decimal, Decimal, Decimal, str, Decimal]]:
    return list(
        InvoiceLine.objects.unscoped()
        .filter(invoice=invoice)
        .order_by("position")
        .values_list(
            "position", "meter", "flavor_slug", "quantity", "unit_price", "net_amount", "vat_category", "vat_rate"
        )
    )


def october_usage(reservation) -> None:
    # 8.5 GPU-hours of compute at 3.1234 EUR and the same of license at 0.8800 EUR.
    for meter, price in ((Meter.COMMITTED_GPU_SECONDS, "3.1234"), (Meter.LICENSE_GPU_SECONDS, "0.8800")):
        usage(reservation, utc(10, 5, 10), 4 * 3600, price, meter)
        usage(reservation, utc(10, 5, 11), 4 * 3600, price, meter)
        usage(reservation, utc(10, 5, 12), 1800, price, meter)


def draft_october(organization: Organization) -> Invoice:
    with time_machine.travel(AFTER_OCTOBER, tick=False):
        invoice = invoice_draft_for_month(organization=organization, year=2026, month=10)
    assert invoice is not None
    return invoice


def test_a_german_customer_pays_19_percent_on_the_sum_of_rounded_line_nets(reservation, customer):
    october_usage(reservation)

    invoice = draft_october(customer)

    assert lines(invoice) == [
        (
            1,
            "committed_gpu_seconds",
            "b200-x4",
            Decimal("8.500000"),
            Decimal("3.1234"),
            Decimal("26.55"),
            "S",
            Decimal("19.00"),
        ),
        (
            2,
            "license_gpu_seconds",
            "b200-x4",
            Decimal("8.500000"),
            Decimal("0.8800"),
            Decimal("7.48"),
            "S",
            Decimal("19.00"),
        ),
    ]
    invoice.refresh_from_db()
    assert (invoice.kind, invoice.status, invoice.number, invoice.issued_at) == ("380", "draft", "", None)
    assert (invoice.net_amount, invoice.vat_amount, invoice.gross_amount) == (
        Decimal("34.03"),
        Decimal("6.47"),  # 19 % of 34.03 = 6.4657
        Decimal("40.50"),
    )
    assert (invoice.vat_category, invoice.vat_rate, invoice.vat_note) == ("S", Decimal("19.00"), "")
    assert (invoice.buyer_legal_name, invoice.buyer_country) == ("Rheinwerk Robotics GmbH", "DE")
    assert (invoice.seller_legal_name, invoice.seller_country) == ("Kontor GPU Cloud GmbH", "DE")
    assert invoice.currency == "EUR"


def test_a_line_net_is_rounded_once_from_the_exact_seconds(reservation, customer):
    # 1,001 GPU-seconds at 2.0000 EUR/h = 0.556111... EUR: 0.56; the quantity shows 0.278056 GPU-hours.
    usage(reservation, utc(10, 6, 10), 1001, "2.0000")
    # 9 s at 0.5000 EUR/h = 0.00125 EUR: 0.00, a line worth nothing is still a line.
    usage(reservation, utc(10, 6, 10), 9, "0.5000", Meter.LICENSE_GPU_SECONDS)

    invoice = draft_october(customer)

    assert [(quantity, net) for *_, quantity, _price, net, _cat, _rate in lines(invoice)] == [
        (Decimal("0.278056"), Decimal("0.56")),
        (Decimal("0.002500"), Decimal("0.00")),
    ]
    invoice.refresh_from_db()
    assert (invoice.net_amount, invoice.vat_amount, invoice.gross_amount) == (
        Decimal("0.56"),
        Decimal("0.11"),  # 0.1064
        Decimal("0.67"),
    )


def test_an_eu_customer_with_a_confirmed_vat_id_is_reverse_charged_at_0_percent(reservation, customer):
    Organization.objects.filter(pk=customer.pk).update(
        country="NL", vat_id="NL123456789B01", vat_id_verified_at=datetime(2026, 9, 1, tzinfo=UTC)
    )
    october_usage(reservation)

    invoice = draft_october(customer)

    invoice.refresh_from_db()
    assert (invoice.net_amount, invoice.vat_amount, invoice.gross_amount) == (
        Decimal("34.03"),
        Decimal("0.00"),
        Decimal("34.03"),
    )
    assert (invoice.vat_category, invoice.vat_rate) == (VatCategory.REVERSE_CHARGE, Decimal("0.00"))
    assert invoice.vat_note == (
        "Reverse charge (Steuerschuldnerschaft des Leistungsempfängers): the customer accounts for the VAT, "
        "Art. 196 Council Directive 2006/112/EC. Customer VAT ID: NL123456789B01."
    )
    assert (invoice.buyer_vat_id, invoice.seller_vat_id) == ("NL123456789B01", "DE123456788")
    assert {(category, rate) for *_, category, rate in lines(invoice)} == {("AE", Decimal("0.00"))}


def test_a_swiss_customer_is_not_subject_to_german_vat(reservation, customer):
    Organization.objects.filter(pk=customer.pk).update(country="CH")
    october_usage(reservation)

    invoice = draft_october(customer)

    invoice.refresh_from_db()
    assert (invoice.net_amount, invoice.vat_amount, invoice.gross_amount) == (
        Decimal("34.03"),
        Decimal("0.00"),
        Decimal("34.03"),
    )
    assert (invoice.vat_category, invoice.vat_rate) == (VatCategory.NOT_SUBJECT, Decimal("0.00"))
    assert invoice.vat_note == (
        "Not subject to German VAT: the place of supply is the customer's country (§ 3a (2) UStG)."
    )


def test_the_billing_month_is_the_calendar_month_in_berlin_across_daylight_saving():
    october = billing_period(year=2026, month=10)
    march = billing_period(year=2026, month=3)

    # October starts in summer time (UTC+2) and ends in winter time (UTC+1); March the other way round.
    assert (october.start.astimezone(UTC), october.end.astimezone(UTC)) == (utc(9, 30, 22), utc(10, 31, 23))
    assert (march.start.astimezone(UTC), march.end.astimezone(UTC)) == (
        datetime(2026, 2, 28, 23, tzinfo=UTC),
        utc(3, 31, 22),
    )


def test_usage_is_billed_in_its_berlin_month_including_the_october_dst_change(reservation, customer):
    usage(reservation, utc(9, 30, 21), 3600, "1.0000")  # 23:00 CEST on 30 September: September
    usage(reservation, utc(9, 30, 22), 7200, "1.0000")  # 00:00 CEST on 1 October: October
    usage(reservation, utc(10, 25, 0), 3600, "1.0000")  # 02:00 CEST on 25 October, the first 02:00
    usage(reservation, utc(10, 25, 1), 3600, "1.0000")  # holds 01:30 UTC = 02:30 CET, the repeated hour: October
    usage(reservation, utc(10, 31, 22), 3600, "1.0000")  # 23:00 CET on 31 October: October
    usage(reservation, utc(10, 31, 23), 3600, "1.0000")  # 00:00 CET on 1 November: November

    with time_machine.travel(utc(11, 5, 0), tick=False):
        september = invoice_draft_for_month(organization=customer, year=2026, month=9)
        october = invoice_draft_for_month(organization=customer, year=2026, month=10)
        november = invoice_draft_for_month(organization=customer, year=2026, month=11)

    assert [line[3] for line in lines(september)] == [Decimal("1.000000")]
    assert [line[3] for line in lines(october)] == [Decimal("5.000000")]  # 2 + 1 + 1 + 1 hours
    assert [line[3] for line in lines(november)] == [Decimal("1.000000")]
    assert (october.period_start, october.period_end) == (utc(9, 30, 22), utc(10, 31, 23))


def test_only_hours_that_have_passed_are_billed(reservation, customer):
    usage(reservation, utc(11, 2, 8), 3600, "1.0000")  # 08:00-09:00: over
    usage(reservation, utc(11, 2, 9), 600, "1.0000")  # 09:00-10:00: still running

    with time_machine.travel(datetime(2026, 11, 2, 9, 59, tzinfo=UTC), tick=False):
        invoice = invoice_draft_for_month(organization=customer, year=2026, month=11)

    assert [line[3] for line in lines(invoice)] == [Decimal("1.000000")]


def test_drafting_twice_returns_the_same_draft_unchanged_and_refreshes_it_when_usage_changed(reservation, customer):
    october_usage(reservation)
    first = draft_october(customer)
    line_ids = list(InvoiceLine.objects.unscoped().filter(invoice=first).values_list("pk", flat=True))

    second = draft_october(customer)

    assert second.pk == first.pk
    assert list(InvoiceLine.objects.unscoped().filter(invoice=first).values_list("pk", flat=True)) == line_ids
    assert Invoice.objects.unscoped().count() == 1

    usage(reservation, utc(10, 7, 10), 3600, "3.1234")
    third = draft_october(customer)

    third.refresh_from_db()
    assert third.pk == first.pk
    assert (third.status, third.net_amount, third.vat_amount, third.gross_amount) == (
        InvoiceStatus.DRAFT,
        Decimal("37.15"),  # 9.5 h x 3.1234 = 29.6723 -> 29.67, plus 7.48
        Decimal("7.06"),  # 7.0585
        Decimal("44.21"),
    )
    assert Invoice.objects.unscoped().filter(kind=InvoiceKind.INVOICE).count() == 1


def test_a_month_without_usage_has_no_invoice(reservation, customer):
    with time_machine.travel(AFTER_OCTOBER, tick=False):
        assert invoice_draft_for_month(organization=customer, year=2026, month=10) is None

    assert Invoice.objects.unscoped().count() == 0
