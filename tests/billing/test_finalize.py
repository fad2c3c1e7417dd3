"""Finalizing: gapless numbers (rollback and real threads on PostgreSQL), invoiced usage, DB immutability."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, close_old_connections, connection, transaction

from billing.choices import InvoiceStatus
from billing.invoices import services
from billing.invoices.services import invoice_draft_for_month, invoice_finalize
from billing.models import Invoice, InvoiceLine, InvoiceNumberSeries, InvoiceUsage
from billing.periods import InvoiceError
from metering.models import UsageRecord
from tenants.models import AuditEvent
from tests.billing.usage import ACTOR, reservation, usage

__all__ = ["reservation"]
ISSUE_AT = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


def draft(organization, month: int) -> Invoice:
    with time_machine.travel(ISSUE_AT, tick=False):
        invoice = invoice_draft_for_month(organization=organization, year=2026, month=month)
    assert invoice is not None
    return invoice


def finalize(invoice: Invoice) -> Invoice:
    with time_machine.travel(ISSUE_AT, tick=False):
        return invoice_finalize(actor=ACTOR, invoice=invoice)


def snapshot(invoice: Invoice) -> tuple[object, ...]:
    row = Invoice.objects.unscoped().values().get(pk=invoice.pk)
    line_rows = list(InvoiceLine.objects.unscoped().filter(invoice=invoice).order_by("pk").values())
    return (row, line_rows)


@pytest.mark.django_db
def test_finalizing_numbers_the_invoice_and_marks_its_usage_invoiced(reservation, customer):
    first = usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 7200, "2.5000")
    second = usage(reservation, datetime(2026, 10, 5, 11, tzinfo=UTC), 3600, "2.5000")
    invoice = draft(customer, 10)

    finalized = finalize(invoice)

    assert (finalized.status, finalized.number, finalized.number_year, finalized.number_sequence) == (
        InvoiceStatus.FINALIZED,
        "KON-2026-000001",
        2026,
        1,
    )
    assert finalized.issued_at == ISSUE_AT
    assert (finalized.net_amount, finalized.vat_amount, finalized.gross_amount) == (
        Decimal("7.50"),
        Decimal("1.43"),  # 1.425 half-up
        Decimal("8.93"),
    )
    assert set(UsageRecord.objects.unscoped().values_list("pk", "invoiced_at")) == {
        (first.pk, ISSUE_AT),
        (second.pk, ISSUE_AT),
    }
    assert set(InvoiceUsage.objects.unscoped().values_list("invoice_id", "record_id")) == {
        (invoice.pk, first.pk),
        (invoice.pk, second.pk),
    }
    assert InvoiceNumberSeries.objects.get(year=2026).last_sequence == 1
    event = AuditEvent.objects.unscoped().get(action="billing.invoice_finalized")
    assert (event.target_id, event.data["number"], event.data["gross"]) == (str(invoice.pk), "KON-2026-000001", "8.93")


@pytest.mark.django_db
def test_a_finalized_invoice_cannot_be_finalized_again_and_nothing_changes(reservation, customer):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    invoice = finalize(draft(customer, 10))
    before = snapshot(invoice)

    with pytest.raises(InvoiceError, match="not a draft invoice"):
        finalize(invoice)

    assert snapshot(invoice) == before
    assert InvoiceNumberSeries.objects.get(year=2026).last_sequence == 1


@pytest.mark.django_db
def test_a_finalize_that_fails_after_numbering_leaves_no_gap(reservation, customer, monkeypatch):
    record = usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    invoice = draft(customer, 10)

    def fail(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(services, "audit_record_many", fail)  # runs after the numbers were drawn and saved
    with pytest.raises(RuntimeError, match="audit log unavailable"):
        finalize(invoice)
    monkeypatch.undo()

    invoice.refresh_from_db()
    assert (invoice.status, invoice.number, invoice.number_sequence, invoice.issued_at) == ("draft", "", None, None)
    assert not InvoiceNumberSeries.objects.filter(year=2026).exists()
    record.refresh_from_db()
    assert record.invoiced_at is None

    assert finalize(invoice).number == "KON-2026-000001"
    assert InvoiceNumberSeries.objects.get(year=2026).last_sequence == 1


@pytest.mark.django_db
def test_an_invoice_without_usage_left_is_not_finalized(reservation, customer):
    record = usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    invoice = draft(customer, 10)
    UsageRecord.objects.unscoped().filter(pk=record.pk).delete()  # metering removed a failed reservation's usage

    with pytest.raises(InvoiceError, match="no usage left to bill"):
        finalize(invoice)

    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("draft", "")
    assert not InvoiceNumberSeries.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_finalizations_get_consecutive_numbers_without_gaps_or_duplicates(reservation, customer):
    months = range(1, 9)
    for month in months:
        usage(reservation, datetime(2026, month, 10, 10, tzinfo=UTC), 3600 * month, "1.0000")
    invoices = [draft(customer, month) for month in months]
    barrier = threading.Barrier(len(invoices))
    errors: list[BaseException] = []

    def race(invoice: Invoice) -> None:
        close_old_connections()
        barrier.wait()
        try:
            invoice_finalize(actor=ACTOR, invoice=invoice)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(ISSUE_AT, tick=False):
        threads = [threading.Thread(target=race, args=(invoice,)) for invoice in invoices]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    numbers = sorted(Invoice.objects.unscoped().values_list("number_sequence", "number"))
    assert numbers == [(n, f"KON-2026-{n:06d}") for n in range(1, 9)]
    assert InvoiceNumberSeries.objects.get(year=2026).last_sequence == 8
    assert UsageRecord.objects.unscoped().filter(invoiced_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_the_database_refuses_to_change_or_delete_a_finalized_invoice_and_its_lines(reservation, customer):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    invoice = finalize(draft(customer, 10))
    line = InvoiceLine.objects.unscoped().get(invoice=invoice)
    before = snapshot(invoice)
    statements = [
        ("UPDATE billing_invoice SET net_amount = 0, vat_amount = 0, gross_amount = 0 WHERE id = %s", invoice.pk),
        (
            "UPDATE billing_invoice SET status = 'draft', number = '', number_year = NULL, number_sequence = NULL, "
            "issued_at = NULL WHERE id = %s",
            invoice.pk,
        ),
        ("DELETE FROM billing_invoice WHERE id = %s", invoice.pk),
        ("UPDATE billing_invoiceline SET net_amount = 99 WHERE id = %s", line.pk),
        ("DELETE FROM billing_invoiceline WHERE id = %s", line.pk),
    ]

    for sql, pk in statements:
        with pytest.raises(IntegrityError, match="finalized"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [pk])

    with pytest.raises(IntegrityError, match="finalized"), transaction.atomic():
        InvoiceLine.objects.create(
            organization=customer,
            invoice=invoice,
            position=2,
            description="smuggled",
            meter="gpu_seconds",
            flavor_slug="b200-x4",
            quantity=Decimal(1),
            unit_price=Decimal(1),
            net_amount=Decimal(1),
            vat_category="S",
            vat_rate=Decimal(19),
        )
    assert snapshot(invoice) == before


@pytest.mark.django_db
def test_a_draft_stays_writable_for_the_services(reservation, customer):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    invoice = draft(customer, 10)

    with connection.cursor() as cursor:
        cursor.execute("UPDATE billing_invoiceline SET description = 'renamed' WHERE invoice_id = %s", [invoice.pk])
        cursor.execute("UPDATE billing_invoice SET vat_note = 'note' WHERE id = %s", [invoice.pk])

    assert InvoiceLine.objects.unscoped().get(invoice=invoice).description == "renamed"
    assert Invoice.objects.unscoped().get(pk=invoice.pk).vat_note == "note"
