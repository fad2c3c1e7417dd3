"""Finalization finalizes exactly the reviewed figures: a draft changed after its review is refused (nothing
numbered, the review withdrawn and audited) and needs a new review."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from billing.invoices.review import InvoiceReviewError, draft_content_hash
from billing.invoices.services import (
    invoice_draft_for_month,
    invoice_finalize,
    invoice_mark_reviewed,
    invoices_finalize_due,
)
from billing.lines import LineAmounts
from billing.models import Invoice, InvoiceNumberSeries, InvoiceReview
from metering.models import UsageRecord
from tenants.models import AuditEvent
from tests.billing.usage import ACTOR, reservation, usage

pytestmark = pytest.mark.django_db
__all__ = ["reservation"]
HOUR = datetime(2026, 10, 5, 10, tzinfo=UTC)
AT = datetime(2026, 11, 5, 9, tzinfo=UTC)
OPERATOR = ACTOR


def draft(organization) -> Invoice:
    with time_machine.travel(AT, tick=False):
        invoice = invoice_draft_for_month(organization=organization, year=2026, month=10)
    assert invoice is not None
    return invoice


def test_a_reviewed_unchanged_draft_is_finalized_with_the_reviewed_figures(reservation, customer):
    usage(reservation, HOUR, 4 * 3600, "2.0000")
    invoice = draft(customer)
    review = invoice_mark_reviewed(actor=OPERATOR, invoice=invoice)

    with time_machine.travel(AT, tick=False):
        finalized = invoice_finalize(actor=ACTOR, invoice=invoice, require_review=True)

    assert (finalized.status, finalized.number, finalized.net_amount) == (
        "finalized",
        "KON-2026-000001",
        Decimal("8.00"),
    )
    event = AuditEvent.objects.unscoped().get(action="billing.invoice_finalized")
    assert (event.data["content_hash"], event.data["reviewed_by"]) == (review.content_hash, OPERATOR.label)
    assert AuditEvent.objects.unscoped().filter(action="billing.invoice_reviewed").count() == 1


def test_usage_changed_after_the_review_refuses_finalization_and_numbers_nothing(reservation, customer):
    record = usage(reservation, HOUR, 4 * 3600, "2.0000")
    invoice = draft(customer)
    invoice_mark_reviewed(actor=OPERATOR, invoice=invoice)
    # Metering rewrites the open hour after the review; the draft is not refreshed before finalizing.
    UsageRecord.objects.unscoped().filter(pk=record.pk).update(quantity=4 * 5400)

    with time_machine.travel(AT, tick=False), pytest.raises(InvoiceReviewError) as refused:
        invoice_finalize(actor=ACTOR, invoice=invoice)

    assert str(refused.value) == (
        f"Invoice draft #{invoice.pk} changed after test reviewed it (its usage was metered again): the review "
        "was withdrawn and nothing was finalized. Review the new figures, then finalize."
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number, invoice.net_amount) == ("draft", "", Decimal("12.00"))  # new figures
    assert not InvoiceNumberSeries.objects.exists()
    assert not InvoiceReview.objects.unscoped().exists()
    assert UsageRecord.objects.unscoped().get(pk=record.pk).invoiced_at is None
    withdrawn = AuditEvent.objects.unscoped().get(action="billing.invoice_review_invalidated")
    assert withdrawn.data["reason"] == "finalization found other figures"

    # Not reviewed now: the console's finalization (review required) refuses until the new figures are reviewed.
    with time_machine.travel(AT, tick=False), pytest.raises(InvoiceReviewError) as unreviewed:
        invoice_finalize(actor=ACTOR, invoice=invoice, require_review=True)
    assert str(unreviewed.value) == (
        f"Invoice draft #{invoice.pk} has not been reviewed: review its lines first, then finalize."
    )
    invoice_mark_reviewed(actor=OPERATOR, invoice=invoice)
    with time_machine.travel(AT, tick=False):
        finalized = invoice_finalize(actor=ACTOR, invoice=invoice, require_review=True)
    assert (finalized.number, finalized.net_amount) == ("KON-2026-000001", Decimal("12.00"))


def test_a_refresh_that_changes_a_reviewed_draft_withdraws_the_review(reservation, customer):
    record = usage(reservation, HOUR, 4 * 3600, "2.0000")
    invoice = draft(customer)
    invoice_mark_reviewed(actor=OPERATOR, invoice=invoice)
    draft(customer)  # unchanged: the review stays
    assert InvoiceReview.objects.unscoped().filter(invoice=invoice).exists()

    UsageRecord.objects.unscoped().filter(pk=record.pk).update(quantity=4 * 1800)
    draft(customer)

    assert not InvoiceReview.objects.unscoped().exists()
    withdrawn = AuditEvent.objects.unscoped().get(action="billing.invoice_review_invalidated")
    assert (withdrawn.target_id, withdrawn.data["reason"]) == (
        str(invoice.pk),
        "the draft was refreshed from changed usage",
    )


def test_the_monthly_run_finalizes_only_reviewed_drafts_when_review_is_required(reservation, customer, settings):
    settings.KONTOR_INVOICE_REVIEW_REQUIRED = True
    usage(reservation, HOUR, 4 * 3600, "2.0000")
    invoice = draft(customer)

    with time_machine.travel(AT, tick=False):
        skipped = invoices_finalize_due(now=AT)
    invoice_mark_reviewed(actor=OPERATOR, invoice=invoice)
    with time_machine.travel(AT, tick=False):
        finalized = invoices_finalize_due(now=AT)

    assert (skipped.documents, skipped.failures, finalized.documents) == (0, 1, 1)
    invoice.refresh_from_db()
    assert invoice.number == "KON-2026-000001"


def test_the_content_hash_compares_amounts_by_value_and_sees_every_figure():
    line = LineAmounts("GPU", "committed_gpu_seconds", "b200-x4", Decimal("1.000000"), Decimal("2.0000"), Decimal("2"))
    same = LineAmounts("GPU", "committed_gpu_seconds", "b200-x4", Decimal("1"), Decimal("2"), Decimal("2.00"))
    other = LineAmounts("GPU", "committed_gpu_seconds", "b200-x4", Decimal("1"), Decimal("2"), Decimal("2.01"))

    assert draft_content_hash(lines=[line], header=["AE", Decimal("0")]) == draft_content_hash(
        lines=[same], header=["AE", Decimal("0.00")]
    )
    assert draft_content_hash(lines=[line], header=["AE", Decimal("0")]) != draft_content_hash(
        lines=[other], header=["AE", Decimal("0")]
    )
