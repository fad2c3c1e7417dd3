"""Who may open an organization's pages: resolved through the user's memberships, once per request.

Another organization's slug and a missing one are the same 404; a member whose role does not allow the page's
action gets 403 (``tenants.permissions`` is the one table of what each role may do).

Every portal page declares who may open it: ``organization_view`` (the URL names the organization, resolved through
the caller's memberships), ``account_page`` (signed in, about the caller's own account) or ``public_page``. The walker
in ``portal.web.pages`` and the system check kontor.E002 refuse a page that declares nothing, and a page whose URL
names an organization without resolving it here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any
from weakref import WeakSet

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from tenants.choices import Role
from tenants.models import Membership, Organization, User
from tenants.permissions import Action, role_allows
from tenants.selectors import membership_get, organization_get_for_actor


class PageAccess(StrEnum):
    PUBLIC = "public"  # anyone, signed in or not
    ACCOUNT = "account"  # a signed-in user, about their own account; the URL names no organization
    ORGANIZATION = "organization"  # a member of the organization the URL names (organization_view)


PAGE_ACCESS_ATTRIBUTE = "page_access"

# The wrappers organization_view made: the only views that resolve the URL's organization through memberships.
# An attribute could be set by hand on any view; membership in this set cannot.
_ORGANIZATION_WRAPPERS: WeakSet[Callable[..., HttpResponse]] = WeakSet()

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

        _ORGANIZATION_WRAPPERS.add(wrapper)
        setattr(wrapper, PAGE_ACCESS_ATTRIBUTE, PageAccess.ORGANIZATION)
        return login_required(wrapper)

    return decorate


def account_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page for the signed-in user's own account (anonymous visitors are sent to sign in); its URL names no
    organization — an organization chosen in a form is looked up among the user's memberships by the view."""
    wrapper = login_required(view)
    setattr(wrapper, PAGE_ACCESS_ATTRIBUTE, PageAccess.ACCOUNT)
    return wrapper


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page anyone may open, signed in or not; its URL names no organization."""
    setattr(view, PAGE_ACCESS_ATTRIBUTE, PageAccess.PUBLIC)
    return view


def page_access(view: Callable[..., Any]) -> PageAccess | None:
    """What the page declares (decorators copy the mark outwards with ``functools.wraps``), or None."""
    declared = getattr(view, PAGE_ACCESS_ATTRIBUTE, None)
    return declared if declared in set(PageAccess) else None


def resolves_organization(view: Callable[..., Any]) -> bool:
    """Whether ``organization_view``'s membership check is in the view's chain of decorators."""
    current: Any = view
    while current is not None:
        if current in _ORGANIZATION_WRAPPERS:
            return True
        current = getattr(current, "__wrapped__", None)
    return False
