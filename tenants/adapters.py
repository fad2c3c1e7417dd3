"""django-allauth adapter: accounts come from company sign-up (the onboarding issue), not an open form."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Users join through company sign-up or an invitation, never through a bare account form.
        return False
