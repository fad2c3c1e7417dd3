"""The operator dashboard's read of quota requests waiting for a decision."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import GpuModel
from reservations.selectors import PendingQuotaRequests, quota_requests_pending
from tests.factories import OrganizationFactory, QuotaRequestFactory

pytestmark = pytest.mark.django_db


def test_pending_quota_requests_across_organizations(catalog, django_assert_num_queries):
    b200 = GpuModel.objects.get(slug="b200")
    now = timezone.now()
    first, second = OrganizationFactory.create(), OrganizationFactory.create()
    QuotaRequestFactory.create(
        organization=first, gpu_model=b200, requested_gpus=128, created_at=now - timedelta(days=3)
    )
    QuotaRequestFactory.create(organization=second, gpu_model=b200, requested_gpus=64, created_at=now)
    QuotaRequestFactory.create(organization=second, gpu_model=b200, requested_gpus=512, status="rejected")

    with django_assert_num_queries(1):
        pending = quota_requests_pending()

    assert pending == PendingQuotaRequests(count=2, requested_gpus=192, oldest_created_at=now - timedelta(days=3))
