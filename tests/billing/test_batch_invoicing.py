"""Set-based invoicing: a batch drafts the same invoices one by one would, and a batch finalization numbers one
consecutive block, only for the invoices it finalizes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from billing.invoices.selectors import invoices_for_documents
from billing.invoices.services import invoices_draft_for_month, invoices_finalize
from billing.models import InvoiceLine, InvoiceNumberSeries, InvoiceUsage
from billing.periods import InvoiceError
from metering.models import UsageRecord
from tests.billing.usage import ACTOR, reservation, usage

__all__ = ["reservation"]
ISSUE_AT = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_a_batch_finalization_numbers_one_consecutive_block_and_skips_what_it_refuses(reservation, customer):
    for month in (8, 9, 10):
        usage(reservation, datetime(2026, month, 10, 10, tzinfo=UTC), 3600 * month, "1.5000")
    with time_machine.travel(ISSUE_AT, tick=False):
        drafts = [
            invoices_draft_for_month(organization_ids=[customer.pk], year=2026, month=month)[customer.pk]
            for month in (8, 9, 10)
        ]
        assert [line.net_amount for line in InvoiceLine.objects.unscoped().order_by("invoice_id")] == [
            Decimal("12.00"),
            Decimal("13.50"),
            Decimal("15.00"),
        ]
        # September's usage is gone before finalizing: that invoice is refused and takes no number.
        UsageRecord.objects.unscoped().filter(hour__month=9).delete()
        result = invoices_finalize(actor=ACTOR, invoice_ids=[drafts[2].pk, drafts[1].pk, drafts[0].pk])

    assert [(invoice.pk, invoice.number) for invoice in result.finalized] == [
        (drafts[2].pk, "KON-2026-000001"),
        (drafts[0].pk, "KON-2026-000002"),
    ]
    assert list(result.refused) == [drafts[1].pk]
    assert isinstance(result.refused[drafts[1].pk], InvoiceError)
    assert "no usage left to bill" in str(result.refused[drafts[1].pk])
    assert InvoiceNumberSeries.objects.get(year=2026).last_sequence == 2
    assert sorted(InvoiceUsage.objects.unscoped().values_list("invoice_id", flat=True)) == sorted(
        [drafts[0].pk, drafts[2].pk]
    )
    assert UsageRecord.objects.unscoped().filter(invoiced_at=ISSUE_AT).count() == 2
    documents = list(invoices_for_documents(invoice_ids=[drafts[0].pk, drafts[2].pk]))
    assert [[line.net_amount for line in invoice.lines.all()] for invoice in documents] == [
        [Decimal("12.00")],
        [Decimal("15.00")],
    ]
