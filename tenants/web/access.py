"""Who may open an organization's pages: resolved through the user's memberships, once per request.

Another organization's slug and a missing one are the same 404; a member whose role does not allow the page's
action gets 403 (``tenants.permissions`` is the one table of what each role may do).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from tenants.choices import Role
from tenants.models import Membership, Organization, User
from tenants.permissions import Action, role_allows
from tenants.selectors import membership_get, organization_get_for_actor

# The organization the user works in, as its slug; the header's switcher and the organization pages set it.
CURRENT_ORGANIZATION_SESSION_KEY = "kontor_current_organization"


@dataclass(frozen=True)
class OrganizationAccess:
    """The organization a page is about and the signed-in user's membership in it."""

    organization: Organization
    membership: Membership

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def may_manage_owners(self) -> bool:
        return self.membership.role == Role.OWNER

    def allows(self, action: Action) -> bool:
        return role_allows(self.membership.role, action)


def organization_access(request: HttpRequest, slug: str, action: Action) -> OrganizationAccess:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    organization = organization_get_for_actor(slug=slug, user=user, api_key=None)
    membership = membership_get(organization=organization, user=user) if organization is not None else None
    if organization is None or membership is None:
        raise Http404
    if not role_allows(membership.role, action):
        raise PermissionDenied
    if request.session.get(CURRENT_ORGANIZATION_SESSION_KEY) != organization.slug:
        request.session[CURRENT_ORGANIZATION_SESSION_KEY] = organization.slug
    return OrganizationAccess(organization=organization, membership=membership)


OrganizationView = Callable[..., HttpResponse]


def organization_view(action: Action) -> Callable[[OrganizationView], Callable[..., HttpResponse]]:
    """Decorate a view ``view(request, access, **kwargs)`` whose URL names ``<slug:organization_slug>``: the user
    must be signed in and a member whose role allows ``action``."""

    def decorate(view: OrganizationView) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, organization_slug: str, **kwargs: Any) -> HttpResponse:
            return view(request, organization_access(request, organization_slug, action), **kwargs)

        return login_required(wrapper)

    return decorate
