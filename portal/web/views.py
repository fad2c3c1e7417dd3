"""The customer portal's shell: the public home page, the dashboard and the organization audit log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static

from tenants.models import User
from tenants.permissions import Action, role_allows
from tenants.selectors import audit_event_list, membership_get, organization_get_for_actor, organization_list_for_user


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on their own; send them to the real icon."""
    return HttpResponsePermanentRedirect(static("portal/favicon.svg"))


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:dashboard")
    return render(request, "portal/home.html")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    memberships = user.memberships.select_related("organization").order_by("organization__legal_name")
    return render(request, "portal/dashboard.html", {"memberships": memberships})


@login_required
def organization_audit_log(request: HttpRequest, organization_slug: str) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    organization = organization_get_for_actor(slug=organization_slug, user=user, api_key=None)
    if organization is None:
        raise Http404
    membership = membership_get(organization=organization, user=user)
    if membership is None or not role_allows(membership.role, Action.AUDIT_VIEW):
        raise PermissionDenied
    events = audit_event_list(organization=organization).order_by("-occurred_at", "-id")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/organization_audit_log.html",
        {"organization": organization, "page": page, "organizations": organization_list_for_user(user=user)},
    )
