"""The console's credit note action: asks for the reason, then credits a finalized invoice's uncredited corrections."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from billing.choices import InvoiceKind, InvoiceStatus
from billing.models import Invoice
from metering.models import UsageCorrection
from tests.billing.invoice_files import finalized
from tests.billing.usage import reservation, usage

pytestmark = pytest.mark.django_db
__all__ = ["reservation"]
LATER = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def invoice(reservation, customer) -> Invoice:
    """October: 4 GPU-hours at 2.50 EUR invoiced, then 1 GPU-hour found billed too many."""
    record = usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 4 * 3600, "2.5000")
    invoice = finalized(customer)
    UsageCorrection.objects.create(
        organization=customer, record=record, quantity_delta=-3600, unit_price=Decimal("2.5000")
    )
    return invoice


def act(console_client, invoice: Invoice, **extra: str):
    with time_machine.travel(LATER, tick=False):
        return console_client.post(
            reverse("admin:billing_invoice_changelist"),
            {"action": "credit_corrections", "_selected_action": [invoice.pk], **extra},
        )


def credit_notes() -> list[tuple[str, str, Decimal, Decimal, str]]:
    return list(
        Invoice.objects.unscoped()
        .filter(kind=InvoiceKind.CREDIT_NOTE)
        .values_list("number", "credited_invoice__number", "net_amount", "gross_amount", "credit_reason")
    )


def test_the_action_first_asks_for_the_reason(console_client, invoice):
    response = act(console_client, invoice)

    assert response.status_code == 200
    assert response.templates[0].name == "admin/billing/invoice/credit_note.html"
    assert invoice.number.encode() in response.content
    assert credit_notes() == []


def test_a_blank_reason_is_refused_and_nothing_is_credited(console_client, invoice):
    response = act(console_client, invoice, apply="1", reason="")

    assert response.status_code == 200
    assert b"This field is required" in response.content
    assert credit_notes() == []
    assert UsageCorrection.objects.unscoped().get().credited_at is None


def test_the_action_credits_the_uncredited_corrections_once(console_client, invoice):
    response = act(console_client, invoice, apply="1", reason="Instance stop was recorded late.")
    again = act(console_client, invoice, apply="1", reason="Instance stop was recorded late.")

    assert response.status_code == again.status_code == 302
    assert credit_notes() == [
        ("KON-2026-000002", invoice.number, Decimal("2.50"), Decimal("2.98"), "Instance stop was recorded late.")
    ]
    assert Invoice.objects.unscoped().get(kind=InvoiceKind.CREDIT_NOTE).status == InvoiceStatus.FINALIZED
    assert UsageCorrection.objects.unscoped().get().credited_at == LATER
    messages = [str(message) for message in again.wsgi_request._messages]
    assert messages == [  # the first run's message was not shown yet: no page was rendered in between
        f"{invoice.number}: credit note KON-2026-000002 issued.",
        f"{invoice}: A credit note needs at least one line with a positive quantity.",
    ]
