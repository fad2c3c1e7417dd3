"""Review of draft invoices: an operator approves exactly the figures they saw, and only those get finalized.

- ``draft_content_hash`` is the SHA-256 of a draft's lines (text, meter, flavor, quantity, price, net, service
  period, PO reference, corrected invoice) and its header (parties, VAT treatment, totals), in a canonical JSON.
- ``invoice_review`` stores that hash for a draft (``InvoiceReview``), audited as ``billing.invoice_reviewed``.
- ``review_invalidate`` deletes a review whose hash no longer matches, audited as
  ``billing.invoice_review_invalidated``: drafting calls it when a refresh rewrote a reviewed draft, finalization
  when the lines it recomputes from the locked usage differ from the reviewed ones (and then refuses).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.choices import InvoiceKind, InvoiceStatus
from billing.invoices.models import Invoice, InvoiceReview
from billing.lines import LineAmounts
from billing.periods import InvoiceError
from tenants.audit import Actor, audit_record


class InvoiceReviewError(InvoiceError):
    """The draft is not reviewed, or changed since it was reviewed: nothing was numbered."""


def _text(value: object) -> str:
    """A value as hash input: decimals by value (``19`` and ``19.00`` alike, as read back from NUMERIC or computed)."""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return "" if value is None else str(value)


def draft_content_hash(*, lines: Sequence[LineAmounts], header: Sequence[object]) -> str:
    """SHA-256 (hex) of the lines and header values, each rendered as text in a fixed order."""
    payload = {
        "lines": [
            [
                line.description,
                line.meter,
                line.flavor_slug,
                _text(line.quantity),
                _text(line.unit_price),
                _text(line.net_amount),
                line.service_start.isoformat() if line.service_start else "",
                line.service_end.isoformat() if line.service_end else "",
                line.order_reference,
                line.corrects_id or 0,
            ]
            for line in lines
        ],
        "header": [_text(value) for value in header],
    }
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def review_get(invoice: Invoice) -> InvoiceReview | None:
    return InvoiceReview.objects.for_organization(invoice.organization).filter(invoice=invoice).first()


def invoice_review(*, actor: Actor, invoice: Invoice, content_hash: str) -> InvoiceReview:
    """Record that ``actor`` reviewed the draft as it is now (``content_hash`` of its stored lines and header).

    Refuses a document that is not a draft invoice. Reviewing again replaces the earlier review.
    """
    with transaction.atomic():
        locked = Invoice.objects.unscoped().select_for_update().select_related("organization").get(pk=invoice.pk)
        if locked.kind != InvoiceKind.INVOICE or locked.status != InvoiceStatus.DRAFT:
            raise InvoiceReviewError(
                _("%(invoice)s is not a draft invoice; only drafts are reviewed.") % {"invoice": locked}
            )
        review, _created = InvoiceReview.objects.for_organization(locked.organization).update_or_create(
            organization=locked.organization,
            invoice=locked,
            defaults={"content_hash": content_hash, "reviewed_by_label": actor.label, "reviewed_at": timezone.now()},
        )
        audit_record(
            actor=actor,
            action="billing.invoice_reviewed",
            target=locked,
            organization=locked.organization,
            data={"content_hash": content_hash, "net": str(locked.net_amount), "gross": str(locked.gross_amount)},
        )
        return review


def review_invalidate(*, actor: Actor, review: InvoiceReview, content_hash: str, reason: str) -> None:
    """Delete a review that no longer matches the draft's figures (``content_hash``), audited in the caller's
    transaction."""
    audit_record(
        actor=actor,
        action="billing.invoice_review_invalidated",
        target=review.invoice,
        organization=review.invoice.organization,
        data={
            "reviewed_hash": review.content_hash,
            "current_hash": content_hash,
            "reviewed_by": review.reviewed_by_label,
            "reviewed_at": review.reviewed_at.isoformat(),
            "reason": reason,
        },
    )
    review.delete()
