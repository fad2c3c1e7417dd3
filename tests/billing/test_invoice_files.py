"""Finalized documents as stored files: the mapping, validation against EN 16931, and the render task."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from facturx import get_facturx_xml_from_pdf

from billing.documents.cii import cii_xml, xrechnung_xml
from billing.documents.mapping import invoice_document
from billing.documents.model import DocumentError, DocumentLine
from billing.invoices.rendering import invoice_files_render, invoices_render_missing
from billing.invoices.services import CreditLine, credit_note_create
from billing.models import InvoiceFile
from billing.tasks import render_invoice_documents_task
from metering.choices import Meter
from tenants.models import AuditEvent, Organization
from tests.billing.invoice_files import finalized, seller_bank
from tests.billing.test_documents import assert_valid_en16931, text
from tests.billing.usage import ACTOR, reservation, usage

pytestmark = pytest.mark.django_db
__all__ = ["reservation", "seller_bank"]


def stored(invoice) -> dict[str, bytes]:
    files = {}
    for row in InvoiceFile.objects.unscoped().filter(invoice=invoice):
        with row.file.open("rb") as handle:
            content = handle.read()
        assert row.sha256 == hashlib.sha256(content).hexdigest()
        files[row.kind] = content
    return files


def test_a_german_invoice_maps_to_a_valid_document_and_its_files_are_stored(reservation, customer, seller_bank):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 7200, "2.5000")
    usage(reservation, datetime(2026, 10, 5, 11, tzinfo=UTC), 3600, "2.5000")
    invoice = finalized(customer)

    doc = invoice_document(invoice)

    assert (doc.number, doc.type_code, doc.issue_date) == (invoice.number, "380", date(2026, 11, 5))
    assert (doc.period_start, doc.period_end, doc.due_date) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
        date(2026, 11, 19),
    )
    assert [(line.quantity, line.unit_price, line.net_amount, line.unit_code) for line in doc.lines] == [
        (Decimal("3.000000"), Decimal("2.5000"), Decimal("7.50"), "HUR")
    ]
    assert (doc.net_amount, doc.vat_amount, doc.gross_amount) == (Decimal("7.50"), Decimal("1.43"), Decimal("8.93"))
    assert (doc.seller.vat_id, doc.seller_iban, doc.buyer.name) == (
        "DE123456788",
        "DE02120300000000202051",
        "Rheinwerk Robotics GmbH",
    )

    assert [file.kind for file in invoice_files_render(invoice_id=invoice.pk)] == ["xml", "xrechnung", "pdf"]
    files = stored(invoice)
    assert_valid_en16931(files["xml"])
    assert_valid_en16931(files["xrechnung"])
    assert files["xml"] == cii_xml(doc)
    assert files["xrechnung"] == xrechnung_xml(doc)
    assert text(files["xrechnung"], "//ram:BuyerReference/text()") == ["rheinwerk"]  # no reference: customer ID
    assert text(files["xrechnung"], "//ram:DefinedTradeContact/ram:PersonName/text()") == ["Kontor Billing"]
    assert sorted(InvoiceFile.objects.unscoped().filter(invoice=invoice).values_list("file", flat=True)) == [
        f"invoices/{customer.pk}/{invoice.number}.pdf",
        f"invoices/{customer.pk}/{invoice.number}.xml",
        f"invoices/{customer.pk}/{invoice.number}.xrechnung.xml",
    ]
    assert get_facturx_xml_from_pdf(files["pdf"], check_xsd=True)[1] == files["xml"]


def test_a_line_net_one_cent_off_the_rounded_quantity_times_price_is_still_valid(reservation, customer, seller_bank):
    # 3000 s at 3.99/h: exact net 3.325 -> 3.33; shown quantity 0.833333 x 3.99 = 3.3249... -> 3.32.
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3000, "3.9900")
    invoice = finalized(customer)

    doc = invoice_document(invoice)

    assert [(line.quantity, line.net_amount) for line in doc.lines] == [(Decimal("0.833333"), Decimal("3.33"))]
    assert_valid_en16931(cii_xml(doc))
    with pytest.raises(DocumentError, match="net amount is not quantity x unit price"):
        DocumentLine(1, "x", Decimal("0.833333"), Decimal("3.9900"), Decimal("3.33"), "S", Decimal("19.00"))
    with pytest.raises(DocumentError, match="net amount is not quantity x unit price"):
        DocumentLine(
            1,
            "x",
            Decimal("0.833333"),
            Decimal("3.9900"),
            Decimal("3.34"),
            "S",
            Decimal("19.00"),
            quantity_rounded=True,
        )


def test_a_reverse_charge_invoice_is_stored_valid_with_both_vat_ids(reservation, customer, seller_bank):
    Organization.objects.filter(pk=customer.pk).update(
        country="NL", vat_id="NL123456789B01", vat_id_verified_at=timezone.now()
    )
    customer.refresh_from_db()
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "2.0000")
    invoice = finalized(customer)

    invoice_files_render(invoice_id=invoice.pk)

    xml = stored(invoice)["xml"]
    assert_valid_en16931(xml)
    assert_valid_en16931(stored(invoice)["xrechnung"])
    assert text(xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode/text()") == ["AE"]
    assert text(xml, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/text()") == ["NL123456789B01"]
    assert text(xml, "//ram:GrandTotalAmount/text()") == ["2.00"]


def test_a_credit_note_is_stored_valid_and_cites_its_invoice(reservation, customer, seller_bank):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 7200, "2.5000")
    invoice = finalized(customer)
    note = credit_note_create(
        actor=ACTOR,
        invoice=invoice,
        reason="Ausfall",
        lines=[CreditLine("Gutschrift Ausfall", Meter.COMMITTED_GPU_SECONDS, "b200-x4", Decimal("1"), Decimal("2.5"))],
    )

    doc = invoice_document(note)
    invoice_files_render(invoice_id=note.pk)

    assert (doc.type_code, doc.preceding_invoice_number, doc.due_date) == ("381", invoice.number, None)
    xml = stored(note)["xml"]
    assert_valid_en16931(xml)
    assert_valid_en16931(stored(note)["xrechnung"])
    assert text(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()") == [invoice.number]
    assert text(xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["381"]


def test_the_task_twice_stores_one_file_of_each_kind(reservation, customer, seller_bank):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    invoice = finalized(customer)

    assert render_invoice_documents_task.apply(args=[invoice.pk]).get() == ["xml", "xrechnung", "pdf"]
    first = list(InvoiceFile.objects.unscoped().order_by("pk").values())
    assert render_invoice_documents_task.apply(args=[invoice.pk]).get() == []

    assert list(InvoiceFile.objects.unscoped().order_by("pk").values()) == first
    assert sorted(row["kind"] for row in first) == ["pdf", "xml", "xrechnung"]


def test_finalizing_enqueues_the_render_task_on_commit(
    reservation, customer, seller_bank, django_capture_on_commit_callbacks
):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    with django_capture_on_commit_callbacks() as callbacks:
        finalized(customer)

    assert len(callbacks) == 1
    assert InvoiceFile.objects.unscoped().count() == 0


def test_without_a_bank_account_nothing_is_stored(reservation, customer, settings):
    settings.KONTOR_SELLER = {k: v for k, v in settings.KONTOR_SELLER.items() if k not in ("iban", "bic")}
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    invoice = finalized(customer)

    with pytest.raises(DocumentError, match="IBAN"):
        invoice_files_render(invoice_id=invoice.pk)

    assert InvoiceFile.objects.unscoped().count() == 0


def test_the_sweeper_renders_documents_whose_task_was_lost(
    reservation, customer, seller_bank, monkeypatch, django_capture_on_commit_callbacks
):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    invoice = finalized(customer)  # its render task is never delivered: nothing consumes the broker here
    queued: list[int] = []
    monkeypatch.setattr(render_invoice_documents_task, "apply_async", lambda args, **options: queued.extend(args))

    with django_capture_on_commit_callbacks(execute=True):
        too_early = invoices_render_missing(now=invoice.issued_at + timedelta(minutes=5))
        due = invoices_render_missing(now=invoice.issued_at + timedelta(minutes=11))
    assert (too_early, due, queued) == (0, 1, [invoice.pk])
    assert AuditEvent.objects.for_organization(customer).filter(action="invoice.documents_redriven").count() == 1

    assert render_invoice_documents_task.apply(args=queued).get() == ["xml", "xrechnung", "pdf"]
    with django_capture_on_commit_callbacks(execute=True):
        after = invoices_render_missing(now=invoice.issued_at + timedelta(minutes=20))
    assert (after, queued) == (0, [invoice.pk])

    # A document with frozen terms that lacks only its XRechnung is re-driven too.
    InvoiceFile.objects.unscoped().filter(invoice=invoice, kind="xrechnung").delete()
    with django_capture_on_commit_callbacks(execute=True):
        without_xrechnung = invoices_render_missing(now=invoice.issued_at + timedelta(minutes=30))
    assert (without_xrechnung, queued) == (1, [invoice.pk, invoice.pk])
