"""The operator console: documents are read-only; the Finalize action finalizes drafts through the service."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from billing.invoices.services import invoice_draft_for_month
from billing.models import Invoice
from tests.billing.usage import reservation, usage

pytestmark = pytest.mark.django_db
__all__ = ["reservation"]


@pytest.fixture
def draft(reservation, customer) -> Invoice:
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 3600, "1.0000")
    with time_machine.travel(datetime(2026, 11, 5, 9, tzinfo=UTC), tick=False):
        invoice = invoice_draft_for_month(organization=customer, year=2026, month=10)
    assert invoice is not None
    return invoice


def test_the_console_lists_and_shows_invoices_with_their_lines_read_only(console_client, draft):
    listing = console_client.get(reverse("admin:billing_invoice_changelist"))
    detail = console_client.get(reverse("admin:billing_invoice_change", args=[draft.pk]))

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert "Committed GPU time, b200-x4, October 2026: 4 GPUs × 0.25 hours".encode() in detail.content
    assert b'name="net_amount"' not in detail.content  # no editable field
    assert console_client.post(reverse("admin:billing_invoice_delete", args=[draft.pk])).status_code == 403


def test_the_finalize_action_refuses_an_unreviewed_draft(console_client, draft):
    with time_machine.travel(datetime(2026, 11, 5, 10, tzinfo=UTC), tick=False):
        response = console_client.post(
            reverse("admin:billing_invoice_changelist"),
            {"action": "finalize_drafts", "_selected_action": [draft.pk]},
            follow=True,
        )

    draft.refresh_from_db()
    assert (draft.status, draft.number) == ("draft", "")
    assert f"Invoice draft #{draft.pk} has not been reviewed: review its lines first, then finalize." in [
        str(message) for message in response.context["messages"]
    ]


def test_the_finalize_action_finalizes_the_selected_reviewed_drafts(console_client, draft):
    reviewed = console_client.post(
        reverse("admin:billing_invoice_changelist"), {"action": "review_drafts", "_selected_action": [draft.pk]}
    )
    assert reviewed.status_code == 302
    with time_machine.travel(datetime(2026, 11, 5, 10, tzinfo=UTC), tick=False):
        response = console_client.post(
            reverse("admin:billing_invoice_changelist"),
            {"action": "finalize_drafts", "_selected_action": [draft.pk]},
        )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.number) == ("finalized", "KON-2026-000001")
