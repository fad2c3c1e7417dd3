"""Purchase-order references from the order to the invoice (BT-13, or per line BT-127), positive usage corrections
billed on the next invoice (own lines, BT-134/135 of the corrected hours, BG-3), every XML validated."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation
from rest_framework.test import APIClient

from billing.documents.mapping import invoice_document
from billing.documents.terms import billing_profile_update
from billing.invoices.services import (
    credit_note_create,
    invoice_draft_for_month,
    invoice_finalize,
    invoices_draft_due,
)
from billing.models import Invoice, InvoiceCorrectionUsage, InvoiceLine
from metering.models import UsageCorrection, UsageRecord
from reservations.models import Reservation
from reservations.services import reservation_create
from tenants.models import Membership
from tests.billing.invoice_files import seller_bank
from tests.billing.test_documents import assert_valid_e_invoices, text
from tests.billing.usage import ACTOR, usage

pytestmark = pytest.mark.django_db
__all__ = ["seller_bank"]
OCTOBER_HOUR = datetime(2026, 10, 5, 10, tzinfo=UTC)
NOVEMBER_HOUR = datetime(2026, 11, 10, 10, tzinfo=UTC)


def book(make_quote, customer, reference: str, flavor: str = "b200-x4") -> Reservation:
    quote = make_quote(flavor=flavor, commitment="on_demand", hours=24)
    return reservation_create(
        actor=ACTOR, organization=customer, quote=quote, purchase_order_reference=reference
    ).reservation


def finalize_month(organization, year: int, month: int, at: datetime) -> Invoice:
    with time_machine.travel(at, tick=False):
        draft = invoice_draft_for_month(organization=organization, year=year, month=month)
        assert draft is not None
        return invoice_finalize(actor=ACTOR, invoice=draft)


def xmls(invoice: Invoice) -> dict[str, bytes]:
    """Both XMLs the renderer stores for the document (the PDF is left out: slow, and tested elsewhere), each
    through the Factur-X XSD and the CEN EN 16931 schematron, the XRechnung also through KoSIT's schematron."""
    en16931, xrechnung = assert_valid_e_invoices(invoice_document(invoice))
    return {"xml": en16931, "xrechnung": xrechnung}


