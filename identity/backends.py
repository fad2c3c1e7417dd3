"""Authentication backends that refuse passwords where a sign-in policy forbids them.

Both of Django's password paths (``ModelBackend`` and allauth's backend) go through ``password_sign_in_refusal``;
single sign-on does not use a backend's ``authenticate``, so it is unaffected.
"""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from identity.policy import password_sign_in_refusal
from tenants.models import User


class PolicyModelBackend(ModelBackend):
    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> Any:
        user = super().authenticate(request, *args, **kwargs)
        if isinstance(user, User) and password_sign_in_refusal(user):
            return None
        return user


class PolicyAuthenticationBackend(AuthenticationBackend):
    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> Any:
        user = super().authenticate(request, **credentials)
        if isinstance(user, User) and password_sign_in_refusal(user):
            return None
        return user
