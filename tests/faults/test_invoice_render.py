"""An invoice whose document rendering failed in the worker (here: the worker's seller data lacks the bank account,
so every render raises) gets its files once the sweeper re-drives it on a healthy worker."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from billing.models import InvoiceFile
from billing.tasks import render_missing_documents_task
from tests.billing.invoice_files import finalized, seller_bank
from tests.billing.usage import reservation, usage
from tests.faults.harness import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["reservation", "seller_bank"]

SELLER_BANK = {
    "KONTOR_SELLER_VAT_ID": "DE123456788",
    "KONTOR_SELLER_IBAN": "DE02120300000000202051",
    "KONTOR_SELLER_BIC": "BYLADEM1001",
    "KONTOR_SELLER_REGISTRATION_ID": "HRB 123456, Amtsgericht München",
}


def test_a_failed_render_is_rendered_after_the_sweep(broker, start_worker, reservation, customer, seller_bank):
    broken = start_worker("render-broken", concurrency=1, KONTOR_SELLER_IBAN="")
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    invoice = finalized(customer)  # its render task goes to the broken worker and fails there

    assert wait_until(lambda: "IBAN" in broken.output(), timeout=60), broken.output()[-2000:]
    assert InvoiceFile.objects.unscoped().filter(invoice=invoice).count() == 0
    broken.stop()

    start_worker("render-healthy", concurrency=1, **SELLER_BANK)
    assert render_missing_documents_task.apply().get() == 1  # issued long ago: past the ten-minute threshold

    assert wait_until(lambda: InvoiceFile.objects.unscoped().filter(invoice=invoice).count() == 3, timeout=90)
    assert sorted(InvoiceFile.objects.unscoped().filter(invoice=invoice).values_list("kind", flat=True)) == [
        "pdf",
        "xml",
        "xrechnung",
    ]
    assert render_missing_documents_task.apply().get() == 0
