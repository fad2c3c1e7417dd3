"""The operator console's view of customers and access."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tenants.audit import Actor, audit_record
from tenants.models import ApiKey, AuditEvent, Membership, Organization, User


class AuditedModelAdmin(admin.ModelAdmin):
    """Operator edits in the console are written to the audit log in the same transaction."""

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool) -> None:
        assert isinstance(request.user, User)
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                actor=Actor.from_request(request),
                action=f"{obj._meta.model_name}.{'changed' if change else 'created'}_in_console",
                target=obj,
                organization=getattr(obj, "organization", obj if isinstance(obj, Organization) else None),
                data={"fields": sorted(form.changed_data)},
            )


class TenantOwnedAdminMixin:
    """The console reads across organizations on purpose: say so to the fail-closed manager."""

    model: Any

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = self.model.objects.unscoped()
        ordering = self.get_ordering(request)  # type: ignore[attr-defined]
        return queryset.order_by(*ordering) if ordering else queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin, AuditedModelAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "date_joined", "last_login")
    list_filter = ("is_staff", "is_active")
    search_fields = ("email", "full_name")
    readonly_fields = ("date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("full_name", "preferred_language")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ("groups",)


class MembershipInline(TenantOwnedAdminMixin, admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = ("user", "role", "created_at")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(AuditedModelAdmin):
    list_display = ("legal_name", "slug", "country", "status", "created_at")
    list_filter = ("status", "country")
    search_fields = ("legal_name", "slug")
    readonly_fields = ("slug", "status", "status_reason", "created_at", "updated_at")
    fields = ("legal_name", "slug", "country", "status", "status_reason", "created_at", "updated_at")
    inlines = [MembershipInline]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # organizations are closed through their lifecycle, never deleted


@admin.register(ApiKey)
class ApiKeyAdmin(TenantOwnedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "prefix", "organization", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "organization__legal_name")
    list_select_related = ("organization",)
    fields = (
        "organization",
        "name",
        "prefix",
        "scopes",
        "created_by",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(TenantOwnedAdminMixin, admin.ModelAdmin):
    """The whole audit log, read-only: the database refuses changes anyway."""

    list_display = ("occurred_at", "actor_label", "action", "target_label", "organization", "ip_address")
    list_filter = ("actor_type", "action")
    search_fields = ("action", "actor_label", "target_label", "target_id", "organization__legal_name", "request_id")
    list_select_related = ("organization",)
    date_hierarchy = "occurred_at"
    ordering = ("-occurred_at", "-id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
