"""django-allauth's social-account adapter: each organization's identity provider as an allauth app.

Apps are built from ``IdentityProvider`` rows (the secret decrypted only here) and found only by their exact
provider ID (``org-<slug>``; SAML's URLs name the slug as allauth's ``client_id``), so the sign-in page never lists
customers' providers. An OIDC sign-in is accepted only when the ID token carries the nonce Kontor sent; every
sign-in needs an e-mail address in a domain the organization verified.
"""

from __future__ import annotations

from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.secrets import decrypt_secret
from identity.choices import Protocol
from identity.models import ExternalIdentity, IdentityProvider
from identity.oidc.provider import NONCE_STATE_KEY
from identity.operators import OPERATOR_PROVIDER_ID, operator_app, operator_for_email
from identity.selectors import domain_of, identity_provider_by_provider_id, saml_provider_for_slug, verified_domains

# Where SAML IdPs commonly put the e-mail address and names (Entra ID, Okta, Keycloak, ADFS, eduPerson).
SAML_ATTRIBUTE_MAPPING = {
    "email": [
        "urn:oid:0.9.2342.19200300.100.1.3",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "mail",
        "email",
    ],
    "first_name": ["urn:oid:2.5.4.42", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "givenName"],
    "last_name": ["urn:oid:2.5.4.4", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", "sn"],
}


def saml_app_for(provider: IdentityProvider) -> SocialApp:
    """The allauth SAML app of an organization's provider: signed assertions required, IdP-initiated refused."""
    return SocialApp(
        provider="saml",
        provider_id=provider.provider_id,
        name=provider.organization.legal_name,
        client_id=provider.organization.slug,
        settings={
            "idp": {
                "entity_id": provider.saml_entity_id,
                "sso_url": provider.saml_sso_url,
                "x509cert": provider.saml_certificate,
            },
            "attribute_mapping": SAML_ATTRIBUTE_MAPPING,
            "use_nameid_for_email": False,
            "email_authentication": True,
            "verified_email": verified_domains(organization=provider.organization),
            "hidden": True,
            "advanced": {
                "strict": True,
                "want_assertion_signed": True,
                "reject_idp_initiated_sso": True,
                "reject_deprecated_algorithm": True,
                "allow_single_label_domains": True,
            },
        },
    )


def social_app_for(provider: IdentityProvider) -> SocialApp:
    """The allauth app of an organization's provider (never saved: the row of record is the provider)."""
    if provider.protocol == Protocol.SAML:
        return saml_app_for(provider)
    return SocialApp(
        provider="openid_connect",
        provider_id=provider.provider_id,
        name=provider.organization.legal_name,
        client_id=provider.client_id,
        secret=decrypt_secret(provider.client_secret_encrypted),
        settings={
            "server_url": provider.issuer,
            "openid_configuration": provider.discovery,
            "scope": provider.scopes.split(),
            "oauth_pkce_enabled": True,
            "fetch_userinfo": bool(provider.discovery.get("userinfo_endpoint")),
            "verified_email": verified_domains(organization=provider.organization),
            "email_authentication": True,
            "hidden": True,
        },
    )


def _refuse(request: HttpRequest, message: str) -> ImmediateHttpResponse:
    response = render(request, "identity/sso_refused.html", {"message": message}, status=403)
    return ImmediateHttpResponse(response)


def claims_of(sociallogin: SocialLogin) -> dict[str, Any]:
    """What the provider said about the person: OIDC's ID token claims with the userinfo answer on top; SAML's
    attributes (each a list of values) with the e-mail address allauth read from them."""
    extra = sociallogin.account.extra_data or {}
    if sociallogin.provider.id == "saml":
        return {**extra, "email": sociallogin.user.email}
    return {**(extra.get("id_token") or {}), **(extra.get("userinfo") or {})}


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request: HttpRequest | None, provider: Any = None, client_id: Any = None) -> list[SocialApp]:
        apps: list[SocialApp] = super().list_apps(request, provider=provider, client_id=client_id)
        if provider == OPERATOR_PROVIDER_ID or (provider == "openid_connect" and client_id is not None):
            # allauth names a stashed sign-in (e.g. waiting for the second factor) by "openid_connect" and the
            # client ID; only the operators' provider is found that way (organizations' are found by their ID).
            app = operator_app()
            if app is not None and (client_id is None or client_id == app.client_id):
                apps.append(app)
        elif provider == "saml" and isinstance(client_id, str):
            saml_provider = saml_provider_for_slug(client_id)
            if saml_provider is not None:
                apps.append(saml_app_for(saml_provider))
        elif isinstance(provider, str):
            organization_provider = identity_provider_by_provider_id(provider)
            if organization_provider is not None:
                app = social_app_for(organization_provider)
                if client_id is None or client_id == app.client_id:
                    apps.append(app)
        return apps

    def _organization_provider(self, sociallogin: SocialLogin) -> IdentityProvider | None:
        return identity_provider_by_provider_id(sociallogin.provider.app.provider_id or "")

    def _check_nonce(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        id_token = (sociallogin.account.extra_data or {}).get("id_token") or {}
        expected_nonce = (sociallogin.state or {}).get(NONCE_STATE_KEY)
        if not expected_nonce or id_token.get("nonce") != expected_nonce:
            raise _refuse(request, _("The identity provider's answer does not belong to this sign-in."))

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        if sociallogin.provider.app.provider_id == OPERATOR_PROVIDER_ID:
            self._check_nonce(request, sociallogin)
            email = str(claims_of(sociallogin).get("email") or "")
            operator = operator_for_email(email)
            if operator is None:
                raise _refuse(request, _("%(email)s is not a Kontor operator.") % {"email": email or "—"})
            if sociallogin.is_existing and sociallogin.user.pk != operator.pk:
                raise _refuse(request, _("This provider account belongs to another operator."))
            if not sociallogin.is_existing:
                sociallogin.connect(request, operator)
            return
        provider = self._organization_provider(sociallogin)
        if provider is None:
            return
        if provider.protocol == Protocol.OIDC:
            self._check_nonce(request, sociallogin)
        if (
            ExternalIdentity.objects.for_organization(provider.organization)
            .filter(subject=sociallogin.account.uid, active=False)
            .exists()
        ):
            raise _refuse(request, _("Your account was deprovisioned by your organization."))
        email = str(claims_of(sociallogin).get("email") or "")
        if domain_of(email) not in verified_domains(organization=provider.organization):
            raise _refuse(
                request,
                _("%(email)s is not in a domain %(organization)s has verified.")
                % {"email": email or "—", "organization": provider.organization.legal_name},
            )

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # Just-in-time accounts for organizations' providers only (pre_social_login checked the domain).
        return self._organization_provider(sociallogin) is not None

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return self._organization_provider(sociallogin) is not None

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict[str, Any]) -> Any:
        user = super().populate_user(request, sociallogin, data)
        name = data.get("name") or " ".join(str(data.get(part) or "") for part in ("first_name", "last_name"))
        user.full_name = str(name).strip()[:200]
        user.email = str(user.email or "").lower()
        return user
