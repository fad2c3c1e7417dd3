"""The operator console's view of the catalog, hardware, price book and quotes.

Every edit is audited in the same transaction (``AuditedModelAdmin`` for the object, ``save_formset`` here for its
inlines). Prices go through ``catalog.services``: a published price list is read-only here (and frozen in the
database); operators copy it as a new draft, edit the draft and publish it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog.choices import PAID_LICENSES, Commitment, License
from catalog.compatibility import flavor_shape_errors
from catalog.models import (
    AvailabilityZone,
    CatalogItem,
    CatalogItemUseCase,
    CatalogItemVersion,
    ComputePrice,
    Flavor,
    GpuModel,
    LicensePrice,
    NodeType,
    PriceList,
    Quote,
    QuoteLine,
    Region,
    ZoneCapacity,
)
from catalog.selectors import price_list_with_prices
from catalog.services import (
    price_list_copy_as_draft,
    price_list_publish,
    price_list_remove_price,
    price_list_set_compute_price,
    price_list_set_license_price,
    price_list_withdraw,
)
from core.money import format_money
from tenants.admin import AuditedModelAdmin, TenantOwnedAdminMixin
from tenants.audit import Actor, audit_record


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


class CatalogAdmin(AuditedModelAdmin):
    """Audits inline rows and deletions too (``AuditedModelAdmin`` audits the object itself)."""

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        actor = Actor.from_request(request)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            audit_record(
                actor=actor, action=f"{obj._meta.model_name}.deleted_in_console", target=obj, organization=None
            )
            obj.delete()
        changed = {id(inline_form.instance): inline_form.changed_data for inline_form in formset.forms}
        for obj in instances:
            created = obj.pk is None
            obj.save()
            audit_record(
                actor=actor,
                action=f"{obj._meta.model_name}.{'created' if created else 'changed'}_in_console",
                target=obj,
                organization=None,
                data={"fields": sorted(changed.get(id(obj), []))},
            )
        formset.save_m2m()

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        audit_record(
            actor=Actor.from_request(request),
            action=f"{obj._meta.model_name}.deleted_in_console",
            target=obj,
            organization=None,
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


# --- Hardware ------------------------------------------------------------------------------------------------------


class ZoneInline(admin.TabularInline):
    model = AvailabilityZone
    extra = 0
    fields = ("slug", "name")


@admin.register(Region)
class RegionAdmin(CatalogAdmin):
    list_display = ("name", "slug", "city", "country")
    search_fields = ("name", "slug", "city")
    fields = ("slug", "name", "city", "country")
    inlines = [ZoneInline]


@admin.register(GpuModel)
class GpuModelAdmin(CatalogAdmin):
    list_display = ("name", "architecture", "memory_gb", "has_ray_tracing_cores")
    search_fields = ("name", "slug")


@admin.register(NodeType)
class NodeTypeAdmin(CatalogAdmin):
    list_display = ("name", "gpu_model", "gpus_per_node", "has_nvlink", "has_infiniband")
    list_filter = ("gpu_model",)
    search_fields = ("name", "slug")
    list_select_related = ("gpu_model",)


class FlavorAdminForm(forms.ModelForm):
    class Meta:
        model = Flavor
        fields = [
            "slug",
            "name",
            "node_type",
            "gpu_count",
            "deployment",
            "vcpus",
            "ram_gb",
            "local_disk_gb",
            "is_active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        node_type, gpu_count, deployment = data.get("node_type"), data.get("gpu_count"), data.get("deployment")
        if node_type and gpu_count and deployment:
            shape = Flavor(node_type=node_type, gpu_count=gpu_count, deployment=deployment)
            for field, errors in flavor_shape_errors(shape).items():
                for error in errors:
                    self.add_error(field, error)
        return data


@admin.register(Flavor)
class FlavorAdmin(CatalogAdmin):
    form = FlavorAdminForm
    list_display = ("name", "node_type", "gpu_count", "deployment", "vcpus", "ram_gb", "is_active")
    list_filter = ("is_active", "deployment", "node_type")
    search_fields = ("name", "slug")
    list_select_related = ("node_type",)


@admin.register(ZoneCapacity)
class ZoneCapacityAdmin(CatalogAdmin):
    list_display = ("zone", "node_type", "node_count", "gpus")
    list_filter = ("zone", "node_type")
    list_select_related = ("zone", "node_type")

    @admin.display(description=_("GPUs"))
    def gpus(self, obj: ZoneCapacity) -> int:
        return obj.gpu_count


# --- Catalog -------------------------------------------------------------------------------------------------------


class UseCaseInline(admin.TabularInline):
    model = CatalogItemUseCase
    extra = 0


class VersionInline(admin.TabularInline):
    model = CatalogItemVersion
    extra = 1
    fields = ("tag", "released_on", "notes")


@admin.register(CatalogItem)
class CatalogItemAdmin(CatalogAdmin):
    list_display = ("name", "kind", "license", "min_gpu_memory_gb", "is_published")
    list_filter = ("is_published", "kind", "license", "requires_ray_tracing", "requires_whole_node")
    search_fields = ("name", "slug", "summary", "repository")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [UseCaseInline, VersionInline]
    fieldsets = (
        (None, {"fields": ("name", "slug", "kind", "publisher", "summary", "description", "repository")}),
        (_("License"), {"fields": ("license", "license_terms")}),
        (
            _("Hardware requirements"),
            {"fields": ("min_gpu_memory_gb", "requires_ray_tracing", "requires_whole_node", "requires_nvlink")},
        ),
        (_("Publication"), {"fields": ("is_published",)}),
    )


# --- Price book ----------------------------------------------------------------------------------------------------


class FrozenWhenPublishedInline(admin.TabularInline):
    extra = 0

    def _editable(self, obj: Any) -> bool:
        return obj is None or not obj.is_published

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


class ComputePriceInline(FrozenWhenPublishedInline):
    model = ComputePrice
    fields = ("flavor", "commitment", "unit_price")
    verbose_name = _("compute price (EUR per GPU-hour)")
    verbose_name_plural = _("Edit compute prices (EUR per GPU-hour)")


class LicensePriceInline(FrozenWhenPublishedInline):
    model = LicensePrice
    fields = ("license", "commitment", "unit_price")
    verbose_name = _("license price (EUR per GPU-hour)")
    verbose_name_plural = _("Edit license add-ons (EUR per GPU-hour)")


def price_tables(price_list: PriceList | None) -> SafeString:
    """The prices of a list as two tables: flavor by commitment and license by commitment, in the page's language.

    Rows are the flavors the list prices plus every active flavor it does not (an empty cell shows the gap), and
    every paid license; columns are the commitments in their order.
    """
    commitments = list(Commitment)
    compute: dict[tuple[int, str], Any] = {}
    licenses: dict[tuple[str, str], Any] = {}
    flavors: dict[int, Flavor] = {}
    if price_list is not None and price_list.pk is not None:
        loaded = price_list_with_prices(price_list.pk)
        if loaded is not None:
            for row in loaded.compute_prices.all():
                compute[(row.flavor_id, row.commitment)] = row.unit_price
                flavors[row.flavor_id] = row.flavor
            for license_row in loaded.license_prices.all():
                licenses[(license_row.license, license_row.commitment)] = license_row.unit_price
    for flavor in Flavor.objects.filter(is_active=True).exclude(pk__in=flavors):
        flavors[flavor.pk] = flavor
    compute_rows = [
        {"label": flavor.name, "cells": [compute.get((flavor.pk, c)) for c in commitments]}
        for flavor in sorted(flavors.values(), key=lambda flavor: (flavor.name, flavor.slug))
    ]
    license_rows = [
        {"label": License(lic).label, "cells": [licenses.get((str(lic), c)) for c in commitments]}
        for lic in PAID_LICENSES
    ]
    return render_to_string(
        "admin/catalog/pricelist/price_tables.html",
        {"commitments": commitments, "compute_rows": compute_rows, "license_rows": license_rows},
    )


class PriceListStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("draft", _("draft")), ("scheduled", _("scheduled")), ("in_effect", _("in effect"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[PriceList]) -> QuerySet[PriceList]:
        now = timezone.now()
        if self.value() == "draft":
            return queryset.filter(published_at__isnull=True)
        if self.value() == "scheduled":
            return queryset.filter(published_at__isnull=False, effective_from__gt=now)
        if self.value() == "in_effect":
            return queryset.filter(published_at__isnull=False, effective_from__lte=now)
        return queryset


@admin.register(PriceList)
class PriceListAdmin(CatalogAdmin):
    """Published lists show their prices as tables only; drafts show the tables and the rows to edit them."""

    list_display = ("name", "state", "effective_from", "created_by_label")
    list_filter = (PriceListStateFilter,)
    search_fields = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "effective_from", "notes")}),
        (_("Prices"), {"fields": ("prices",)}),
        (_("History"), {"fields": ("currency", "published_at", "created_at", "created_by_label")}),
    )
    readonly_fields = ("prices", "currency", "published_at", "created_at", "created_by_label")
    inlines = [ComputePriceInline, LicensePriceInline]
    actions = ["publish", "withdraw", "copy_as_draft"]

    @admin.display(description=_("prices"))
    def prices(self, obj: PriceList | None) -> SafeString:
        return price_tables(obj)

    def get_inlines(self, request: HttpRequest, obj: PriceList | None) -> list[Any]:
        return [] if obj is not None and obj.is_published else list(self.inlines)

    @admin.display(description=_("state"))
    def state(self, obj: PriceList) -> str:
        if not obj.is_published:
            return str(_("draft"))
        return str(_("in effect")) if obj.has_taken_effect() else str(_("scheduled"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (obj is None or not obj.is_published) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (obj is None or not obj.is_published) and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by_label = Actor.from_request(request).label[:254]
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Prices are written by the price-list services, which refuse a published list and audit each price."""
        actor = Actor.from_request(request)
        price_list = form.instance
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            price_list_remove_price(actor=actor, price=obj)
        for obj in instances:
            if obj.pk is not None:  # the row may have changed its flavor, license or commitment
                price_list_remove_price(actor=actor, price=type(obj).objects.get(pk=obj.pk))
            if isinstance(obj, ComputePrice):
                price_list_set_compute_price(
                    actor=actor,
                    price_list=price_list,
                    flavor=obj.flavor,
                    commitment=obj.commitment,  # type: ignore[arg-type]
                    unit_price=obj.unit_price,
                )
            else:
                price_list_set_license_price(
                    actor=actor,
                    price_list=price_list,
                    license=obj.license,
                    commitment=obj.commitment,
                    unit_price=obj.unit_price,
                )

    @admin.action(description=_("Publish the selected drafts (at their planned time, or now)"))
    def publish(self, request: HttpRequest, queryset: QuerySet[PriceList]) -> None:
        actor = Actor.from_request(request)
        for price_list in queryset:
            try:
                price_list_publish(actor=actor, price_list=price_list)
            except ValidationError as error:
                self.message_user(request, f"{price_list}: {_message(error)}", messages.ERROR)
            else:
                self.message_user(request, _("%(name)s is published.") % {"name": price_list.name}, messages.SUCCESS)

    @admin.action(description=_("Withdraw the selected lists that have not taken effect"))
    def withdraw(self, request: HttpRequest, queryset: QuerySet[PriceList]) -> None:
        actor = Actor.from_request(request)
        for price_list in queryset:
            try:
                price_list_withdraw(actor=actor, price_list=price_list)
            except ValidationError as error:
                self.message_user(request, f"{price_list}: {_message(error)}", messages.ERROR)
            else:
                self.message_user(request, _("%(name)s is a draft again.") % {"name": price_list.name})

    @admin.action(description=_("Copy as a new draft"))
    def copy_as_draft(self, request: HttpRequest, queryset: QuerySet[PriceList]) -> None:
        actor = Actor.from_request(request)
        copies = [price_list_copy_as_draft(actor=actor, source=price_list) for price_list in queryset]
        self.message_user(
            request,
            ngettext("%(count)d draft created.", "%(count)d drafts created.", len(copies)) % {"count": len(copies)},
        )


