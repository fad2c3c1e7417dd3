"""German e-invoicing on finalized documents: Berlin months at both DST boundaries, the document language, BT-10
from the billing profile (Leitweg-ID checked), BG-6 from settings, and every stored XRechnung valid."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from billing.choices import InvoiceStatus
from billing.documents.mapping import invoice_document
from billing.documents.models import BillingProfile, EInvoiceFormat, InvoiceTerms
from billing.documents.pdf import invoice_html
from billing.documents.terms import billing_profile_update
from billing.invoices.rendering import invoice_files_render
from billing.invoices.services import (
    CreditLine,
    InvoiceError,
    credit_note_create,
    invoice_draft_for_month,
    invoice_finalize,
)
from billing.models import Invoice, InvoiceLine, InvoiceNumberSeries
from metering.choices import Meter
from metering.models import UsageCorrection
from tenants.models import AuditEvent, Membership, Organization, User
from tests.billing.invoice_files import seller_bank
from tests.billing.test_documents import assert_valid_en16931, text
from tests.billing.test_invoice_files import stored
from tests.billing.usage import ACTOR, reservation, usage

pytestmark = pytest.mark.django_db
__all__ = ["reservation", "seller_bank"]


def speaks(organization: Organization, language: str) -> None:
    owner = Membership.objects.for_organization(organization).get().user_id
    User.objects.filter(pk=owner).update(preferred_language=language)


def finalize_month(organization: Organization, year: int, month: int, at: datetime) -> Invoice:
    with time_machine.travel(at, tick=False):
        draft = invoice_draft_for_month(organization=organization, year=year, month=month)
        assert draft is not None
        return invoice_finalize(actor=ACTOR, invoice=draft)


# (year, month, first UTC hour of the Berlin month, last UTC hour of it, its name, its last day): the months that
# start in winter (CET, UTC+1) and in summer time (CEST, UTC+2), and the two that contain a DST switch.
BOUNDARIES = [
    (2026, 3, datetime(2026, 2, 28, 23, tzinfo=UTC), datetime(2026, 3, 31, 21, tzinfo=UTC), "March 2026", 31),
    (2026, 4, datetime(2026, 3, 31, 22, tzinfo=UTC), datetime(2026, 4, 30, 21, tzinfo=UTC), "April 2026", 30),
    (2026, 10, datetime(2026, 9, 30, 22, tzinfo=UTC), datetime(2026, 10, 31, 22, tzinfo=UTC), "October 2026", 31),
    (2026, 11, datetime(2026, 10, 31, 23, tzinfo=UTC), datetime(2026, 11, 30, 22, tzinfo=UTC), "November 2026", 30),
]


@pytest.mark.parametrize(
    ("year", "month", "first", "last", "name", "last_day"),
    BOUNDARIES,
    ids=["march-cet-to-cest", "april-cest", "october-cest-to-cet", "november-cet"],
)
def test_finalized_invoices_and_credit_notes_name_the_berlin_month_at_its_boundaries(
    reservation, customer, seller_bank, year, month, first, last, name, last_day
):
    usage(reservation, first, 4 * 3600, "2.0000")  # the first hour of the Berlin month
    usage(reservation, last, 4 * 1800, "2.0000")  # its last hour
    usage(reservation, datetime(first.year, first.month, first.day, 21, tzinfo=UTC), 4 * 3600, "2.0000")  # before
    next_month = (year, month + 1) if month < 12 else (year + 1, 1)
    invoice = finalize_month(customer, year, month, datetime(*next_month, 5, 9, tzinfo=UTC))
    correction = UsageCorrection.objects.create(
        organization=customer,
        record=invoice.usages.order_by("record__hour").first().record,
        quantity_delta=-4 * 900,
        unit_price=Decimal("2.0000"),
    )
    with time_machine.travel(datetime(*next_month, 20, 9, tzinfo=UTC), tick=False):
        note = credit_note_create(actor=ACTOR, invoice=invoice, reason="Instance failed")

    expected_invoice = f"Committed GPU time, b200-x4, {name}: 4 GPUs × 1.5 hours"
    expected_note = f"Committed GPU time, b200-x4, {name}: 4 GPUs × 0.25 hours"
    start, end = date(year, month, 1), date(year, month, last_day)
    assert correction.pk is not None
    assert list(
        InvoiceLine.objects.unscoped()
        .filter(invoice__in=[invoice, note])
        .order_by("invoice_id")
        .values_list("description", "quantity", "service_start", "service_end")
    ) == [
        (expected_invoice, Decimal("6.000000"), start, end),
        (expected_note, Decimal("1.000000"), start, start),
    ]
    for document in (invoice, note):
        doc = invoice_document(document)
        assert (doc.period_start, doc.period_end) == (start, end)
        invoice_files_render(invoice_id=document.pk)
        files = stored(document)
        assert_valid_en16931(files["xml"])
        assert_valid_en16931(files["xrechnung"])
        assert text(files["xrechnung"], "//ram:BillingSpecifiedPeriod/*/udt:DateTimeString/text()")[-2:] == [
            f"{start:%Y%m%d}",
            f"{end:%Y%m%d}",
        ]


def test_a_german_invoice_finalized_by_an_english_process_reads_german_everywhere(reservation, customer, seller_bank):
    Organization.objects.filter(pk=customer.pk).update(country="CH", vat_id="")
    customer.refresh_from_db()
    speaks(customer, "de")
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 4 * 3600, "2.0000")
    with translation.override("en"):
        invoice = finalize_month(customer, 2026, 10, datetime(2026, 11, 5, 9, tzinfo=UTC))
        doc = invoice_document(invoice)
        html = invoice_html(doc)

    assert [line.description for line in doc.lines] == ["Zugesagte GPU-Zeit, b200-x4, Oktober 2026: 4 GPUs × 1 Stunde"]
    assert invoice.vat_note == (
        "Nicht der deutschen Umsatzsteuer unterliegend: Der Ort der Leistung ist das Land des Kunden "
        "(§ 3a Abs. 2 UStG)."
    )
    assert doc.language == "de"
    assert doc.payment_terms == "Zahlbar ohne Abzug innerhalb von 14 Tagen, bis zum 19.11.2026."
    assert doc.notes == (invoice.vat_note,)
    assert InvoiceTerms.objects.for_organization(customer).get(invoice=invoice).language == "de"
    for expected in ("05.11.2026", "01.10.2026 – 31.10.2026", "GPU-Stunden", "Verwendungszweck", invoice.number):
        assert expected in html


def test_an_english_invoice_finalized_by_a_german_process_reads_english_with_european_dates(
    reservation, customer, seller_bank
):
    speaks(customer, "en")
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 4 * 3600, "2.0000")
    with translation.override("de"):
        invoice = finalize_month(customer, 2026, 10, datetime(2026, 11, 5, 9, tzinfo=UTC))
        doc = invoice_document(invoice)
        html = invoice_html(doc)

    assert [line.description for line in doc.lines] == ["Committed GPU time, b200-x4, October 2026: 4 GPUs × 1 hour"]
    assert doc.payment_terms == "Payable without deduction within 14 days, by 19 November 2026."
    for expected in ("5 November 2026", "1 October 2026 – 31 October 2026", "GPU-hours", "Payment reference"):
        assert expected in html
    assert "11/05/2026" not in html


def test_a_public_buyer_gets_an_xrechnung_with_its_leitweg_id_and_its_reference(reservation, customer, seller_bank):
    profile = billing_profile_update(
        actor=ACTOR,
        organization=customer,
        buyer_reference="Bestellung 2026-17",
        leitweg_id="991-33333test-33",
        e_invoice_format=EInvoiceFormat.XRECHNUNG,
    )
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 4 * 3600, "2.0000")
    invoice = finalize_month(customer, 2026, 10, datetime(2026, 11, 5, 9, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 11, 20, 9, tzinfo=UTC), tick=False):
        billing_profile_update(
            actor=ACTOR, organization=customer, buyer_reference="", leitweg_id="", e_invoice_format="facturx"
        )
        note = credit_note_create(
            actor=ACTOR,
            invoice=invoice,
            reason="Goodwill",
            lines=[CreditLine("Goodwill", Meter.COMMITTED_GPU_SECONDS, "b200-x4", Decimal("1"), Decimal("2.0000"))],
        )

    assert (profile.leitweg_id, profile.buyer_reference) == ("991-33333TEST-33", "Bestellung 2026-17")
    for document in (invoice, note):  # the credit note goes where the invoice went, whatever the profile says now
        invoice_files_render(invoice_id=document.pk)
        xrechnung = stored(document)["xrechnung"]
        assert_valid_en16931(xrechnung)
        assert text(xrechnung, "//ram:BuyerReference/text()") == ["991-33333TEST-33"]
        assert text(xrechnung, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID/text()") == [
            "Bestellung 2026-17"
        ]
    assert AuditEvent.objects.unscoped().filter(action="billing.profile_updated").count() == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("leitweg_id", "991-33333TEST-34", "not a valid Leitweg-ID"),  # wrong check digits
        ("leitweg_id", "1-03730-19", "not a valid Leitweg-ID"),  # wrong shape
        ("buyer_reference", "P" * 201, "has 201 characters; at most 200"),
    ],
    ids=["leitweg-check-digit", "leitweg-shape", "reference-too-long"],
)
def test_bad_buyer_references_are_refused_and_nothing_changes(customer, field, value, message):
    billing_profile_update(
        actor=ACTOR, organization=customer, buyer_reference="PO-1", leitweg_id="991-03730-19", e_invoice_format="both"
    )
    before = list(BillingProfile.objects.for_organization(customer).values())
    audits = AuditEvent.objects.unscoped().count()
    values = {"buyer_reference": "PO-2", "leitweg_id": "", field: value}

    with pytest.raises(ValidationError) as refused:
        billing_profile_update(actor=ACTOR, organization=customer, e_invoice_format="xrechnung", **values)

    assert message in str(refused.value.message_dict[field])
    assert list(refused.value.message_dict) == [field]
    assert list(BillingProfile.objects.for_organization(customer).values()) == before
    assert AuditEvent.objects.unscoped().count() == audits


@pytest.mark.parametrize(
    ("key", "variable"),
    [
        ("contact_name", "KONTOR_SELLER_CONTACT_NAME"),
        ("contact_phone", "KONTOR_SELLER_CONTACT_PHONE"),
        ("contact_email", "KONTOR_SELLER_CONTACT_EMAIL"),
    ],
)
def test_finalizing_without_the_seller_contact_names_the_setting_and_numbers_nothing(
    reservation, customer, settings, key, variable
):
    settings.KONTOR_SELLER = {**settings.KONTOR_SELLER, key: " "}
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    with time_machine.travel(datetime(2026, 11, 5, 9, tzinfo=UTC), tick=False):
        draft = invoice_draft_for_month(organization=customer, year=2026, month=10)
        assert draft is not None
        with pytest.raises(InvoiceError, match=rf"KONTOR_SELLER\['{key}'\] \({variable}\) is empty"):
            invoice_finalize(actor=ACTOR, invoice=draft)

    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.issued_at) == (InvoiceStatus.DRAFT, "", None)
    assert list(InvoiceNumberSeries.objects.values_list("last_sequence", flat=True)) == []
    assert InvoiceTerms.objects.unscoped().count() == 0
    assert AuditEvent.objects.unscoped().filter(action="billing.invoice_finalized").count() == 0
