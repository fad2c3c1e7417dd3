"""Input fields and filters every API serializer and FilterSet uses for values from outside."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import django_filters
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from core.datetimes import DATETIME_RANGE_CODE, datetime_range_error, validate_datetime_range


class DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField within ``core.datetimes``'s range: the offset is checked before DRF converts it to the
    current time zone, the year after."""

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value)
            except ValueError:  # well-formed but impossible: DRF's own parsing says so below
                parsed = None
            error = datetime_range_error(parsed) if parsed is not None else None
            if error is not None:
                raise serializers.ValidationError(error, code=DATETIME_RANGE_CODE)
        result = super().to_internal_value(value)
        error = datetime_range_error(result)
        if error is not None:
            raise serializers.ValidationError(error, code=DATETIME_RANGE_CODE)
        return result


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """django-filter's ISO 8601 filter within ``core.datetimes``'s range (a 400, never a database error)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("validators", [validate_datetime_range])
        super().__init__(*args, **kwargs)
