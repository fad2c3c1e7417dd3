"""Helpers for the stored-document tests: finalized documents of the test customer and a seller with a bank."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings

from billing.invoices.services import invoice_draft_for_month, invoice_finalize
from billing.models import Invoice
from tests.billing.usage import ACTOR

ISSUE_AT = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def seller_bank(settings):
    settings.KONTOR_SELLER = {
        **settings.KONTOR_SELLER,
        "vat_id": "DE123456788",
        "iban": "DE02120300000000202051",
        "bic": "BYLADEM1001",
        "registration_id": "HRB 123456, Amtsgericht München",
    }
    return settings.KONTOR_SELLER


def finalized(organization, month: int = 10) -> Invoice:
    with time_machine.travel(ISSUE_AT, tick=False):
        invoice = invoice_draft_for_month(organization=organization, year=2026, month=month)
        assert invoice is not None
        return invoice_finalize(actor=ACTOR, invoice=invoice)


__all__ = ["finalized", "seller_bank", "settings"]
