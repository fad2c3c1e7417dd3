"""Webhook endpoints in the portal: list and create (the secret shown once), an endpoint's delivery log with
"send a test event", "resend", rotating the secret, enabling, disabling and deleting."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tenants.audit import Actor
from tenants.permissions import Action
from tenants.web.access import OrganizationAccess, organization_view
from tenants.web.forms import add_service_errors
from webhooks import services
from webhooks.models import WebhookEndpoint
from webhooks.selectors import delivery_list, endpoint_list
from webhooks.web.forms import WebhookEndpointForm

LOG_LENGTH = 50


def _secret_page(
    request: HttpRequest, access: OrganizationAccess, endpoint: WebhookEndpoint, secret: str
) -> HttpResponse:
    # The only time the secret exists outside the caller's hands: never cached.
    response = render(
        request,
        "webhooks/endpoint_secret.html",
        {"organization": access.organization, "endpoint": endpoint, "secret": secret},
    )
    add_never_cache_headers(response)
    return response


def _manage(access: OrganizationAccess) -> None:
    if not access.allows(Action.WEBHOOKS_MANAGE):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
@organization_view(Action.WEBHOOKS_VIEW)
def endpoints(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    form = WebhookEndpointForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        _manage(access)
        if form.is_valid():
            try:
                endpoint, secret = services.endpoint_create(
                    actor=Actor.from_request(request), organization=access.organization, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _secret_page(request, access, endpoint, secret)
    return render(
        request,
        "webhooks/endpoints.html",
        {
            "organization": access.organization,
            "endpoints": endpoint_list(organization=access.organization),
            "form": form,
            "may_manage": access.allows(Action.WEBHOOKS_MANAGE),
        },
    )


@require_http_methods(["GET"])
@organization_view(Action.WEBHOOKS_VIEW)
def endpoint_detail(request: HttpRequest, access: OrganizationAccess, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(endpoint_list(organization=access.organization), pk=endpoint_id)
    deliveries = delivery_list(organization=access.organization, endpoint=endpoint)
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {
            "organization": access.organization,
            "endpoint": endpoint,
            "deliveries": deliveries[:LOG_LENGTH],
            "may_manage": access.allows(Action.WEBHOOKS_MANAGE),
        },
    )


@require_POST
@organization_view(Action.WEBHOOKS_MANAGE)
def endpoint_action(request: HttpRequest, access: OrganizationAccess, endpoint_id: int, verb: str) -> HttpResponse:
    endpoint = get_object_or_404(endpoint_list(organization=access.organization), pk=endpoint_id)
    actor, organization = Actor.from_request(request), access.organization
    if verb == "rotate":
        endpoint, secret = services.endpoint_rotate_secret(actor=actor, organization=organization, endpoint=endpoint)
        return _secret_page(request, access, endpoint, secret)
    if verb == "delete":
        services.endpoint_delete(actor=actor, organization=organization, endpoint=endpoint)
        messages.success(request, _("The endpoint %(url)s is deleted.") % {"url": endpoint.url})
        return redirect("portal:webhook-endpoints", organization_slug=organization.slug)
    if verb == "test":
        services.endpoint_send_test(actor=actor, organization=organization, endpoint=endpoint)
        messages.success(request, _("A test event is on its way."))
    elif verb in ("enable", "disable"):
        services.endpoint_update(actor=actor, organization=organization, endpoint=endpoint, enabled=verb == "enable")
    return redirect("portal:webhook-endpoint", organization_slug=organization.slug, endpoint_id=endpoint.pk)


@require_POST
@organization_view(Action.WEBHOOKS_MANAGE)
def delivery_resend(
    request: HttpRequest, access: OrganizationAccess, endpoint_id: int, delivery_id: int
) -> HttpResponse:
    endpoint = get_object_or_404(endpoint_list(organization=access.organization), pk=endpoint_id)
    delivery = get_object_or_404(delivery_list(organization=access.organization, endpoint=endpoint), pk=delivery_id)
    services.delivery_resend(actor=Actor.from_request(request), organization=access.organization, delivery=delivery)
    messages.success(request, _("The event is sent again."))
    return redirect("portal:webhook-endpoint", organization_slug=access.organization.slug, endpoint_id=endpoint.pk)
