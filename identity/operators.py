"""Operators' sign-in through the cloud operator's own OpenID Connect provider (settings, not a database row).

With ``KONTOR_OPERATOR_OIDC_ISSUER``, ``..._CLIENT_ID`` and ``..._CLIENT_SECRET`` set, ``/accounts/oidc/
kontor-operators/login/`` signs operators in through that provider (PKCE, nonce and ID-token signature as for
organizations). It only signs in existing, active staff accounts by their e-mail address — it never creates one —
and the operator console's gate is unchanged: allauth asks for the second factor after the provider, and /ops/ admits
only sessions that passed it.
"""

from __future__ import annotations

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError

from identity.discovery import check_url
from tenants.models import User

OPERATOR_PROVIDER_ID = "kontor-operators"


def operator_sign_in_configured() -> bool:
    return bool(settings.KONTOR_OPERATOR_OIDC_ISSUER and settings.KONTOR_OPERATOR_OIDC_CLIENT_ID)


def operator_app() -> SocialApp | None:
    """The allauth app of the operators' provider, or None when none is configured."""
    if not operator_sign_in_configured():
        return None
    issuer = str(settings.KONTOR_OPERATOR_OIDC_ISSUER).rstrip("/")
    try:
        check_url(issuer, field="issuer")
    except ValidationError as exc:
        raise ImproperlyConfigured("KONTOR_OPERATOR_OIDC_ISSUER must be an HTTPS URL.") from exc
    return SocialApp(
        provider="openid_connect",
        provider_id=OPERATOR_PROVIDER_ID,
        name="Kontor operators",
        client_id=settings.KONTOR_OPERATOR_OIDC_CLIENT_ID,
        secret=settings.KONTOR_OPERATOR_OIDC_CLIENT_SECRET,
        settings={
            "server_url": issuer,
            "scope": ["openid", "email", "profile"],
            "oauth_pkce_enabled": True,
            "email_authentication": True,
            "verified_email": True,
            "hidden": True,
        },
    )


def operator_for_email(email: str) -> User | None:
    """The active staff account the provider's address names (operators are created by operators, never here)."""
    return User.objects.filter(email=email.strip().lower(), is_staff=True, is_active=True).first()
