"""System checks: ``manage.py check`` (and so every start) fails when an API route or a portal page is not scoped."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register


@register(Tags.security, Tags.urls)
def check_api_routes_scoped(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from portal.api.routes import unscoped_api_routes

    return [
        Error(problem, hint="Inherit from a base class of portal.api.access.", id="kontor.E001")
        for problem in unscoped_api_routes()
    ]


@register(Tags.security, Tags.urls)
def check_portal_pages_scoped(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from portal.web.pages import unscoped_portal_pages

    return [
        Error(
            problem,
            hint="Decorate the view with organization_view, account_page or public_page from tenants.web.access.",
            id="kontor.E002",
        )
        for problem in unscoped_portal_pages()
    ]
