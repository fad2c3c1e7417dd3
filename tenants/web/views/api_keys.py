"""API keys: list, create (the token shown once), revoke."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tenants import services
from tenants.audit import Actor
from tenants.permissions import Action
from tenants.selectors import api_key_list
from tenants.web.access import OrganizationAccess, organization_view
from tenants.web.forms import (
    ApiKeyForm,
    add_service_errors,
)

# --- API keys ---------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@organization_view(Action.API_KEYS_MANAGE)
def api_keys(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            try:
                api_key, token = services.api_key_create(
                    actor=Actor.from_request(request),
                    organization=access.organization,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_at=form.expiry(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                # The only time the token exists outside the caller's hands: never stored, never cached.
                response = render(
                    request,
                    "tenants/api_key_created.html",
                    {"organization": access.organization, "api_key": api_key, "token": token},
                )
                add_never_cache_headers(response)
                return response
    else:
        form = ApiKeyForm()
    keys = api_key_list(organization=access.organization).order_by("-created_at", "-id")
    return render(
        request, "tenants/api_keys.html", {"organization": access.organization, "api_keys": keys, "form": form}
    )


@require_POST
@organization_view(Action.API_KEYS_MANAGE)
def api_key_revoke(request: HttpRequest, access: OrganizationAccess, api_key_id: int) -> HttpResponse:
    api_key = get_object_or_404(api_key_list(organization=access.organization), pk=api_key_id)
    services.api_key_revoke(actor=Actor.from_request(request), organization=access.organization, api_key=api_key)
    messages.success(request, _("The key %(name)s is revoked.") % {"name": api_key.name})
    return redirect("portal:api-keys", organization_slug=access.organization.slug)
