"""The billing-profile page: buyer reference, Leitweg-ID, billing e-mail address and which e-invoice is sent.

Owners and billing admins (``billing.manage``) change it; the service validates and audits
(``billing.documents.terms.billing_profile_update``), its refusals are shown next to the fields in the user's
language.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from billing.documents.models import BUYER_REFERENCE_MAX_LENGTH, EInvoiceFormat
from billing.documents.terms import billing_profile_get, billing_profile_update
from tenants.audit import Actor
from tenants.permissions import Action
from tenants.web.access import OrganizationAccess, organization_view
from tenants.web.forms import add_service_errors


class BillingProfileForm(forms.Form):
    # Lengths are checked by the service (one message, in the user's language), not cut by the browser.
    buyer_reference = forms.CharField(
        label=gettext_lazy("Your reference for our invoices (buyer reference, e.g. cost centre or order number)"),
        required=False,
        help_text=gettext_lazy("At most %(limit)d characters.") % {"limit": BUYER_REFERENCE_MAX_LENGTH},
    )
    leitweg_id = forms.CharField(
        label=gettext_lazy("Leitweg-ID (public buyers only)"),
        required=False,
        help_text=gettext_lazy("Format and check digits are checked, e.g. 991-33333TEST-33."),
    )
    billing_email = forms.CharField(
        label=gettext_lazy("Billing e-mail address"),
        required=False,
        help_text=gettext_lazy("Invoices are e-mailed here; leave it empty to send them to the owners."),
    )
    e_invoice_format = forms.ChoiceField(
        label=gettext_lazy("E-invoice you receive"), choices=EInvoiceFormat.choices, widget=forms.RadioSelect
    )


@require_http_methods(["GET", "POST"])
@organization_view(Action.BILLING_MANAGE)
def billing_profile_page(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    organization = access.organization
    profile = billing_profile_get(organization=organization)
    form = BillingProfileForm(
        initial={
            "buyer_reference": profile.buyer_reference,
            "leitweg_id": profile.leitweg_id,
            "billing_email": organization.billing_email,
            "e_invoice_format": profile.e_invoice_format,
        }
    )
    if request.method == "POST":
        form = BillingProfileForm(request.POST)
        if form.is_valid():
            try:
                billing_profile_update(
                    actor=Actor.from_request(request), organization=organization, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The billing profile was saved."))
                return redirect("portal:billing-profile", organization_slug=organization.slug)
    return render(request, "billing/billing_profile.html", {"organization": organization, "form": form})
