"""The operator console's view of metering: usage records and corrections, read-only (only metering writes them)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.money import format_money, format_quantity
from metering.models import UsageCorrection, UsageRecord
from tenants.admin import TenantOwnedAdminMixin


def gpu_hours(seconds: int) -> str:
    """GPU-seconds as GPU-hours, exact to the second's share (``1.5``, ``0.25``), in the page's language."""
    return format_quantity((Decimal(seconds) / 3600).quantize(Decimal("0.0001")).normalize())


class ReadOnlyAdmin(TenantOwnedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InvoicedFilter(admin.SimpleListFilter):
    """Invoiced or not: whether a seal covers the record's hour (``invoiced_at``, annotated by the manager)."""

    title = _("invoiced")
    parameter_name = "invoiced"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("0", _("Empty")), ("1", _("Not empty"))]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() in ("0", "1"):
            return queryset.filter(invoiced_at__isnull=self.value() == "0")
        return queryset


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyAdmin):
    list_display = ("hour", "organization", "reservation", "meter", "flavor", "gpu_hours", "price", "invoiced")
    list_filter = ("meter", "flavor", InvoicedFilter)
    search_fields = ("organization__legal_name", "reservation__id")
    list_select_related = ("organization", "reservation", "flavor")
    date_hierarchy = "hour"
    ordering = ("-hour", "-id")

    @admin.display(description=_("GPU-hours"), ordering="quantity")
    def gpu_hours(self, obj: UsageRecord) -> str:
        return gpu_hours(obj.quantity)

    @admin.display(description=_("EUR per GPU-hour"), ordering="unit_price")
    def price(self, obj: UsageRecord) -> str:
        return format_money(obj.unit_price)

    @admin.display(description=_("invoiced"), ordering="invoiced_at")
    def invoiced(self, obj: UsageRecord) -> Any:
        return obj.invoiced_at


@admin.register(UsageCorrection)
class UsageCorrectionAdmin(ReadOnlyAdmin):
    list_display = ("record", "organization", "gpu_hours_delta", "price", "created_at", "credited_at")
    list_filter = (("credited_at", admin.EmptyFieldListFilter),)
    search_fields = ("organization__legal_name",)
    list_select_related = ("organization", "record")
    ordering = ("-id",)

    @admin.display(description=_("GPU-hours difference"), ordering="quantity_delta")
    def gpu_hours_delta(self, obj: UsageCorrection) -> str:
        sign = "+" if obj.quantity_delta >= 0 else "−"
        return f"{sign}{gpu_hours(abs(obj.quantity_delta))}"

    @admin.display(description=_("EUR per GPU-hour"), ordering="unit_price")
    def price(self, obj: UsageCorrection) -> str:
        return format_money(obj.unit_price)
