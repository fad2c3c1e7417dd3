"""Error pages: HTML for people, the API error shape under /api/."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from portal.api.errors import error_json_response, is_api_request


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return error_json_response(404, _("Not found."), "not_found")
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        return error_json_response(500, _("Something went wrong on our side."), "server_error")
    return render(request, "500.html", status=500)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return error_json_response(403, _("You do not have permission to do this."), "permission_denied")
    return render(request, "403.html", status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return error_json_response(400, _("Bad request."), "bad_request")
    return render(request, "400.html", status=400)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if is_api_request(request):
        return error_json_response(403, _("CSRF check failed: %(reason)s") % {"reason": reason}, "csrf_failed")
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
