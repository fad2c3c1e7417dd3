"""Request plumbing: request IDs, the API body size limit, and the API's answer to unexpected errors."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from portal.api.errors import error_json_response, is_api_request
from portal.api.throttles import RATE_LIMIT_ATTRIBUTE, rate_limit_headers_apply

logger = structlog.get_logger(__name__)

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an ID (the caller's ``X-Request-ID`` if well-formed), logs with it and echoes it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = self.get_response(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        response["X-Request-ID"] = request_id
        return response


class ApiBodySizeLimitMiddleware:
    """Refuses API bodies over ``API_MAX_BODY_BYTES`` before anything reads them (413, the API error shape)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api_request(request):
            raw_length = request.META.get("CONTENT_LENGTH") or "0"
            try:
                length = int(raw_length)
            except ValueError:
                return error_json_response(400, _("The Content-Length header is not a number."), "bad_request")
            limit = settings.API_MAX_BODY_BYTES
            if length > limit:
                return error_json_response(
                    413, _("The request body is larger than %(limit)d bytes.") % {"limit": limit}, "request_too_large"
                )
        return self.get_response(request)


class ApiExceptionMiddleware:
    """An unexpected error under /api/ answers 500 in the API error shape (never an HTML page), and is logged."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api_request(request):
            return None
        logger.exception("api.unhandled_error", path=request.path, method=request.method)
        return error_json_response(
            500,
            _("Something went wrong on our side. Quote request ID %(id)s to support.")
            % {"id": getattr(request, "request_id", "-")},
            "server_error",
        )


class RateLimitHeadersMiddleware:
    """``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset`` (IETF httpapi rate-limit headers, delta
    seconds) on every answer a throttle counted, throttled or not: the tightest limit the request was counted
    against (``portal.api.throttles.remember_decision``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        decision = getattr(request, RATE_LIMIT_ATTRIBUTE, None)
        if decision is not None:
            rate_limit_headers_apply(response, decision)
        return response
