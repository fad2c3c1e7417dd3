"""The header's organization switcher: the signed-in user's memberships and the organization they work in."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tenants.choices import Role
from tenants.models import Membership, User
from tenants.permissions import ROLE_ACTIONS
from tenants.selectors import membership_list_for_user
from tenants.web.access import CURRENT_ORGANIZATION_SESSION_KEY

_CACHE_ATTRIBUTE = "_kontor_memberships"


def _memberships(request: HttpRequest, user: User) -> list[Membership]:
    # Several templates may render in one request (a page and its e-mails): one query for all of them.
    cached: list[Membership] | None = getattr(request, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = list(membership_list_for_user(user=user))
        setattr(request, _CACHE_ATTRIBUTE, cached)
    return cached


def organizations(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {}
    memberships = _memberships(request, user)
    slug = request.session.get(CURRENT_ORGANIZATION_SESSION_KEY)
    current = next((m for m in memberships if m.organization.slug == slug), memberships[0] if memberships else None)
    return {
        "user_memberships": memberships,
        "current_membership": current,
        "current_organization": current.organization if current is not None else None,
        "current_organization_actions": (
            frozenset(action.value for action in ROLE_ACTIONS[Role(current.role)])
            if current is not None
            else frozenset()
        ),
    }
