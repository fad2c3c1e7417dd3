"""django-allauth adapter: accounts come from company sign-up (the onboarding issue), not an open form."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.utils.html import strip_tags

from tenants.mail import email_enqueue


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Users join through company sign-up or an invitation, never through a bare account form.
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # allauth's e-mails (confirmation, password reset...) go through the outbox like every other e-mail: a task
        # sends them with retries, so a mail server that is down never fails the request.
        message = self.render_mail(template_prefix, email, context)
        html_body = next(
            (content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), ""
        )
        body = message.body
        if message.content_subtype == "html":
            html_body, body = body, strip_tags(body)
        email_enqueue(to=email, subject=message.subject, body=body, html_body=str(html_body), template=template_prefix)
