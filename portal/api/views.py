"""API plumbing views: the OpenAPI schema and its documentation, and the JSON answer for unknown routes."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from portal.api.access import PublicAccessMixin
from portal.api.errors import error_json_response


class SchemaView(PublicAccessMixin, SpectacularAPIView):
    pass


class SwaggerView(PublicAccessMixin, SpectacularSwaggerSplitView):
    pass


class RedocView(PublicAccessMixin, SpectacularRedocView):
    pass


@csrf_exempt
def api_not_found(request: HttpRequest, unmatched: str = "") -> JsonResponse:
    """Every path under /api/ that matches no route, whatever the method."""
    return error_json_response(404, _("No API endpoint at %(path)s.") % {"path": request.path}, "not_found")


api_not_found.access = "public"  # type: ignore[attr-defined]
