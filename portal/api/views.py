"""API plumbing views: the OpenAPI schema and its documentation, and the JSON answer for unknown routes."""

from __future__ import annotations

from csp.constants import NONCE, UNSAFE_INLINE
from csp.decorators import csp_update
from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from portal.api.access import PublicAccessMixin
from portal.api.errors import error_json_response


class SchemaView(PublicAccessMixin, SpectacularAPIView):
    pass


# The documentation pages keep the site's Content-Security-Policy, loosened only as far as each library needs and never
# beyond our own origin. Swagger UI: the page's one inline <style> carries the request's nonce.
@method_decorator(csp_update({"style-src": [NONCE]}), name="dispatch")
class SwaggerView(PublicAccessMixin, SpectacularSwaggerSplitView):
    template_name = "portal/api/swagger_ui.html"


# Redoc: it injects its styles as <style> elements at run time (styled-components, some before any nonce can reach it),
# and runs its search in a worker started from a blob: URL.
@method_decorator(csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]}), name="dispatch")
class RedocView(PublicAccessMixin, SpectacularRedocView):
    template_name = "portal/api/redoc.html"


@csrf_exempt
def api_not_found(request: HttpRequest, unmatched: str = "") -> JsonResponse:
    """Every path under /api/ that matches no route, whatever the method."""
    return error_json_response(404, _("No API endpoint at %(path)s.") % {"path": request.path}, "not_found")


api_not_found.access = "public"  # type: ignore[attr-defined]
