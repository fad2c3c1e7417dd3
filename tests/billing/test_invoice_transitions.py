"""Invoice status changes only through invoice_transition: compare-and-set, audited, refusals change nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import transaction

from billing.choices import InvoiceStatus
from billing.invoices import services
from billing.invoices.services import invoice_transition
from billing.models import Invoice, InvoiceNumberSeries
from billing.periods import InvoiceError
from tenants.models import AuditEvent
from tenants.services import InvalidTransitionError
from tests.billing.test_finalize import ISSUE_AT, draft, finalize, snapshot
from tests.billing.usage import ACTOR, reservation, usage

__all__ = ["reservation"]
S = InvoiceStatus


def audit_of(invoice):
    return list(
        AuditEvent.objects.unscoped()
        .filter(target_type="billing.invoice", target_id=str(invoice.pk))
        .values_list("action", flat=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("from_status", "to_status"), [(S.FINALIZED, S.DRAFT), (S.FINALIZED, S.FINALIZED), (S.DRAFT, S.DRAFT)]
)
def test_a_move_the_table_does_not_allow_is_refused_and_changes_nothing(reservation, customer, from_status, to_status):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    invoice = finalize(draft(customer, 10))
    before = snapshot(invoice)

    with pytest.raises(InvalidTransitionError) as refusal:
        invoice_transition(
            actor=ACTOR,
            invoice=invoice,
            from_status=from_status,
            to_status=to_status,
            values={},
            action="billing.invoice_reopened",
            data={},
        )

    assert refusal.value.code == "invalid_transition"
    assert snapshot(invoice) == before
    assert audit_of(invoice) == ["billing.invoice_finalized"]


@pytest.mark.django_db
def test_finalizing_a_stale_draft_whose_row_was_finalized_meanwhile_changes_nothing_and_leaves_no_gap(
    reservation, customer
):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    usage(reservation, datetime(2026, 9, 5, 10, tzinfo=UTC), 3600, "1.0000")
    october = draft(customer, 10)
    stale = Invoice.objects.unscoped().get(pk=october.pk)  # read as a draft, before the finalization below
    finalize(october)
    before = snapshot(october)

    with (
        time_machine.travel(ISSUE_AT, tick=False),
        pytest.raises(InvoiceError, match="not a draft invoice"),
        transaction.atomic(),
    ):
        services._finalize_locked(actor=ACTOR, invoice=stale, action="billing.invoice_finalized", data={})

    assert stale.status == S.DRAFT
    assert snapshot(october) == before
    assert audit_of(october) == ["billing.invoice_finalized"]
    assert InvoiceNumberSeries.objects.get(year=2026).last_sequence == 1
    assert finalize(draft(customer, 9)).number == "KON-2026-000002"
