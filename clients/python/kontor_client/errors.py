"""Typed errors: every failed request raises an ``ApiError`` carrying the API's one error shape
``{detail, code, fields}``, as a subclass chosen by the HTTP status."""

from __future__ import annotations

from typing import Any

import httpx


class KontorError(Exception):
    """Base of every error the SDK raises."""


class ApiError(KontorError):
    """The API refused or failed a request. ``code`` is the API's machine-readable code (``"invalid"``,
    ``"not_found"``, ``"throttled"``, a domain code such as ``"quote_expired"``...), ``detail`` the human
    message, ``fields`` the per-field messages of a validation error."""

    def __init__(
        self, *, status: int, code: str, detail: str, fields: dict[str, list[str]], response: httpx.Response | None
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.fields = fields
        self.response = response

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        body: Any = None
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("code"), str):
            code = body["code"]
            detail = str(body.get("detail", ""))
            raw_fields = body.get("fields") or {}
            fields = {
                str(name): [str(message) for message in (messages if isinstance(messages, list) else [messages])]
                for name, messages in (raw_fields.items() if isinstance(raw_fields, dict) else [])
            }
        else:  # not the API's shape (a proxy in between, an HTML error page): keep what can be said
            code = f"http_{response.status_code}"
            detail = response.text[:500] or response.reason_phrase
            fields = {}
        error_class = _BY_STATUS.get(response.status_code, ServerError if response.status_code >= 500 else ApiError)
        return error_class(status=response.status_code, code=code, detail=detail, fields=fields, response=response)


class ValidationError(ApiError):
    """400: the request has invalid fields (see ``fields``) or breaks a rule (see ``code``)."""


class AuthenticationError(ApiError):
    """401: no or an invalid API key."""


class PermissionDenied(ApiError):
    """403: the key's scopes or the member's role do not allow this."""


class NotFound(ApiError):
    """404: missing, or another organization's (the API does not tell them apart)."""


class Conflict(ApiError):
    """409: the state does not allow it now (or an idempotency key was reused with another request)."""


class RateLimited(ApiError):
    """429 after the SDK's retries ran out."""


class ServerError(ApiError):
    """5xx after the SDK's retries ran out (for 503) or at once."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    429: RateLimited,
}
