"""allauth's SAML provider, with replay protection for organizations' identity providers.

python3-saml (strict mode) checks the response's signature against the IdP certificate Kontor stored, the audience
(Kontor's SP entity ID), the destination, the time window and ``InResponseTo``; allauth refuses IdP-initiated
responses. On top, every accepted assertion's ID is stored until its ``NotOnOrAfter`` (``SamlAssertion``), so the
same assertion presented again — even in another browser session — is refused. Installed through
``SOCIALACCOUNT_PROVIDERS["saml"]["provider_class"]``.
"""

from __future__ import annotations

from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.saml.provider import SAMLProvider
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import render

from identity.saml_config import assertion_validity
from identity.selectors import saml_provider_for_slug
from identity.services import saml_assertion_consume


class KontorSamlProvider(SAMLProvider):
    def sociallogin_from_response(self, request: HttpRequest, response: Any) -> SocialLogin:
        provider = saml_provider_for_slug(self.app.client_id)
        if provider is None:  # disabled since the sign-in began
            raise ImmediateHttpResponse(render(request, "identity/sso_refused.html", status=403))
        try:
            assertion_id, not_on_or_after = assertion_validity(response)
            saml_assertion_consume(
                organization=provider.organization, assertion_id=assertion_id, not_on_or_after=not_on_or_after
            )
        except ValidationError as exc:
            raise ImmediateHttpResponse(
                render(request, "identity/sso_refused.html", {"message": exc.messages[0]}, status=403)
            ) from exc
        sociallogin: SocialLogin = super().sociallogin_from_response(request, response)
        return sociallogin
