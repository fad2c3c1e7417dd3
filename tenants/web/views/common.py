"""What the onboarding and team pages share: session keys, the signed-in user, refusals shown as messages."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from tenants.models import User
from tenants.web.access import OrganizationAccess

SIGNUP_COMPANY_SESSION_KEY = "kontor_signup_company"
SIGNUP_EMAIL_SESSION_KEY = "kontor_signup_email"
# Why an invitation link cannot be used, as the HTTP status of the page that says so.
INVITATION_PROBLEM_STATUS = {
    "invitation_invalid": 400,
    "invitation_used": 410,
    "invitation_expired": 410,
    "invitation_other_user": 403,
    "already_member": 409,
}


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def _refused(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def _members_redirect(access: OrganizationAccess) -> HttpResponse:
    return redirect("portal:members", organization_slug=access.organization.slug)


def _anonymous_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in users have an account already: they go to their dashboard."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect("portal:dashboard")
        return view(request, *args, **kwargs)

    return wrapper
