from __future__ import annotations

import django_filters

from metering.choices import Meter
from metering.models import UsageRecord
from portal.api import fields as api_fields


class UsageRecordFilter(django_filters.FilterSet):
    since = api_fields.IsoDateTimeFilter(
        field_name="hour", lookup_expr="gte", help_text="Hours starting at or after this instant (UTC)."
    )
    until = api_fields.IsoDateTimeFilter(
        field_name="hour", lookup_expr="lt", help_text="Hours starting before this instant (UTC)."
    )
    reservation = django_filters.NumberFilter(field_name="reservation_id", help_text="Reservation ID.")
    flavor = django_filters.CharFilter(field_name="flavor__slug", help_text="Flavor slug (b200-x4).")
    meter = django_filters.ChoiceFilter(choices=Meter.choices)

    class Meta:
        model = UsageRecord
        fields = ["since", "until", "reservation", "flavor", "meter"]
