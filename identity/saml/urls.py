"""allauth mounts the URLs of a provider class's package: allauth's own SAML views (ACS, metadata, login, SLS) under
``/accounts/saml/<organization slug>/``; ``KontorSamlProvider`` adds Kontor's checks."""

from __future__ import annotations

from allauth.socialaccount.providers.saml.urls import urlpatterns

__all__ = ["urlpatterns"]
