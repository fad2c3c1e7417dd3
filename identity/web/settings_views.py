"""The organization's sign-in settings page (owners only): domains, the identity provider, group → role mappings,
the sign-in policy and SCIM tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from identity import scim_services, services
from identity.choices import Protocol
from identity.selectors import email_domain_list, group_role_mapping_list, identity_provider_get, sign_in_policy_get
from identity.web.forms import (
    EmailDomainForm,
    GroupRoleMappingForm,
    IdentityProviderForm,
    SamlProviderForm,
    SignInPolicyForm,
)
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import User
from tenants.permissions import Action
from tenants.web.access import OrganizationAccess, organization_view
from tenants.web.forms import add_service_errors


def _owners(access: OrganizationAccess) -> Any:
    return User.objects.filter(memberships__organization=access.organization, memberships__role=Role.OWNER).order_by(
        "email"
    )


@require_http_methods(["GET", "POST"])
@organization_view(Action.ORGANIZATION_UPDATE)
def sign_in_settings(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    if not access.may_manage_owners:
        raise PermissionDenied
    organization = access.organization
    actor = Actor.from_request(request)
    provider = identity_provider_get(organization=organization)
    policy = sign_in_policy_get(organization=organization)
    domain_form = EmailDomainForm(prefix="domain")
    provider_form = IdentityProviderForm(
        prefix="provider",
        initial={
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "scopes": provider.scopes,
            "groups_claim": provider.groups_claim,
            "enabled": provider.enabled,
        }
        if provider
        else None,
    )
    saml_form = SamlProviderForm(
        prefix="saml",
        initial={
            "metadata_url": provider.saml_metadata_url,
            "entity_id": provider.saml_entity_id,
            "sso_url": provider.saml_sso_url,
            "groups_attribute": provider.groups_claim,
            "enabled": provider.enabled,
        }
        if provider and provider.protocol == Protocol.SAML
        else None,
    )
    mapping_form = GroupRoleMappingForm(prefix="mapping")
    policy_form = SignInPolicyForm(
        prefix="policy",
        owners=_owners(access),
        initial={
            "sso_required": policy.sso_required,
            "mfa_required": policy.mfa_required,
            "break_glass_owner": policy.break_glass_owner_id,
        }
        if policy
        else None,
    )
    if request.method == "POST":
        step = request.POST.get("step")
        form: forms.Form | None = None
        try:
            if step == "domain":
                form = domain_form = EmailDomainForm(request.POST, prefix="domain")
                if form.is_valid():
                    email_domain = services.email_domain_claim(
                        actor=actor, organization=organization, domain=form.cleaned_data["domain"]
                    )
                    messages.success(request, _("Domain added: publish the TXT record, then check it."))
                    services.email_domain_request_check(organization=organization, email_domain=email_domain)
                    return redirect("identity:sign-in-settings", organization_slug=organization.slug)
            elif step == "domain-check":
                email_domain = get_object_or_404(
                    email_domain_list(organization=organization), pk=request.POST.get("domain_id")
                )
                services.email_domain_request_check(organization=organization, email_domain=email_domain)
                messages.success(request, _("The DNS record is being checked."))
                return redirect("identity:sign-in-settings", organization_slug=organization.slug)
            elif step == "provider":
                form = provider_form = IdentityProviderForm(request.POST, prefix="provider")
                if form.is_valid():
                    services.identity_provider_configure(
                        actor=actor,
                        organization=organization,
                        issuer=form.cleaned_data["issuer"],
                        client_id=form.cleaned_data["client_id"],
                        client_secret=form.cleaned_data["client_secret"] or None,
                        scopes=form.cleaned_data["scopes"],
                        groups_claim=form.cleaned_data["groups_claim"],
                        enabled=form.cleaned_data["enabled"],
                    )
                    messages.success(request, _("The identity provider was saved."))
                    return redirect("identity:sign-in-settings", organization_slug=organization.slug)
            elif step == "saml":
                form = saml_form = SamlProviderForm(request.POST, prefix="saml")
                if form.is_valid():
                    services.identity_provider_configure_saml(
                        actor=actor, organization=organization, **form.cleaned_data
                    )
                    messages.success(request, _("The identity provider was saved."))
                    return redirect("identity:sign-in-settings", organization_slug=organization.slug)
            elif step == "mapping":
                form = mapping_form = GroupRoleMappingForm(request.POST, prefix="mapping")
                if form.is_valid():
                    services.group_role_mapping_set(actor=actor, organization=organization, **form.cleaned_data)
                    messages.success(request, _("The mapping applies at each person's next sign-in."))
                    return redirect("identity:sign-in-settings", organization_slug=organization.slug)
            elif step == "mapping-remove":
                mapping = get_object_or_404(
                    group_role_mapping_list(organization=organization), pk=request.POST.get("mapping_id")
                )
                services.group_role_mapping_remove(actor=actor, organization=organization, mapping=mapping)
                return redirect("identity:sign-in-settings", organization_slug=organization.slug)
            elif step == "policy":
                form = policy_form = SignInPolicyForm(request.POST, prefix="policy", owners=_owners(access))
                if form.is_valid():
                    services.sign_in_policy_set(actor=actor, organization=organization, **form.cleaned_data)
                    messages.success(request, _("The sign-in policy was saved."))
                    return redirect("identity:sign-in-settings", organization_slug=organization.slug)
            elif step == "scim-token":
                _token, raw = scim_services.scim_token_create(actor=actor, organization=organization)
                response = render(
                    request,
                    "identity/scim_token_created.html",
                    {"organization": organization, "token": raw, "endpoint": request.build_absolute_uri("/scim/v2/")},
                )
                add_never_cache_headers(response)
                return response
        except ValidationError as exc:
            if form is None:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                add_service_errors(form, exc)
    provider = identity_provider_get(organization=organization)
    return render(
        request,
        "identity/sign_in_settings.html",
        {
            "organization": organization,
            "domains": email_domain_list(organization=organization),
            "provider": provider,
            "callback_url": request.build_absolute_uri(f"/accounts/oidc/org-{organization.slug}/login/callback/"),
            "mappings": group_role_mapping_list(organization=organization),
            "domain_form": domain_form,
            "provider_form": provider_form,
            "saml_form": saml_form,
            "saml_urls": {
                name: request.build_absolute_uri(reverse(f"saml_{name}", kwargs={"organization_slug": slug}))
                for name, slug in (("metadata", organization.slug), ("acs", organization.slug))
            },
            "mapping_form": mapping_form,
            "policy_form": policy_form,
        },
    )
