"""The one error shape of the API: ``{"detail": str, "code": str, "fields": {field: [str, ...]}}``.

Every failure under /api/ answers in it: DRF exceptions, Django's ValidationError, Http404 and PermissionDenied,
unknown routes, wrong methods, malformed or oversized bodies, CSRF failures and unhandled errors (500).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

logger = structlog.get_logger(__name__)

API_PATH_PREFIX = "/api/"


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def error_body(detail: str, code: str, fields: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    return {"detail": str(detail), "code": code, "fields": dict(fields or {})}


def error_json_response(status_code: int, detail: str, code: str) -> JsonResponse:
    """The error shape for plain Django views and middleware (outside DRF's exception handling)."""
    return JsonResponse(error_body(detail, code), status=status_code)


def _flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error structure into ``{"field.sub.0": ["message"]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(errors, Sequence) and not isinstance(errors, str):
        if all(not isinstance(item, Mapping | list) for item in errors):
            flat[prefix] = [str(item) for item in errors]
        else:
            for index, item in enumerate(errors):
                if item:
                    flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix] = [str(errors)]
    return flat


def _validation_body(exc: exceptions.ValidationError) -> dict[str, Any]:
    detail = exc.detail
    if not isinstance(detail, Mapping):
        detail = {"non_field_errors": detail}
    fields = _flatten(detail)
    general = fields.pop("non_field_errors", None)
    message = " ".join(general) if general else _("The request has invalid fields.")
    # A refusal that is not about one field keeps the domain's own code (e.g. "last_owner", "invitation_expired").
    code = "invalid"
    general_codes = detail.get("non_field_errors") if isinstance(detail, Mapping) else None
    if general and not fields and isinstance(general_codes, list) and len(general_codes) == 1:
        code = getattr(general_codes[0], "code", None) or "invalid"
    return error_body(message, code, fields)


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER. Returns None for unexpected errors: ApiExceptionMiddleware answers those as 500."""
    if isinstance(exc, DjangoValidationError) and not hasattr(exc, "error_dict") and exc.code == "permission_denied":
        # A domain refusal of who is asking, not of what was sent ("Only an owner can remove an owner"): 403.
        exc = exceptions.PermissionDenied(" ".join(exc.messages))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if not isinstance(exc, exceptions.APIException):
        return None

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]

    if isinstance(exc, exceptions.ValidationError):
        body = _validation_body(exc)
    else:
        code = exc.get_codes()
        body = error_body(str(exc.detail), code if isinstance(code, str) else exc.default_code)

    return Response(body, status=exc.status_code, headers=headers)
