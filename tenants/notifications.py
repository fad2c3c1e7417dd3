"""E-mails to users and addresses, in the recipient's language. Each is written to the outbox (``OutgoingEmail``)
in the current transaction and sent by a drain task after the commit, so an SMTP failure never undoes or hides the
change that caused it. ``render_for_user`` renders without writing, for callers that write many e-mails at once
(``reservations.notifications``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from tenants.choices import Role
from tenants.mail import email_enqueue
from tenants.models import Organization, User


def _render(template: str, context: dict[str, Any], language: str) -> tuple[str, str]:
    with translation.override(language):
        subject = render_to_string(f"tenants/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"tenants/email/{template}_body.txt", context)
    return subject, body


def render_for_user(user: User, template: str, context: dict[str, Any]) -> tuple[str, str]:
    """The subject and body of ``template`` for ``user``, in their language (what ``send_to_user`` writes)."""
    return _render(template, {**context, "user": user, "site_url": settings.SITE_URL}, user.preferred_language)


def send_to_user(user: User, template: str, context: dict[str, Any]) -> None:
    subject, body = render_for_user(user, template, context)
    email_enqueue(to=user.email, subject=subject, body=body, template=template)


def send_to_address(email: str, template: str, context: dict[str, Any], language: str = "en") -> None:
    subject, body = _render(template, {**context, "site_url": settings.SITE_URL}, language)
    email_enqueue(to=email, subject=subject, body=body, template=template)


def notify_owners(organization: Organization, template: str, context: dict[str, Any] | None = None) -> None:
    owners = User.objects.filter(memberships__organization=organization, memberships__role=Role.OWNER, is_active=True)
    for owner in owners:
        send_to_user(owner, template, {"organization": organization, **(context or {})})
