from __future__ import annotations

import django_filters

from portal.api import fields as api_fields
from tenants.models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(field_name="action")
    action_prefix = django_filters.CharFilter(field_name="action", lookup_expr="startswith")
    target_type = django_filters.CharFilter(field_name="target_type")
    since = api_fields.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = api_fields.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["action", "action_prefix", "target_type", "since", "until"]


class OperatorAuditEventFilter(AuditEventFilter):
    organization = django_filters.CharFilter(field_name="organization__slug")

    class Meta(AuditEventFilter.Meta):
        fields = [*AuditEventFilter.Meta.fields, "organization"]
