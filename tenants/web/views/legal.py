"""Accepting the legal documents in force again."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tenants import services
from tenants.audit import Actor
from tenants.permissions import Action
from tenants.web.access import OrganizationAccess, organization_view
from tenants.web.forms import (
    LegalAcceptForm,
    add_service_errors,
)
from tenants.web.views.common import (
    _user,
)

# --- Legal documents to accept again ----------------------------------------------------------------------------


def _legal_page(request: HttpRequest, access: OrganizationAccess, form: LegalAcceptForm | None = None) -> HttpResponse:
    missing = services.consents_missing(organization=access.organization)
    may_accept = access.allows(Action.ORGANIZATION_UPDATE)
    if may_accept and form is None:
        form = LegalAcceptForm(initial={"documents": missing})
    return render(
        request,
        "tenants/legal_consents.html",
        {"organization": access.organization, "missing": missing, "may_accept": may_accept, "form": form},
    )


@require_http_methods(["GET"])
@organization_view(Action.ORGANIZATION_VIEW)
def legal_consents(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    return _legal_page(request, access)


@require_POST
@organization_view(Action.ORGANIZATION_UPDATE)
def legal_consents_accept(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    form = LegalAcceptForm(request.POST)
    if form.is_valid():
        try:
            services.consent_accept(
                actor=Actor.from_request(request),
                organization=access.organization,
                user=_user(request),
                documents=form.cleaned_data["documents"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Thank you: the documents are accepted."))
            return redirect("portal:legal-consents", organization_slug=access.organization.slug)
    return _legal_page(request, access, form=form)
