"""Usage API: the organization's metered GPU-seconds per hour, filterable by time, reservation, flavor and meter."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins

from metering.api.filters import UsageRecordFilter
from metering.api.serializers import UsageRecordSerializer
from metering.models import UsageRecord
from portal.api.access import OrganizationScopedViewSet
from tenants.permissions import Action

USAGE_EXAMPLE = {
    "id": 1234,
    "reservation": 42,
    "instance": 77,
    "meter": "gpu_seconds",
    "hour": "2026-10-05T10:00:00Z",
    "quantity": 14400,
    "flavor": "b200-x4",
    "unit_price": "3.1234",
    "invoiced": False,
}


@extend_schema_view(
    list=extend_schema(
        summary="List the metered usage (GPU-seconds per UTC hour)",
        examples=[OpenApiExample("One hour of four GPUs", value=USAGE_EXAMPLE, response_only=True)],
    ),
)
class UsageRecordViewSet(mixins.ListModelMixin, OrganizationScopedViewSet):
    serializer_class = UsageRecordSerializer
    filterset_class = UsageRecordFilter
    required_actions = {"list": Action.BILLING_VIEW}

    def get_scoped_queryset(self) -> QuerySet[UsageRecord]:
        return UsageRecord.objects.for_organization(self.organization).select_related("flavor")
