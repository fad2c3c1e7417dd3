"""The cloud access page: SSH keys, the NGC API key and the networks allowed to reach public addresses."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from provisioning.cloud_access import (
    allowed_cidr_add,
    allowed_cidr_remove,
    ngc_api_key_remove,
    ngc_api_key_set,
    service_curl_example,
    service_token_reveal,
    service_token_rotate,
)
from provisioning.drivers import CloudError
from provisioning.instance_actions import instance_console_log, instance_get, instance_reboot, instance_rename
from provisioning.models import AllowedCidr, CloudProfile, Instance, ReservationAccess
from provisioning.web.forms import AllowedCidrForm, ConsoleLogForm, InstanceRenameForm, NgcApiKeyForm, SshKeyForm
from tenants.audit import Actor
from tenants.permissions import Action
from tenants.selectors import ssh_key_list
from tenants.services import ssh_key_add, ssh_key_remove
from tenants.web.access import OrganizationAccess, organization_view
from tenants.web.forms import add_service_errors


def _page(request: HttpRequest, access: OrganizationAccess, **forms_given: forms.Form) -> HttpResponse:
    organization = access.organization
    may_manage = access.allows(Action.CLOUD_MANAGE)
    context: dict[str, Any] = {
        "organization": organization,
        "may_manage": may_manage,
        "me": access.user,
        "ssh_keys": ssh_key_list(organization=organization),
        "profile": CloudProfile.objects.for_organization(organization).first(),
        "allowed_cidrs": AllowedCidr.objects.for_organization(organization).order_by("cidr"),
        "ssh_key_form": forms_given.get("ssh_key_form") or SshKeyForm(),
        "ngc_form": forms_given.get("ngc_form") or NgcApiKeyForm(),
        "cidr_form": forms_given.get("cidr_form") or AllowedCidrForm(),
    }
    status = 400 if any(form.errors for form in forms_given.values()) else 200
    return render(request, "provisioning/cloud_access.html", context, status=status)


def _back(access: OrganizationAccess) -> HttpResponse:
    return redirect("portal:cloud-access", organization_slug=access.organization.slug)


@require_GET
@organization_view(Action.CLOUD_VIEW)
def cloud_access(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    return _page(request, access)


@require_POST
@organization_view(Action.CLOUD_VIEW)
def ssh_key_create(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    form = SshKeyForm(request.POST)
    if form.is_valid():
        shared = form.cleaned_data["shared"]
        if shared and not access.allows(Action.CLOUD_MANAGE):
            form.add_error(None, _("Only those who manage the organization's cloud access can share a key."))
        else:
            try:
                key = ssh_key_add(
                    actor=Actor.from_request(request),
                    organization=access.organization,
                    name=form.cleaned_data["name"],
                    public_key=form.cleaned_data["public_key"],
                    owner=None if shared else access.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Added the SSH key %(fingerprint)s.") % {"fingerprint": key.fingerprint})
                return _back(access)
    if "public_key" in form.errors:  # never send a pasted private key back to the browser
        form.data = {**form.data.dict(), "public_key": ""} if hasattr(form.data, "dict") else {}
    return _page(request, access, ssh_key_form=form)


@require_POST
@organization_view(Action.CLOUD_VIEW)
def ssh_key_delete(request: HttpRequest, access: OrganizationAccess, key_id: int) -> HttpResponse:
    key = get_object_or_404(ssh_key_list(organization=access.organization), pk=key_id)
    if key.user_id != access.user.pk and not access.allows(Action.CLOUD_MANAGE):
        messages.error(request, _("Only those who manage the organization's cloud access can remove this key."))
        return _back(access)
    ssh_key_remove(actor=Actor.from_request(request), organization=access.organization, key=key)
    messages.success(request, _("Removed the SSH key %(name)s.") % {"name": key.name})
    return _back(access)


@require_POST
@organization_view(Action.CLOUD_MANAGE)
def ngc_api_key_update(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    form = NgcApiKeyForm(request.POST)
    if form.is_valid():
        try:
            ngc_api_key_set(
                actor=Actor.from_request(request),
                organization=access.organization,
                ngc_api_key=form.cleaned_data["ngc_api_key"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved the NGC API key."))
            return _back(access)
    return _page(request, access, ngc_form=form)


@require_POST
@organization_view(Action.CLOUD_MANAGE)
def ngc_api_key_delete(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    ngc_api_key_remove(actor=Actor.from_request(request), organization=access.organization)
    messages.success(request, _("Removed the NGC API key."))
    return _back(access)


@require_POST
@organization_view(Action.CLOUD_MANAGE)
def allowed_cidr_create(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    form = AllowedCidrForm(request.POST)
    if form.is_valid():
        try:
            allowed = allowed_cidr_add(
                actor=Actor.from_request(request), organization=access.organization, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Allowed %(cidr)s.") % {"cidr": allowed.cidr})
            return _back(access)
    return _page(request, access, cidr_form=form)


@require_POST
@organization_view(Action.CLOUD_MANAGE)
def allowed_cidr_delete(request: HttpRequest, access: OrganizationAccess, cidr_id: int) -> HttpResponse:
    allowed = get_object_or_404(AllowedCidr.objects.for_organization(access.organization), pk=cidr_id)
    allowed_cidr_remove(actor=Actor.from_request(request), organization=access.organization, allowed=allowed)
    messages.success(request, _("%(cidr)s is no longer allowed.") % {"cidr": allowed.cidr})
    return _back(access)


@require_POST
@organization_view(Action.RESERVATIONS_MANAGE)
def service_token(request: HttpRequest, access: OrganizationAccess, reservation_id: int) -> HttpResponse:
    """Show the reservation's service token once, with a curl example (a POST: every reveal is audited)."""
    endpoint = (
        ReservationAccess.objects.for_organization(access.organization)
        .select_related("reservation")
        .filter(reservation_id=reservation_id)
        .first()
    )
    if endpoint is None or not endpoint.has_secured_endpoint:
        raise Http404
    if request.POST.get("rotate") == "1":
        endpoint = service_token_rotate(actor=Actor.from_request(request), access=endpoint)
        messages.success(
            request,
            _(
                "The token is replaced: Kontor answers only the new one below. Running servers switch to it within "
                "about a minute; until then they still accept the old one."
            )
            if endpoint.service_token_sealed
            else _("The token is replaced. Servers started before token rotation existed keep the old one."),
        )
    token = service_token_reveal(actor=Actor.from_request(request), access=endpoint)
    response = render(
        request,
        "provisioning/service_token.html",
        {
            "organization": access.organization,
            "reservation": endpoint.reservation,
            "token": token,
            "curl": service_curl_example(access=endpoint, token=token),
            "tls_fingerprint": endpoint.tls_fingerprint,
            "tls_issuer": endpoint.tls_issuer,
        },
    )
    add_never_cache_headers(response)
    return response


