"""The operator console's view of billing: documents are read-only; drafts can be finalized with an action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from billing.choices import InvoiceKind, InvoiceStatus
from billing.invoices.services import credit_note_create, invoice_finalize, invoice_mark_reviewed
from billing.models import Invoice, InvoiceLine, InvoiceNumberSeries, InvoiceReview
from billing.periods import BERLIN, InvoiceError
from core.http import client_ip
from core.money import format_money
from tenants.admin import TenantOwnedAdminMixin
from tenants.audit import Actor
from tenants.models import User


class InvoiceLineInline(TenantOwnedAdminMixin, admin.TabularInline):
    model = InvoiceLine
    fk_name = "invoice"
    fields = ("position", "description", "quantity", "unit_price", "net_amount", "vat_rate", "order_reference")
    readonly_fields = fields
    ordering = ("position",)
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CreditNoteForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (printed on the credit note)"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )


@admin.register(Invoice)
class InvoiceAdmin(TenantOwnedAdminMixin, admin.ModelAdmin):
    """Only billing services write documents: the console shows them and finalizes drafts through the service."""

    list_display = ("__str__", "organization", "status", "review_state", "period", "net", "gross")
    list_filter = ("status", "kind", "vat_category")
    search_fields = ("number", "organization__legal_name", "buyer_legal_name")
    list_select_related = ("organization",)
    ordering = ("-period_start", "-id")
    inlines = (InvoiceLineInline,)
    actions = ("review_drafts", "finalize_drafts", "credit_corrections")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*(field.name for field in Invoice._meta.fields), "review_state"]

    @admin.display(description=_("review"))
    def review_state(self, obj: Invoice) -> str:
        review = InvoiceReview.objects.for_organization(obj.organization).filter(invoice=obj).first()
        if review is not None:
            return str(_("reviewed by %(who)s") % {"who": review.reviewed_by_label})
        return str(_("needs review")) if obj.status == InvoiceStatus.DRAFT else "-"

    @admin.display(description=_("month"), ordering="period_start")
    def period(self, obj: Invoice) -> str:
        return date_format(timezone.localtime(obj.period_start, BERLIN), "YEAR_MONTH_FORMAT")

    @admin.display(description=_("net"), ordering="net_amount")
    def net(self, obj: Invoice) -> str:
        return format_money(obj.net_amount)

    @admin.display(description=_("gross"), ordering="gross_amount")
    def gross(self, obj: Invoice) -> str:
        return format_money(obj.gross_amount)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_finalize_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.change_invoice")

    @admin.action(description=_("Mark the selected drafts reviewed (their lines as shown)"), permissions=["finalize"])
    def review_drafts(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        assert isinstance(request.user, User)
        actor = Actor.for_user(request.user, ip_address=client_ip(request))
        for invoice in queryset.filter(status=InvoiceStatus.DRAFT).order_by("period_start", "pk"):
            try:
                invoice_mark_reviewed(actor=actor, invoice=invoice)
            except InvoiceError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, _("%(invoice)s reviewed.") % {"invoice": invoice})

    @admin.action(description=_("Finalize the selected reviewed drafts"), permissions=["finalize"])
    def finalize_drafts(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        """Finalizes only reviewed drafts, and only with the reviewed figures (``invoice_finalize``)."""
        assert isinstance(request.user, User)
        actor = Actor.for_user(request.user, ip_address=request.META.get("REMOTE_ADDR") or None)
        for invoice in queryset.filter(status=InvoiceStatus.DRAFT).order_by("period_start", "pk"):
            try:
                finalized = invoice_finalize(actor=actor, invoice=invoice, require_review=True)
            except InvoiceError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, _("Finalized as %(number)s.") % {"number": finalized.number})

    @admin.action(description=_("Issue a credit note for the uncredited corrections"), permissions=["finalize"])
    def credit_corrections(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> TemplateResponse | None:
        invoices = queryset.filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.FINALIZED).order_by("number")
        form = CreditNoteForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            assert isinstance(request.user, User)
            actor = Actor.for_user(request.user, ip_address=client_ip(request))
            for invoice in invoices:
                try:
                    note = credit_note_create(actor=actor, invoice=invoice, reason=form.cleaned_data["reason"])
                except InvoiceError as error:
                    self.message_user(request, f"{invoice}: {error}", messages.ERROR)
                else:
                    self.message_user(
                        request,
                        _("%(invoice)s: credit note %(number)s issued.")
                        % {"invoice": invoice.number, "number": note.number},
                        messages.SUCCESS,
                    )
            return None
        return TemplateResponse(
            request,
            "admin/billing/invoice/credit_note.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Credit the uncredited corrections"),
                "form": form,
                "invoices": invoices,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )


@admin.register(InvoiceNumberSeries)
class InvoiceNumberSeriesAdmin(admin.ModelAdmin):
    list_display = ("year", "last_sequence")
    ordering = ("-year",)
    readonly_fields = ("year", "last_sequence")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
