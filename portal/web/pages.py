"""Walks every portal page (the URL tree without the API, the operator console, allauth's account pages and
Django's language switch) and names those that do not declare who may open them, or whose URL names an
organization that is not resolved through the caller's memberships. Used by the system check kontor.E002
(``manage.py check`` fails) and by the generated cross-tenant test."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from tenants.web.access import PageAccess, page_access, resolves_organization

# Trees with their own guarantee: the API (kontor.E001), the operator console (Django admin, staff only),
# allauth's sign-in pages and Django's set_language, neither of which takes an organization.
EXCLUDED_PREFIXES = ("api/", "ops/", "accounts/", "i18n/")

ORGANIZATION_KWARG = "<slug:organization_slug>"
# Any URL parameter that looks like it names an organization, whatever its converter or spelling.
NAMES_AN_ORGANIZATION = re.compile(r"<(?:\w+:)?org(?:anization)?(?:_\w+)?>")

# The methods a page answers when no require_http_methods (require_GET, require_POST...) restricts it.
ALL_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


@dataclass(frozen=True)
class Page:
    path: str
    name: str | None
    callback: Callable[..., Any]

    @property
    def access(self) -> PageAccess | None:
        return page_access(self.callback)

    @property
    def names_an_organization(self) -> bool:
        return NAMES_AN_ORGANIZATION.search(self.path) is not None

    @property
    def methods(self) -> list[str]:
        """The methods the page accepts: the intersection of every require_http_methods in its decorator chain."""
        allowed = set(ALL_METHODS)
        current: Any = self.callback
        while current is not None:
            code = getattr(current, "__code__", None)
            closure = getattr(current, "__closure__", None)
            if code is not None and closure and "request_method_list" in code.co_freevars:
                listed = closure[code.co_freevars.index("request_method_list")].cell_contents
                allowed &= {method.upper() for method in listed}
            current = getattr(current, "__wrapped__", None)
        return sorted(allowed)


def iter_pages(patterns: Iterable[Any], prefix: str = "") -> Iterator[Page]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from iter_pages(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield Page(prefix + str(pattern.pattern), pattern.name, pattern.callback)


def portal_pages(patterns: Iterable[Any] | None = None) -> list[Page]:
    pages = iter_pages(get_resolver().url_patterns if patterns is None else patterns)
    return [page for page in pages if not page.path.lstrip("^").startswith(EXCLUDED_PREFIXES)]


def organization_pages(patterns: Iterable[Any] | None = None) -> list[Page]:
    return [page for page in portal_pages(patterns) if page.access == PageAccess.ORGANIZATION]


def page_problem(page: Page) -> str | None:
    """Why this page is not safely scoped, or None."""
    access = page.access
    if access is None:
        return (
            f"{page.path}: the page declares no access "
            "(decorate it with organization_view, account_page or public_page from tenants.web.access)"
        )
    if access != PageAccess.ORGANIZATION:
        if page.names_an_organization:
            return f"{page.path}: names an organization but is declared {access}; use organization_view"
        return None
    if not resolves_organization(page.callback):
        return f"{page.path}: marked as an organization page but does not resolve the organization (organization_view)"
    if ORGANIZATION_KWARG not in page.path:
        return f"{page.path}: an organization page but the URL does not name the organization as {ORGANIZATION_KWARG}"
    return None


def unscoped_portal_pages(patterns: Iterable[Any] | None = None) -> list[str]:
    return [problem for page in portal_pages(patterns) if (problem := page_problem(page))]
