"""django-allauth adapter: accounts come from company sign-up (the onboarding issue), not an open form; every link in
allauth's e-mails is built from the one site URL (``settings.SITE_URL``, ``KONTOR_SITE_URL``), not from whatever host
the request that caused the e-mail came in on."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress, EmailConfirmation
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from core.http import client_ip
from tenants.mail import email_enqueue


def on_site(url: str) -> str:
    """``url`` with the site URL's scheme and host instead of its own."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return settings.SITE_URL.rstrip("/") + path


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": _(
            "Too many failed sign-in attempts from your network. Please try again in a few minutes."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Users join through company sign-up or an invitation, never through a bare account form.
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's rate limits count per address: the same address the audit log records (core.http.client_ip).
        ip = client_ip(request)
        if ip is None:
            raise PermissionDenied("Unable to determine the client's address.")
        return ip

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth counts failed logins per key, and its key is the account alone: five wrong passwords from anywhere
        # would lock the owner out. The key is (client address, account) instead, so a stranger only locks himself.
        return f"{client_ip(request)}:{super()._get_login_attempts_cache_key(request, **credentials)}"

    def get_email_verification_redirect_url(self, email_address: EmailAddress) -> str:
        """After confirming: the dashboard with the organization (signed in), or signing in on the way there."""
        dashboard = reverse("portal:dashboard")
        if self.request.user.is_authenticated:
            return dashboard
        return f"{reverse('account_login')}?{urlencode({'next': dashboard})}"

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: EmailConfirmation) -> str:
        return on_site(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return on_site(super().get_reset_password_from_key_url(key))

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # allauth's e-mails (confirmation, password reset...) go through the outbox like every other e-mail: a task
        # sends them with retries, so a mail server that is down never fails the request.
        context = {**context, "site_url": settings.SITE_URL.rstrip("/")}
        message = self.render_mail(template_prefix, email, context)
        html_body = next(
            (content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), ""
        )
        body = message.body
        if message.content_subtype == "html":
            html_body, body = body, strip_tags(body)
        email_enqueue(to=email, subject=message.subject, body=body, html_body=str(html_body), template=template_prefix)
