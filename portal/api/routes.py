"""Walks every registered API route and names those that are neither tenant-scoped nor explicitly public,
account-only or operator-only. Used by a system check (``manage.py check`` fails) and by the meta-test."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from portal.api.access import Access, OrganizationScopeMixin

API_PREFIX = "api/"


@dataclass(frozen=True)
class ApiRoute:
    path: str
    name: str | None
    callback: Any

    @property
    def view_class(self) -> Any:
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def access(self) -> Any:
        holder = self.view_class or self.callback
        return getattr(holder, "access", None)

    @property
    def methods(self) -> list[str]:
        actions = getattr(self.callback, "actions", None)
        if actions:
            return sorted(method.upper() for method in actions)
        view_class = self.view_class
        if view_class is None:
            return ["GET"]
        return sorted(
            m.upper() for m in view_class.http_method_names if m not in {"options", "head"} and hasattr(view_class, m)
        )


def iter_routes(patterns: Iterable[Any], prefix: str = "") -> Iterator[ApiRoute]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from iter_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield ApiRoute(prefix + str(pattern.pattern), pattern.name, pattern.callback)


def api_routes(patterns: Iterable[Any] | None = None) -> list[ApiRoute]:
    routes = iter_routes(get_resolver().url_patterns if patterns is None else patterns)
    return [route for route in routes if route.path.lstrip("^").startswith(API_PREFIX)]


def route_problem(route: ApiRoute) -> str | None:
    """Why this route is not safely scoped, or None."""
    access = route.access
    if access not in set(Access):
        return f"{route.path}: the view declares no access (inherit from a base in portal.api.access)"
    if access == Access.ORGANIZATION:
        view_class = route.view_class
        if view_class is None or not issubclass(view_class, OrganizationScopeMixin):
            return f"{route.path}: marked organization-scoped but does not resolve the organization"
        if f"<slug:{view_class.organization_url_kwarg}>" not in route.path:
            return f"{route.path}: organization-scoped but the URL does not name the organization"
    return None


def unscoped_api_routes(patterns: Iterable[Any] | None = None) -> list[str]:
    return [problem for route in api_routes(patterns) if (problem := route_problem(route))]
