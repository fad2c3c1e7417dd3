"""The operator console's view of customers and access."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from billing.choices import InvoiceStatus
from billing.invoices.selectors import invoice_list
from core.countries import EU_COUNTRIES
from provisioning.organizations import organization_activation_retry
from reservations.lifecycle import organization_reservation_effects
from tenants.audit import SEEDING_LABEL_PREFIX, Actor, audit_record
from tenants.choices import ActorType, OrganizationStatus, Role, VatCheckResult
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
from tenants.selectors import organization_approval_queue, organization_consents, organization_duplicate_matches
from tenants.services import (
    organization_approve,
    organization_close,
    organization_reactivate,
    organization_reject,
    organization_suspend,
    vat_check_retry,
)
from tenants.vies import vies_status_text
from tenants.web.countries import country_name


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
    fields = ("vat_id", "result", "checked_at", "status_in_words", "registered_name", "registered_address")
    readonly_fields = fields
    can_delete = False
    ordering = ("-checked_at",)

    @admin.display(description=_("what it means"))
    def status_in_words(self, check: VatCheck) -> str:
        return vies_status_text(check)

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


class DecisionForm(forms.Form):
    """The confirmation of one lifecycle decision: its reason (where one is required) and, for an approval without
    a VIES confirmation, the operator's explicit acknowledgement."""

    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    acknowledge = forms.BooleanField(label=_("I approve although VIES did not confirm the VAT ID."), required=True)

    def __init__(self, *args: Any, decision: Decision, needs_acknowledgement: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if decision.reason_label is None:
            del self.fields["reason"]
        else:
            self.fields["reason"].label = decision.reason_label
        if not needs_acknowledgement:
            del self.fields["acknowledge"]


@dataclass(frozen=True)
class Decision:
    """One action of the review page: its URL slug, wording, the service it calls and the status it needs."""

    slug: str
    title: Any
    button: Any
    allowed_from: frozenset[str]
    reason_label: Any | None
    done: Any
    danger: bool = False


S = OrganizationStatus
DECISIONS: dict[str, Decision] = {
    decision.slug: decision
    for decision in (
        Decision(
            "approve",
            _("Approve %(name)s"),
            _("Approve"),
            frozenset({S.PENDING_APPROVAL}),
            None,
            _("%(name)s is approved; its cloud project is being created."),
        ),
        Decision(
            "reject",
            _("Reject %(name)s"),
            _("Reject"),
            frozenset({S.PENDING_VERIFICATION, S.PENDING_APPROVAL}),
            _("Reason (e-mailed to the owner)"),
            _("%(name)s is rejected; the owners were e-mailed the reason."),
            danger=True,
        ),
        Decision(
            "retry-vat-check",
            _("Check the VAT ID of %(name)s again"),
            _("Ask VIES again"),
            frozenset({S.PENDING_VERIFICATION, S.PENDING_APPROVAL, S.PROVISIONING, S.ACTIVE, S.SUSPENDED}),
            None,
            _("VIES is asked again in the background; reload this page in a few seconds."),
        ),
        Decision(
            "suspend",
            _("Suspend %(name)s"),
            _("Suspend"),
            frozenset({S.ACTIVE}),
            _("Reason (kept in the audit log)"),
            _("%(name)s is suspended."),
            danger=True,
        ),
        Decision(
            "reactivate",
            _("Reactivate %(name)s"),
            _("Reactivate"),
            frozenset({S.SUSPENDED}),
            _("Reason (kept in the audit log)"),
            _("%(name)s is active again."),
        ),
        Decision(
            "close",
            _("Close %(name)s"),
            _("Close for good"),
            frozenset({S.PENDING_VERIFICATION, S.PENDING_APPROVAL, S.PROVISIONING, S.ACTIVE, S.SUSPENDED}),
            _("Reason (kept in the audit log)"),
            _("%(name)s is closed."),
            danger=True,
        ),
    )
}


def _latest_vat_check(organization: Organization) -> VatCheck | None:
    """The newest check of the organization's current VAT ID (older IDs' checks are history)."""
    checks = [check for check in organization.vat_checks.all() if check.vat_id == organization.vat_id]
    return checks[0] if checks else None


def _vat_confirmed(organization: Organization) -> bool:
    latest = _latest_vat_check(organization)
    return latest is not None and latest.result == VatCheckResult.VALID and organization.vat_id_verified_at is not None


def _vat_checkable(organization: Organization) -> bool:
    latest = _latest_vat_check(organization)
    return (
        bool(organization.vat_id)
        and organization.country in EU_COUNTRIES
        and (latest is None or latest.result == VatCheckResult.UNAVAILABLE)
    )


def _vat_status(organization: Organization) -> str:
    """The VAT evidence in words, including the cases VIES cannot answer."""
    if organization.country not in EU_COUNTRIES:
        return str(
            _("VIES covers EU companies only; %(country)s is checked by hand.")
            % {"country": country_name(organization.country)}
        )
    if not organization.vat_id:
        return str(_("No VAT ID given."))
    return vies_status_text(_latest_vat_check(organization))


@admin.register(Organization)
class OrganizationAdmin(AuditedModelAdmin):
    """Customers. Pending sign-ups are decided one at a time on their review page, with the evidence in front of
    the operator; suspension, reactivation and closure start there too, each after a confirmation page."""

    list_display = (
        "legal_name",
        "country",
        "status",
        "vat_id",
        "latest_vat_check",
        "owner_verified",
        "possible_duplicates",
        "review_link",
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
        "vies_status",
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
        "vies_status",
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
    actions = ["reject", "retry_activation"]  # no bulk approval: each sign-up is approved on its review page
    change_form_template = "admin/tenants/organization/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        return organization_approval_queue()

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<int:object_id>/review/", view(self.review_view), name="tenants_organization_review"),
            path(
                "<int:object_id>/review/<slug:decision>/",
                view(self.decision_view),
                name="tenants_organization_decide",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("VIES"))
    def latest_vat_check(self, organization: Organization) -> str:
        latest = _latest_vat_check(organization)
        return latest.get_result_display() if latest is not None else "—"

    @admin.display(description=_("VIES status"))
    def vies_status(self, organization: Organization) -> str:
        return _vat_status(organization)

    @admin.display(description=_("owner e-mail verified"), boolean=True)
    def owner_verified(self, organization: Organization) -> bool:
        return bool(getattr(organization, "owner_email_verified", False))

    @admin.display(description=_("possible duplicates"))
    def possible_duplicates(self, organization: Organization) -> str:
        if organization.status != OrganizationStatus.PENDING_APPROVAL:
            return "—"  # only the approval queue needs the comparison
        matches = organization_duplicate_matches([organization])[organization.pk]
        return ", ".join(match.slug for match in matches) or "—"

    @admin.display(description=_("review"))
    def review_link(self, organization: Organization) -> str:
        url = reverse("admin:tenants_organization_review", args=[organization.pk])
        label = _("Review and decide") if organization.status == S.PENDING_APPROVAL else _("Review")
        return format_html('<a href="{}">{}</a>', url, label)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # organizations are closed through their lifecycle, never deleted

    def _organization(self, request: HttpRequest, object_id: int) -> Organization:
        organization = self.get_queryset(request).filter(pk=object_id).first()
        if organization is None or not self.has_view_permission(request, organization):
            raise Http404
        return organization

    def _decisions(self, organization: Organization) -> list[Decision]:
        return [
            decision
            for decision in DECISIONS.values()
            if organization.status in decision.allowed_from
            and (decision.slug != "retry-vat-check" or _vat_checkable(organization))
        ]

    def review_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        organization = self._organization(request, object_id)
        owners = [
            membership.user
            for membership in Membership.objects.for_organization(organization)
            .filter(role=Role.OWNER)
            .select_related("user")
            .order_by("user__email")
        ]
        verified = set(EmailAddress.objects.filter(user__in=owners, verified=True).values_list("email", flat=True))
        checks = list(organization.vat_checks.all())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Review %(name)s") % {"name": organization.legal_name},
            "organization": organization,
            "country": country_name(organization.country),
            "vat_status": _vat_status(organization),
            "vat_confirmed": _vat_confirmed(organization),
            "latest_check": _latest_vat_check(organization),
            "checks": [(check, vies_status_text(check)) for check in checks],
            "owners": [(owner, owner.email in verified) for owner in owners],
            "duplicates": organization_duplicate_matches([organization])[organization.pk],
            "consents": list(organization_consents(organization=organization)),
            "decisions": self._decisions(organization),
        }
        return TemplateResponse(request, "admin/tenants/organization/review.html", context)

    def _effects(self, organization: Organization) -> dict[str, Any]:
        drafts = invoice_list(organization=organization, finalized_only=False).filter(status=InvoiceStatus.DRAFT)
        totals = drafts.aggregate(count=Count("id"), gross=Sum("gross_amount"))
        return {
            "reservations": organization_reservation_effects(organization=organization),
            "draft_invoices": totals["count"],
            "draft_gross": totals["gross"] or Decimal("0.00"),
        }

    def decision_view(self, request: HttpRequest, object_id: int, decision: str) -> HttpResponse:
        organization = self._organization(request, object_id)
        chosen = DECISIONS.get(decision)
        if chosen is None:
            raise Http404
        if not self.has_change_permission(request, organization):
            raise PermissionDenied
        review_url = reverse("admin:tenants_organization_review", args=[organization.pk])
        needs_acknowledgement = chosen.slug == "approve" and not _vat_confirmed(organization)
        form = DecisionForm(
            request.POST if request.method == "POST" else None,
            decision=chosen,
            needs_acknowledgement=needs_acknowledgement,
        )
        if request.method == "POST" and form.is_valid():
            try:
                self._decide(request, organization, chosen, form.cleaned_data.get("reason", ""))
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(request, chosen.done % {"name": organization.legal_name}, messages.SUCCESS)
            return HttpResponseRedirect(review_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": chosen.title % {"name": organization.legal_name},
            "organization": organization,
            "decision": chosen,
            "allowed": organization.status in chosen.allowed_from,
            "status_label": S(organization.status).label,
            "form": form,
            "vat_status": _vat_status(organization),
            "vat_confirmed": _vat_confirmed(organization),
            "needs_acknowledgement": needs_acknowledgement,
            "review_url": review_url,
            **(self._effects(organization) if chosen.slug in ("suspend", "close", "reactivate") else {}),
        }
        return TemplateResponse(request, "admin/tenants/organization/decide.html", context)

    def _decide(self, request: HttpRequest, organization: Organization, decision: Decision, reason: str) -> None:
        actor = Actor.from_request(request)
        if decision.slug == "approve":
            organization_approve(actor=actor, organization=organization)
        elif decision.slug == "reject":
            organization_reject(actor=actor, organization=organization, reason=reason)
        elif decision.slug == "retry-vat-check":
            vat_check_retry(actor=actor, organization=organization)
        elif decision.slug == "suspend":
            organization_suspend(actor=actor, organization=organization, reason=reason)
        elif decision.slug == "reactivate":
            organization_reactivate(actor=actor, organization=organization, reason=reason)
        elif decision.slug == "close":
            organization_close(actor=actor, organization=organization, reason=reason)

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


class ActorKindFilter(admin.SimpleListFilter):
    """Who acted: a customer's user, an operator (a staff user), an API key, the system — and the seeding commands
    (system actors named ``seed_*``), whose demo and reference data are hidden unless asked for."""

    title = _("actor kind")
    parameter_name = "actor_kind"
    EVERYTHING = "all"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("user", _("User")),
            ("operator", _("Operator")),
            (ActorType.API_KEY, _("API key")),
            ("system", _("System")),
            ("seeding", _("System (seeding)")),
            (self.EVERYTHING, _("All, with seeding")),
        ]

    def choices(self, changelist: Any) -> Any:
        for index, choice in enumerate(super().choices(changelist)):
            if index == 0:  # Django's "All", which this filter's default narrows
                choice["display"] = _("All but seeding")
            yield choice

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        seeding = Q(actor_type=ActorType.SYSTEM, actor_label__startswith=SEEDING_LABEL_PREFIX)
        value = self.value()
        if value is None:
            return queryset.exclude(seeding)
        if value == "user":
            return queryset.filter(actor_type=ActorType.USER, actor_user__is_staff=False)
        if value == "operator":
            return queryset.filter(actor_type=ActorType.USER, actor_user__is_staff=True)
        if value == ActorType.API_KEY:
            return queryset.filter(actor_type=ActorType.API_KEY)
        if value == "system":
            return queryset.filter(actor_type=ActorType.SYSTEM).exclude(seeding)
        if value == "seeding":
            return queryset.filter(seeding)
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(TenantOwnedAdminMixin, admin.ModelAdmin):
    """The whole audit log, read-only: the database refuses changes anyway. Seeding events are hidden by default
    (the actor-kind filter shows them); the columns fit a 1,366-pixel screen next to the filters."""

    list_display = ("occurred_at", "actor_label", "actor_kind", "action", "target_short", "organization")
    list_filter = (
        ActorKindFilter,
        "action",
        ("organization", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("action", "actor_label", "target_label", "target_id", "organization__legal_name", "request_id")
    list_select_related = ("organization", "actor_user")
    date_hierarchy = "occurred_at"
    ordering = ("-occurred_at", "-id")

    @admin.display(description=_("actor kind"), ordering="actor_type")
    def actor_kind(self, event: AuditEvent) -> str:
        if event.actor_type == ActorType.USER and event.actor_user is not None and event.actor_user.is_staff:
            return str(_("Operator"))
        if event.actor_type == ActorType.SYSTEM and event.actor_label.startswith(SEEDING_LABEL_PREFIX):
            return str(_("System (seeding)"))
        return event.get_actor_type_display()

    @admin.display(description=_("target"), ordering="target_label")
    def target_short(self, event: AuditEvent) -> str:
        label = event.target_label or f"{event.target_type}:{event.target_id}"
        return label if len(label) <= 48 else f"{label[:47]}…"

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