# --- Quotes --------------------------------------------------------------------------------------------------------


class QuoteLineInline(TenantOwnedAdminMixin, admin.TabularInline):
    model = QuoteLine
    extra = 0
    fields = ("position", "kind", "description", "quantity", "unit_price", "net_amount")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Quote)
class QuoteAdmin(TenantOwnedAdminMixin, admin.ModelAdmin):
    """Quotes are made by customers and never change: read-only here."""

    list_display = ("quote", "organization", "item_version", "instances", "commitment", "gross", "valid_until")
    list_select_related = ("organization", "item_version__item", "flavor")
    list_filter = ("commitment", "vat_category")
    search_fields = ("organization__legal_name", "item_version__item__name", "flavor__slug")
    inlines = [QuoteLineInline]
    date_hierarchy = "created_at"
    ordering = ("-id",)

    @admin.display(description=_("quote"), ordering="id")
    def quote(self, obj: Quote) -> str:
        return str(_("Quote %(number)s") % {"number": obj.pk})

    @admin.display(description=_("instances"), ordering="instance_count")
    def instances(self, obj: Quote) -> str:
        return f"{obj.instance_count} × {obj.flavor.name}"

    @admin.display(description=_("total (gross)"), ordering="gross_amount")
    def gross(self, obj: Quote) -> str:
        return format_money(obj.gross_amount)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
