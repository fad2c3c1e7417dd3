"""The organization switcher in the header."""

from urllib.parse import urlsplit

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from tenants.selectors import organization_get_for_actor
from tenants.web.access import CURRENT_ORGANIZATION_SESSION_KEY, account_page
from tenants.web.forms import (
    OrganizationSwitchForm,
)
from tenants.web.views.common import (
    _user,
)

# --- The organization switcher ----------------------------------------------------------------------------------


def _after_switch(request: HttpRequest, slug: str) -> str:
    """Back where the user was; from another organization's page to the team page of the one switched to (every
    role may see it, which is not true of every organization page)."""
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return reverse("portal:dashboard")
    try:
        match = resolve(urlsplit(next_url).path)
    except Resolver404:
        return reverse("portal:dashboard")
    if "organization_slug" in match.kwargs:
        return reverse("portal:members", kwargs={"organization_slug": slug})
    return next_url


@require_POST
@account_page
def organization_switch(request: HttpRequest) -> HttpResponse:
    form = OrganizationSwitchForm(request.POST)
    organization = (
        organization_get_for_actor(slug=form.cleaned_data["organization"], user=_user(request), api_key=None)
        if form.is_valid()
        else None
    )
    if organization is None:
        raise Http404
    request.session[CURRENT_ORGANIZATION_SESSION_KEY] = organization.slug
    return redirect(_after_switch(request, organization.slug))
