"""The customer portal's shell: the public home page, the dashboard and the organization audit log."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from tenants.models import LegalDocument, Membership, Organization, User
from tenants.permissions import Action, role_allows
from tenants.selectors import audit_event_list, membership_list_for_user, organization_list_for_user
from tenants.services import consents_missing
from tenants.web import countries
from tenants.web.access import OrganizationAccess, account_page, organization_view, public_page


@public_page
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on their own; send them to the real icon."""
    return HttpResponsePermanentRedirect(static("portal/favicon.svg"))


@public_page
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:dashboard")
    return render(request, "portal/home.html")


@dataclass(frozen=True)
class DashboardOrganization:
    """One of the user's organizations on the dashboard, with what the user's role lets them open."""

    membership: Membership
    missing_documents: list[LegalDocument]

    @property
    def organization(self) -> Organization:
        return self.membership.organization

    @property
    def country_name(self) -> str:
        return countries.country_name(self.membership.organization.country)

    @property
    def may_manage_api_keys(self) -> bool:
        return role_allows(self.membership.role, Action.API_KEYS_MANAGE)

    @property
    def may_view_audit_log(self) -> bool:
        return role_allows(self.membership.role, Action.AUDIT_VIEW)

    @property
    def may_export_data(self) -> bool:
        return role_allows(self.membership.role, Action.DATA_EXPORT)


@account_page
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    rows = [
        DashboardOrganization(membership, consents_missing(organization=membership.organization))
        for membership in membership_list_for_user(user=user)
    ]
    return render(request, "portal/dashboard.html", {"rows": rows})


@require_GET
@organization_view(Action.AUDIT_VIEW)
def organization_audit_log(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    organization, user = access.organization, access.user
    events = audit_event_list(organization=organization).order_by("-occurred_at", "-id")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/organization_audit_log.html",
        {"organization": organization, "page": page, "organizations": organization_list_for_user(user=user)},
    )