# --- Instance actions on the reservation page -----------------------------------------------------------------------


def _instance_or_404(access: OrganizationAccess, reservation_id: int, index: int) -> Instance:
    instance = instance_get(organization=access.organization, reservation_id=reservation_id, index=index)
    if instance is None:
        raise Http404
    return instance


def _reservation_page(access: OrganizationAccess, instance: Instance) -> HttpResponse:
    return redirect(
        "portal:reservation-detail", organization_slug=access.organization.slug, reservation_id=instance.reservation_id
    )


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_POST
@organization_view(Action.RESERVATIONS_MANAGE)
def instance_reboot_view(
    request: HttpRequest, access: OrganizationAccess, reservation_id: int, index: int
) -> HttpResponse:
    """Soft reboot at once; a hard reboot (a power cycle, unsaved data is lost) asks first, like releasing does."""
    instance = _instance_or_404(access, reservation_id, index)
    hard = request.POST.get("hard") == "1"
    if hard and request.POST.get("confirm") != "1":
        return render(
            request,
            "provisioning/instance_reboot_confirm.html",
            {"organization": access.organization, "reservation": instance.reservation, "instance": instance},
        )
    try:
        instance_reboot(actor=Actor.from_request(request), instance=instance, hard=hard)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except CloudError:
        messages.error(request, _("The cloud did not accept the reboot. Try again in a minute."))
    else:
        if hard:
            messages.success(request, _("%(name)s is being power-cycled.") % {"name": instance.name})
        else:
            messages.success(request, _("%(name)s is restarting.") % {"name": instance.name})
    return _reservation_page(access, instance)


@require_POST
@organization_view(Action.RESERVATIONS_MANAGE)
def instance_console_view(
    request: HttpRequest, access: OrganizationAccess, reservation_id: int, index: int
) -> HttpResponse:
    """The last lines of the console (a POST: every read is audited, and the output may show secrets). With htmx only
    the console block is answered, otherwise a page of its own."""
    instance = _instance_or_404(access, reservation_id, index)
    form = ConsoleLogForm(request.POST)
    context: dict[str, Any] = {"organization": access.organization, "reservation": instance.reservation}
    context["instance"] = instance
    status = 200
    if not form.is_valid():
        context["error"] = " ".join(str(message) for errors in form.errors.values() for message in errors)
        status = 400
    else:
        try:
            context["output"] = instance_console_log(
                actor=Actor.from_request(request), instance=instance, lines=form.cleaned_data["lines"]
            )
            context["lines"] = form.cleaned_data["lines"]
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
            status = 409
        except CloudError:
            context["error"] = _("The cloud did not return the console log. Try again in a minute.")
            status = 503
    template = "provisioning/_console_log.html" if _is_htmx(request) else "provisioning/console_log.html"
    # htmx swaps only 2xx answers by default: the refusal is still shown in place.
    response = render(request, template, context, status=200 if _is_htmx(request) else status)
    add_never_cache_headers(response)
    return response


@require_POST
@organization_view(Action.RESERVATIONS_MANAGE)
def instance_rename_view(
    request: HttpRequest, access: OrganizationAccess, reservation_id: int, index: int
) -> HttpResponse:
    instance = _instance_or_404(access, reservation_id, index)
    form = InstanceRenameForm(request.POST)
    if form.is_valid():
        try:
            renamed = instance_rename(
                actor=Actor.from_request(request), instance=instance, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("Instance %(index)s is now called %(name)s.") % {"index": index + 1, "name": renamed.name}
            )
    else:
        messages.error(request, " ".join(str(message) for errors in form.errors.values() for message in errors))
    return _reservation_page(access, instance)
