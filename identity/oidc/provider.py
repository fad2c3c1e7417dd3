"""allauth's OpenID Connect provider, hardened for organizations' identity providers.

allauth's own provider skips the ID token's signature when the token came straight from the token endpoint (the
specification allows it over TLS) and sends no nonce. Kontor always checks the signature against the provider's
JWKS, always uses PKCE (S256) and always sends a nonce, which ``identity.adapters`` checks against the ID token.
Installed through ``SOCIALACCOUNT_PROVIDERS["openid_connect"]["provider_class"]``; the sign-in and callback views
below replace allauth's at the same URLs.
"""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp, SocialToken
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.utils import generate_code_challenge
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.crypto import get_random_string

from identity.choices import Protocol
from identity.selectors import identity_provider_by_provider_id

NONCE_STATE_KEY = "kontor_nonce"


class KontorOidcAdapter(OpenIDConnectOAuth2Adapter):
    @property
    def openid_config(self) -> dict[str, Any]:
        # The discovery document checked when the organization saved its provider, not a fresh unchecked one.
        stored = self.get_provider().app.settings.get("openid_configuration")
        if stored:
            return dict(stored)
        config: dict[str, Any] = super().openid_config
        return config

    def complete_login(self, request: HttpRequest, app: SocialApp, token: SocialToken, **kwargs: Any) -> Any:
        if not kwargs["response"].get("id_token"):
            raise OAuth2Error("The provider returned no ID token.")
        return super().complete_login(request, app, token, **kwargs)

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        claims: dict[str, Any] = jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )
        return claims


class KontorOidcProvider(OpenIDConnectProvider):
    oauth2_adapter_class = KontorOidcAdapter

    def get_pkce_params(self) -> dict[str, Any]:
        params: dict[str, Any] = generate_code_challenge()
        return params

    def redirect(
        self, request: HttpRequest, process: Any, next_url: str | None = None, data: Any = None, **kwargs: Any
    ) -> HttpResponse:
        nonce = get_random_string(32)
        auth_params = kwargs.pop("auth_params", None)
        auth_params = dict(self.get_auth_params() if auth_params is None else auth_params)
        auth_params["nonce"] = nonce
        kwargs[NONCE_STATE_KEY] = nonce  # kept in allauth's state, in the session
        response: HttpResponse = super().redirect(
            request, process, next_url=next_url, data=data, auth_params=auth_params, **kwargs
        )
        return response


def _require_oidc(provider_id: str) -> None:
    provider = identity_provider_by_provider_id(provider_id)
    if provider is not None and provider.protocol != Protocol.OIDC:
        raise Http404


def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    _require_oidc(provider_id)
    try:
        view = OAuth2LoginView.adapter_view(KontorOidcAdapter(request, provider_id))
        response: HttpResponse = view(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
    return response


def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    _require_oidc(provider_id)
    try:
        view = OAuth2CallbackView.adapter_view(KontorOidcAdapter(request, provider_id))
        response: HttpResponse = view(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
    return response
