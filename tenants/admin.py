"""The operator console's view of customers and access."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from provisioning.organizations import organization_activation_retry
from tenants.audit import Actor, audit_record
from tenants.choices import OrganizationStatus
from tenants.models import (
    ApiKey,
    AuditEvent,
    Consent,
    Invitation,
    LegalDocument,
    Membership,
    Organization,
    OutgoingEmail,
    User,
    VatCheck,
)
from tenants.selectors import organization_approval_queue, organization_possible_duplicates
from tenants.services import (
    organization_approve,
    organization_reject,
)


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


class VatCheckInline(TenantOwnedAdminMixin, admin.TabularInline):
    model = VatCheck
    extra = 0
    fields = ("vat_id", "result", "checked_at", "registered_name", "registered_address", "error")
    readonly_fields = fields
    can_delete = False
    ordering = ("-checked_at",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipInline(TenantOwnedAdminMixin, admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = ("user", "role", "created_at")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (e-mailed to the owner)"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )


@admin.register(Organization)
class OrganizationAdmin(AuditedModelAdmin):
    """Customers, with the approval queue: filter by status "Pending approval" and approve or reject."""

    list_display = (
        "legal_name",
        "country",
        "status",
        "vat_id",
        "latest_vat_check",
        "owner_verified",
        "possible_duplicates",
        "approval_rule",
        "activation_problem",
        "created_at",
    )
    list_filter = ("status", "country")
    search_fields = ("legal_name", "slug", "vat_id", "billing_email")
    readonly_fields = (
        "slug",
        "status",
        "status_reason",
        "vat_id",
        "vat_id_verified_at",
        "approval_rule",
        "cloud_project_id",
        "activation_error",
        "created_at",
        "updated_at",
    )
    fields = (
        "legal_name",
        "slug",
        "country",
        "street",
        "postal_code",
        "city",
        "billing_email",
        "vat_id",
        "vat_id_verified_at",
        "status",
        "status_reason",
        "approval_rule",
        "cloud_project_id",
        "activation_error",
        "created_at",
        "updated_at",
    )
    inlines = [MembershipInline, VatCheckInline]
    date_hierarchy = "created_at"
    actions = ["approve", "reject", "retry_activation"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        return organization_approval_queue()

    @admin.display(description=_("VIES"))
    def latest_vat_check(self, organization: Organization) -> str:
        checks = list(organization.vat_checks.all())
        return checks[0].get_result_display() if checks else "—"

    @admin.display(description=_("owner e-mail verified"), boolean=True)
    def owner_verified(self, organization: Organization) -> bool:
        return bool(getattr(organization, "owner_email_verified", False))

    @admin.display(description=_("possible duplicates"))
    def possible_duplicates(self, organization: Organization) -> str:
        if organization.status != OrganizationStatus.PENDING_APPROVAL:
            return "—"  # only the approval queue needs the (one-query-per-row) comparison
        duplicates = organization_possible_duplicates([organization])[organization.pk]
        return ", ".join(duplicates) or "—"

    @admin.display(description=_("activation error"))
    def activation_problem(self, organization: Organization) -> str:
        return organization.activation_error[:80] or "—"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # organizations are closed through their lifecycle, never deleted

    def _run(
        self, request: HttpRequest, queryset: QuerySet[Organization], service: Any, done: Any, **kwargs: Any
    ) -> None:
        actor = Actor.from_request(request)
        succeeded = 0
        for organization in queryset:
            try:
                service(actor=actor, organization=organization, **kwargs)
            except ValidationError as exc:
                self.message_user(request, f"{organization.legal_name}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, done % {"count": succeeded}, messages.SUCCESS)

    @admin.action(description=_("Approve the selected sign-ups"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        self._run(request, queryset, organization_approve, _("%(count)d organization(s) approved."))

    @admin.action(description=_("Reject the selected sign-ups (asks for the reason)"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Organization]) -> TemplateResponse | None:
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._run(
                request,
                queryset,
                organization_reject,
                _("%(count)d organization(s) rejected."),
                reason=form.cleaned_data["reason"],
            )
            return None
        return TemplateResponse(
            request,
            "admin/tenants/organization/reject.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Reject sign-ups"),
                "form": form,
                "organizations": queryset,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )

    @admin.action(description=_("Retry the activation of the selected organizations"))
    def retry_activation(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        self._run(request, queryset, organization_activation_retry, _("%(count)d activation(s) queued again."))


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


class ReadOnlyTenantAdmin(TenantOwnedAdminMixin, admin.ModelAdmin):
    """Evidence rows: operators read them, nobody edits them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyTenantAdmin):
    list_select_related = ("organization",)
    list_display = ("email", "organization", "role", "status", "created_at", "expires_at", "responded_at")
    list_filter = ("status", "role")
    search_fields = ("email", "organization__legal_name")
    exclude = ("nonce",)


@admin.register(Consent)
class ConsentAdmin(ReadOnlyTenantAdmin):
    list_display = ("organization", "user", "document", "accepted_at", "ip_address")
    list_filter = ("document__kind",)
    list_select_related = ("organization", "user", "document")


@admin.register(VatCheck)
class VatCheckAdmin(ReadOnlyTenantAdmin):
    list_select_related = ("organization",)
    list_display = ("vat_id", "organization", "result", "checked_at", "registered_name")
    list_filter = ("result",)
    search_fields = ("vat_id", "organization__legal_name", "registered_name")


@admin.register(LegalDocument)
class LegalDocumentAdmin(AuditedModelAdmin):
    """New versions are added here; a version already in force is never edited (customers accepted its text)."""

    list_display = ("kind", "version", "title", "effective_at")
    list_filter = ("kind",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is not None and obj.effective_at <= timezone.now():
            return ("kind", "version", "title", "body", "effective_at")
        return ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or obj.effective_at > timezone.now()


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """The e-mail outbox, read-only: what was sent, what is still pending and why a delivery failed."""

    list_display = ("created_at", "to", "subject", "status", "attempts", "sent_at")
    list_filter = ("status", "template")
    search_fields = ("to", "subject")
    readonly_fields = (
        "to",
        "subject",
        "body",
        "template",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    )
    exclude = ("html_body",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
