"""Credit notes (381): cite a finalized invoice, positive amounts, numbered from the same gapless series."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from billing.choices import InvoiceKind, InvoiceStatus
from billing.invoices.services import CreditLine, credit_note_create, invoice_draft_for_month, invoice_finalize
from billing.models import Invoice, InvoiceLine, InvoiceNumberSeries
from billing.periods import InvoiceError
from metering.choices import Meter
from metering.models import UsageCorrection
from tenants.models import AuditEvent
from tests.billing.usage import ACTOR, reservation, usage

pytestmark = pytest.mark.django_db
__all__ = ["reservation"]
ISSUE_AT = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
CREDIT_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def invoice(reservation, customer) -> Invoice:
    """October: 10 GPU-hours at 2.5000 EUR, finalized as KON-2026-000001 (net 25.00, VAT 4.75)."""
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 4 * 3600, "2.5000")
    usage(reservation, datetime(2026, 10, 5, 11, tzinfo=UTC), 6 * 3600, "2.5000")
    with time_machine.travel(ISSUE_AT, tick=False):
        draft = invoice_draft_for_month(organization=customer, year=2026, month=10)
        assert draft is not None
        return invoice_finalize(actor=ACTOR, invoice=draft)


def test_a_credit_note_from_usage_corrections_cites_the_invoice_with_positive_amounts(invoice, customer):
    record = invoice.usages.order_by("record__hour").last().record
    correction = UsageCorrection.objects.create(
        organization=customer, record=record, quantity_delta=-3 * 3600, unit_price=Decimal("2.5000")
    )

    with time_machine.travel(CREDIT_AT, tick=False):
        note = credit_note_create(actor=ACTOR, invoice=invoice, reason="Instance failed; 3 GPU-hours billed too many")

    assert (note.kind, note.status, note.number, note.credited_invoice_id) == (
        InvoiceKind.CREDIT_NOTE,
        InvoiceStatus.FINALIZED,
        "KON-2026-000002",
        invoice.pk,
    )
    assert (note.net_amount, note.vat_amount, note.gross_amount) == (Decimal("7.50"), Decimal("1.43"), Decimal("8.93"))
    assert (note.period_start, note.period_end, note.buyer_legal_name, note.vat_category) == (
        invoice.period_start,
        invoice.period_end,
        "Rheinwerk Robotics GmbH",
        "S",
    )
    assert list(
        InvoiceLine.objects.unscoped().filter(invoice=note).values_list("meter", "quantity", "unit_price", "net_amount")
    ) == [(Meter.COMMITTED_GPU_SECONDS, Decimal("3.000000"), Decimal("2.5000"), Decimal("7.50"))]
    correction.refresh_from_db()
    assert correction.credited_at == CREDIT_AT
    assert InvoiceNumberSeries.objects.get(year=2026).last_sequence == 2
    assert AuditEvent.objects.unscoped().filter(action="billing.credit_note_issued", target_id=str(note.pk)).exists()

    with time_machine.travel(CREDIT_AT, tick=False), pytest.raises(InvoiceError, match="at least one line"):
        credit_note_create(actor=ACTOR, invoice=invoice, reason="again")  # the correction is credited already
    assert Invoice.objects.unscoped().count() == 2


def test_an_operator_credits_named_lines(invoice):
    line = CreditLine(
        description="Goodwill: maintenance overran",
        meter=Meter.COMMITTED_GPU_SECONDS,
        flavor_slug="b200-x4",
        quantity=Decimal("1.5"),
        unit_price=Decimal("2.5000"),
    )

    with time_machine.travel(CREDIT_AT, tick=False):
        note = credit_note_create(actor=ACTOR, invoice=invoice, reason="Goodwill", lines=[line])

    assert (note.number, note.net_amount, note.vat_amount, note.gross_amount, note.credit_reason) == (
        "KON-2026-000002",
        Decimal("3.75"),
        Decimal("0.71"),  # 0.7125
        Decimal("4.46"),
        "Goodwill",
    )


def test_crediting_more_than_the_invoice_is_refused_and_nothing_changes(invoice):
    line = CreditLine(
        "Too much", Meter.COMMITTED_GPU_SECONDS, "b200-x4", Decimal("10.002"), Decimal("2.5000")
    )  # 25.01 EUR

    with time_machine.travel(CREDIT_AT, tick=False), pytest.raises(InvoiceError, match="would exceed"):
        credit_note_create(actor=ACTOR, invoice=invoice, reason="Too much", lines=[line])

    assert Invoice.objects.unscoped().count() == 1
    assert InvoiceNumberSeries.objects.get(year=2026).last_sequence == 1


def test_only_a_finalized_invoice_can_be_credited(reservation, customer):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    with time_machine.travel(ISSUE_AT, tick=False):
        draft = invoice_draft_for_month(organization=customer, year=2026, month=10)
    line = CreditLine("x", Meter.COMMITTED_GPU_SECONDS, "b200-x4", Decimal(1), Decimal("1.0000"))

    with pytest.raises(InvoiceError, match="not a finalized invoice"):
        credit_note_create(actor=ACTOR, invoice=draft, reason="x", lines=[line])

    assert Invoice.objects.unscoped().count() == 1
    assert not InvoiceNumberSeries.objects.exists()
