from __future__ import annotations

from datetime import UTC

from rest_framework import serializers

from metering.models import UsageRecord


class UsageRecordSerializer(serializers.ModelSerializer[UsageRecord]):
    """GPU-seconds of one meter in one UTC hour; the unit price is EUR per GPU-hour as a decimal string."""

    hour = serializers.DateTimeField(read_only=True, default_timezone=UTC, help_text="Start of the UTC hour.")
    flavor: serializers.SlugRelatedField[UsageRecord] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    invoiced = serializers.SerializerMethodField()

    class Meta:
        model = UsageRecord
        fields = ["id", "reservation", "instance", "meter", "hour", "quantity", "flavor", "unit_price", "invoiced"]
        read_only_fields = fields

    def get_invoiced(self, record: UsageRecord) -> bool:
        return record.invoiced_at is not None
