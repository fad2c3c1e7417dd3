"""Signal receivers: they hold no rules, they call services."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import email_confirmed
from django.dispatch import receiver
from django.http import HttpRequest

from core.http import client_ip
from tenants.audit import Actor
from tenants.choices import OrganizationStatus, Role
from tenants.models import Organization
from tenants.services import organization_email_verified


@receiver(email_confirmed)
def on_email_confirmed(sender: Any, request: HttpRequest | None, email_address: Any, **kwargs: Any) -> None:
    user = email_address.user
    pending = Organization.objects.filter(
        memberships__user=user, memberships__role=Role.OWNER, status=OrganizationStatus.PENDING_VERIFICATION
    )
    ip_address = client_ip(request) if request is not None else None
    for organization in pending:
        organization_email_verified(actor=Actor.for_user(user, ip_address=ip_address), organization=organization)
