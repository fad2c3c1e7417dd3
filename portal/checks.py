"""System checks: ``manage.py check`` (and so every start) fails when an API route is not scoped."""

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
