"""How every API view declares who may reach it, and the base classes that enforce it.

Each view under /api/v1/ must inherit from exactly one of these bases (the meta-test in
tests/portal/test_api_scoping.py walks every route and fails otherwise):

- ``PublicAPIView``: anyone, signed in or not (the schema, the catalog and price reads).
- ``AccountAPIView``: the signed-in caller's own account; queries go through ``request.user`` only.
- ``OrganizationScopedAPIView``: data of one organization, named in the URL as ``<organization_slug>``. The
  organization is resolved once per request from the caller's memberships (or API key); an organization the
  caller does not belong to answers 404, exactly like one that does not exist. Querysets are built from
  ``self.organization``.
- ``OperatorAPIView``: cloud operators only (``is_staff``).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import permissions, viewsets
from rest_framework.exceptions import MethodNotAllowed, NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.views import APIView

from tenants.models import ApiKey, Membership, Organization, User
from tenants.permissions import Action, role_allows, scope_allows
from tenants.selectors import membership_get, organization_get_for_actor

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass


class Access(StrEnum):
    PUBLIC = "public"
    ACCOUNT = "account"
    ORGANIZATION = "organization"
    OPERATOR = "operator"


class IsOperator(permissions.BasePermission):
    message = gettext_lazy("This endpoint is for cloud operators.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class PublicAccessMixin:
    access: ClassVar[Access] = Access.PUBLIC
    permission_classes: Sequence[_PermissionClass] = [permissions.AllowAny]


class AccountAccessMixin:
    access: ClassVar[Access] = Access.ACCOUNT
    permission_classes: Sequence[_PermissionClass] = [permissions.IsAuthenticated]


class OperatorAccessMixin:
    access: ClassVar[Access] = Access.OPERATOR
    permission_classes: Sequence[_PermissionClass] = [IsOperator]


class OrganizationScopeMixin:
    """Resolves ``self.organization`` once per request and checks the caller's role against the action table."""

    access: ClassVar[Access] = Access.ORGANIZATION
    permission_classes: Sequence[_PermissionClass] = [permissions.IsAuthenticated]
    organization_url_kwarg: ClassVar[str] = "organization_slug"
    #: The action of ``tenants.permissions`` each DRF action needs, e.g. ``{"list": Action.MEMBERS_VIEW}``.
    required_actions: ClassVar[dict[str, Action]] = {}

    organization: Organization
    membership: Membership | None
    kwargs: dict[str, Any]

    @property
    def allowed_methods(self) -> list[str]:
        """Only the methods that lead to a declared action (DRF's ``Allow`` header and the 405 answer use it)."""
        action_map: dict[str, str] | None = getattr(self, "action_map", None)
        names: list[str] = self.http_method_names  # type: ignore[attr-defined]
        if action_map is not None:
            methods = [method for method in names if action_map.get(method) in self.required_actions]
        else:
            methods = [method for method in names if method in self.required_actions and hasattr(self, method)]
        if "get" in methods and "head" not in methods:
            methods.append("head")
        return [method.upper() for method in methods]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if (request.method or "").upper() not in self.allowed_methods:
            # Any method a route does not declare (OPTIONS, PUT, TRACE, GET on a POST-only action): 405 with Allow.
            raise MethodNotAllowed(request.method or "")
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # authentication and permissions first
        api_key = request.auth if isinstance(request.auth, ApiKey) else None
        user = request.user if isinstance(request.user, User) else None
        organization = organization_get_for_actor(
            slug=self.kwargs[self.organization_url_kwarg], user=None if api_key else user, api_key=api_key
        )
        if organization is None:
            raise NotFound()
        self.organization = organization
        self.membership = None if api_key else membership_get(organization=organization, user=user)  # type: ignore[arg-type]
        self.check_action_allowed(request, api_key)

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no organization
            meta = getattr(self.get_serializer_class(), "Meta", None)  # type: ignore[attr-defined]
            model = getattr(meta, "model", None) or Organization
            manager = model.objects
            queryset: QuerySet[Any] = manager.unscoped() if hasattr(manager, "unscoped") else manager.all()
            return queryset.none()
        return self.get_scoped_queryset()

    def get_scoped_queryset(self) -> QuerySet[Any]:
        """The view's rows, built from ``self.organization``. Views that list or retrieve rows override this."""
        raise NotImplementedError(f"{type(self).__name__} must build its queryset from self.organization.")

    def required_action(self) -> Action:
        method = (self.request.method or "get").lower()  # type: ignore[attr-defined]
        name = getattr(self, "action", None) or ("get" if method == "head" else method)
        try:
            return self.required_actions[name]
        except KeyError:  # initial() answered 405 already; reaching here is a programming error
            raise RuntimeError(f"{type(self).__name__} declares no required action for {name!r}.") from None

    def check_action_allowed(self, request: Request, api_key: ApiKey | None) -> None:
        action = self.required_action()
        if api_key is not None:
            allowed = scope_allows(api_key.scopes, action)
        else:
            allowed = self.membership is not None and role_allows(self.membership.role, action)
        if not allowed:
            raise PermissionDenied(_("Your role does not allow this action (%(action)s).") % {"action": action})


class PublicAPIView(PublicAccessMixin, APIView):
    pass


class PublicViewSet(PublicAccessMixin, viewsets.GenericViewSet):
    pass


class AccountAPIView(AccountAccessMixin, APIView):
    pass


class OperatorAPIView(OperatorAccessMixin, APIView):
    pass


class OrganizationScopedAPIView(OrganizationScopeMixin, APIView):
    pass


class OrganizationScopedViewSet(OrganizationScopeMixin, viewsets.GenericViewSet):
    pass


class OperatorViewSet(OperatorAccessMixin, viewsets.GenericViewSet):
    pass
