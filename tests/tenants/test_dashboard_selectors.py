"""The operator dashboard's read of the approval queue: how many wait, and since when."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenants.models import AuditEvent, Organization
from tenants.selectors import PendingApproval, organizations_pending_approval
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_pending_approvals_longest_waiting_first(django_assert_num_queries):
    now = timezone.now()
    verified = OrganizationFactory.create(legal_name="Verified Late GmbH", status="pending_approval")
    Organization.objects.filter(pk=verified.pk).update(created_at=now - timedelta(days=9))
    # It signed up 9 days ago but confirmed its e-mail (entered pending approval) 2 days ago.
    AuditEvent.objects.create(
        actor_type="system",
        actor_label="system",
        organization=verified,
        action="organization.pending_approval",
        target_type="tenants.organization",
        target_id=str(verified.pk),
        occurred_at=now - timedelta(days=2),
    )
    waiting = OrganizationFactory.create(legal_name="Waiting Long B.V.", country="NL", status="pending_approval")
    Organization.objects.filter(pk=waiting.pk).update(created_at=now - timedelta(days=4))
    OrganizationFactory.create(status="active")
    OrganizationFactory.create(status="pending_verification")

    with django_assert_num_queries(2):
        pending = organizations_pending_approval(limit=5)

    assert pending.count == 2
    assert pending.oldest == [
        PendingApproval(waiting.pk, "Waiting Long B.V.", "NL", now - timedelta(days=4)),
        PendingApproval(verified.pk, "Verified Late GmbH", "DE", now - timedelta(days=2)),
    ]
    assert pending.oldest_since == now - timedelta(days=4)
    assert organizations_pending_approval(limit=1).oldest == pending.oldest[:1]