def test_one_purchase_order_on_every_line_is_the_invoices_bt13_and_bt10(
    small_inventory, customer, make_quote, seller_bank
):
    reservation = book(make_quote, customer, "  PO-4711  ")
    usage(reservation, OCTOBER_HOUR, 4 * 3600, "2.0000")

    invoice = finalize_month(customer, 2026, 10, datetime(2026, 11, 5, 9, tzinfo=UTC))

    assert reservation.purchase_order_reference == "PO-4711"
    assert list(InvoiceLine.objects.unscoped().filter(invoice=invoice).values_list("order_reference")) == [("PO-4711",)]
    for xml in xmls(invoice).values():
        assert text(xml, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID/text()") == ["PO-4711"]
        assert text(xml, "//ram:BuyerReference/text()") == ["PO-4711"]  # no reference of the organization
        assert text(xml, "//ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content/text()") == []


def test_the_organizations_reference_keeps_bt10_and_the_order_goes_to_bt13(
    small_inventory, customer, make_quote, seller_bank
):
    billing_profile_update(
        actor=ACTOR, organization=customer, buyer_reference="Kostenstelle 12", leitweg_id="", e_invoice_format="both"
    )
    usage(book(make_quote, customer, "PO-4711"), OCTOBER_HOUR, 4 * 3600, "2.0000")

    xrechnung = xmls(finalize_month(customer, 2026, 10, datetime(2026, 11, 5, 9, tzinfo=UTC)))["xrechnung"]

    assert text(xrechnung, "//ram:BuyerReference/text()") == ["Kostenstelle 12"]
    assert text(xrechnung, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID/text()") == ["PO-4711"]


def test_a_public_buyer_keeps_its_leitweg_id_in_bt10_and_gets_the_order_in_bt13(
    small_inventory, customer, make_quote, seller_bank
):
    billing_profile_update(
        actor=ACTOR,
        organization=customer,
        buyer_reference="Referat 4",
        leitweg_id="991-33333TEST-33",
        e_invoice_format="xrechnung",
    )
    usage(book(make_quote, customer, "B-2026-9"), OCTOBER_HOUR, 4 * 3600, "2.0000")

    xrechnung = xmls(finalize_month(customer, 2026, 10, datetime(2026, 11, 5, 9, tzinfo=UTC)))["xrechnung"]

    assert text(xrechnung, "//ram:BuyerReference/text()") == ["991-33333TEST-33"]
    assert text(xrechnung, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID/text()") == ["B-2026-9"]


def test_lines_of_different_orders_name_their_order_per_line_and_there_is_no_bt13(
    small_inventory, customer, make_quote, seller_bank
):
    usage(book(make_quote, customer, "PO-1"), OCTOBER_HOUR, 4 * 3600, "2.0000")
    usage(book(make_quote, customer, "PO-2"), OCTOBER_HOUR, 4 * 1800, "2.0000")

    invoice = finalize_month(customer, 2026, 10, datetime(2026, 11, 5, 9, tzinfo=UTC))
    xrechnung = xmls(invoice)["xrechnung"]

    assert list(
        InvoiceLine.objects.unscoped().filter(invoice=invoice).order_by("position").values_list("order_reference")
    ) == [("PO-1",), ("PO-2",)]
    assert text(xrechnung, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID/text()") == []
    assert text(xrechnung, "//ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content/text()") == [
        "Your purchase order: PO-1",
        "Your purchase order: PO-2",
    ]
    assert text(xrechnung, "//ram:BuyerReference/text()") == ["rheinwerk"]  # the customer ID, BT-10 never empty


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("P" * 36, "The purchase order reference has 36 characters; at most 35 are allowed."),
        ("PO-1\nPO-2", "The purchase order reference may contain only printable characters (no line breaks or tabs)."),
    ],
    ids=["too-long", "line-break"],
)
def test_a_bad_purchase_order_reference_is_refused_and_nothing_is_booked(
    small_inventory, customer, make_quote, reference, message
):
    quote = make_quote(commitment="on_demand", hours=24)

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        reservation_create(actor=ACTOR, organization=customer, quote=quote, purchase_order_reference=reference)

    assert refused.value.message_dict == {"purchase_order_reference": [message]}
    assert Reservation.objects.for_organization(customer).count() == 0


def test_the_booking_api_takes_the_purchase_order_and_refuses_a_bad_one(small_inventory, customer, make_quote):
    client = APIClient()
    client.force_authenticate(Membership.objects.for_organization(customer).get().user)
    url = "/api/v1/organizations/rheinwerk/reservations/"

    refused = client.post(url, {"quote": make_quote().pk, "purchase_order_reference": "P" * 36}, format="json")
    booked = client.post(url, {"quote": make_quote().pk, "purchase_order_reference": "PO-77"}, format="json")

    assert refused.status_code == 400
    assert (refused.json()["code"], refused.json()["fields"]) == (
        "invalid",
        {"purchase_order_reference": ["The purchase order reference has 36 characters; at most 35 are allowed."]},
    )
    assert (booked.status_code, booked.json()["purchase_order_reference"]) == (201, "PO-77")
    assert list(Reservation.objects.for_organization(customer).values_list("purchase_order_reference")) == [("PO-77",)]


def correct(record: UsageRecord, seconds: int, at: datetime) -> UsageCorrection:
    with time_machine.travel(at, tick=False):
        return UsageCorrection.objects.create(
            organization_id=record.organization_id, record=record, quantity_delta=seconds, unit_price=record.unit_price
        )


def test_billed_too_little_goes_on_the_next_invoice_as_its_own_line_citing_the_corrected_invoice(
    small_inventory, customer, make_quote, seller_bank
):
    reservation = book(make_quote, customer, "PO-9")
    october_record = usage(reservation, OCTOBER_HOUR, 4 * 1800, "2.0000")
    october = finalize_month(customer, 2026, 10, datetime(2026, 11, 5, 9, tzinfo=UTC))
    more = correct(october_record, 4 * 900, datetime(2026, 11, 8, 12, tzinfo=UTC))  # billed too little
    less = correct(october_record, -4 * 300, datetime(2026, 11, 8, 12, tzinfo=UTC))  # billed too much
    usage(reservation, NOVEMBER_HOUR, 4 * 3600, "2.0000")

    with time_machine.travel(datetime(2026, 12, 2, 9, tzinfo=UTC), tick=False):
        draft = invoice_draft_for_month(organization=customer, year=2026, month=11)
    assert draft is not None
    draft_lines = list(
        InvoiceLine.objects.unscoped()
        .filter(invoice=draft)
        .order_by("position")
        .values_list("description", "quantity", "net_amount", "service_start", "service_end", "corrects_id")
    )
    november = finalize_month(customer, 2026, 11, datetime(2026, 12, 5, 9, tzinfo=UTC))

    expected = [
        (
            "Committed GPU time, b200-x4, November 2026: 4 GPUs × 1 hour",
            Decimal("4.000000"),
            Decimal("8.00"),
            date(2026, 11, 10),
            date(2026, 11, 10),
            None,
        ),
        (
            f"Billed too little on invoice {october.number}: Committed GPU time, b200-x4, October 2026: "
            "4 GPUs × 0.25 hours",
            Decimal("1.000000"),
            Decimal("2.00"),
            date(2026, 10, 5),
            date(2026, 10, 5),
            october.pk,
        ),
    ]
    assert draft_lines == expected
    assert (
        list(
            InvoiceLine.objects.unscoped()
            .filter(invoice=november)
            .order_by("position")
            .values_list("description", "quantity", "net_amount", "service_start", "service_end", "corrects_id")
        )
        == expected
    )
    assert november.net_amount == Decimal("10.00")
    more.refresh_from_db()
    less.refresh_from_db()
    assert (more.credited_at, less.credited_at) == (november.issued_at, None)  # the negative one: a credit note
    assert list(InvoiceCorrectionUsage.objects.unscoped().values_list("invoice_id", "correction_id")) == [
        (november.pk, more.pk)
    ]
    xrechnung = xmls(november)["xrechnung"]
    assert text(xrechnung, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()") == [october.number]
    assert text(xrechnung, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID/text()") == ["PO-9"]
    assert text(
        xrechnung, "//ram:IncludedSupplyChainTradeLineItem//ram:BillingSpecifiedPeriod/*/udt:DateTimeString/text()"
    ) == ["20261110", "20261110", "20261005", "20261005"]

    with time_machine.travel(datetime(2026, 12, 6, 9, tzinfo=UTC), tick=False):
        note = credit_note_create(actor=ACTOR, invoice=october, reason="Metering corrected")
    less.refresh_from_db()
    assert (note.net_amount, less.credited_at) == (Decimal("0.67"), note.issued_at)
    xmls(note)


def test_a_correction_alone_gets_an_invoice_of_the_month_it_was_found_in(
    small_inventory, customer, make_quote, seller_bank
):
    record = usage(book(make_quote, customer, ""), OCTOBER_HOUR, 4 * 1800, "2.0000")
    october = finalize_month(customer, 2026, 10, datetime(2026, 11, 5, 9, tzinfo=UTC))
    correct(record, 4 * 1800, datetime(2026, 11, 20, 12, tzinfo=UTC))

    with time_machine.travel(datetime(2026, 12, 1, 6, tzinfo=UTC), tick=False):
        run = invoices_draft_due(now=datetime(2026, 12, 1, 6, tzinfo=UTC))
    draft = Invoice.objects.for_organization(customer).get(status="draft")
    with time_machine.travel(datetime(2026, 12, 5, 9, tzinfo=UTC), tick=False):
        november = invoice_finalize(actor=ACTOR, invoice=draft)

    assert run.documents == 1
    assert november.period_start == datetime(2026, 10, 31, 23, tzinfo=UTC)  # November in Berlin
    assert list(InvoiceLine.objects.unscoped().filter(invoice=november).values_list("description", "net_amount")) == [
        (
            f"Billed too little on invoice {october.number}: Committed GPU time, b200-x4, October 2026: "
            "4 GPUs × 0.5 hours",
            Decimal("4.00"),
        )
    ]
    xmls(november)
