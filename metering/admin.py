"""The operator console's view of metering: usage records and corrections, read-only (only metering writes them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from metering.models import UsageCorrection, UsageRecord
from tenants.admin import TenantOwnedAdminMixin


class ReadOnlyAdmin(TenantOwnedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "hour",
        "organization",
        "reservation",
        "instance",
        "meter",
        "flavor",
        "quantity",
        "unit_price",
        "invoiced_at",
    )
    list_filter = ("meter", "flavor")
    search_fields = ("organization__legal_name", "reservation__id")
    list_select_related = ("organization", "reservation", "instance__reservation", "flavor")
    date_hierarchy = "hour"
    ordering = ("-hour", "-id")


@admin.register(UsageCorrection)
class UsageCorrectionAdmin(ReadOnlyAdmin):
    list_display = ("record", "organization", "quantity_delta", "unit_price", "created_at", "credited_at")
    list_select_related = ("organization", "record")
    ordering = ("-id",)
