"""Signal receivers of enterprise identity: they call services and hold no rules."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from core.http import client_ip
from identity.adapters import claims_of
from identity.selectors import identity_provider_by_provider_id
from identity.services import sso_sign_in_sync
from tenants.models import User


@receiver(user_logged_in, dispatch_uid="identity_sso_sign_in")
def sso_signed_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    sociallogin = kwargs.get("sociallogin")
    if sociallogin is None:
        return
    provider = identity_provider_by_provider_id(sociallogin.provider.app.provider_id or "")
    if provider is None:
        return
    groups = claims_of(sociallogin).get(provider.groups_claim) or []
    if isinstance(groups, str):
        groups = [groups]
    sso_sign_in_sync(
        provider=provider,
        user=user,
        subject=sociallogin.account.uid,
        groups=[str(group) for group in groups],
        ip_address=client_ip(request),
    )
