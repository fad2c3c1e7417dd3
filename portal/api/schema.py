"""The OpenAPI description of every error an operation can answer, added in one place for every view.

``KontorAutoSchema`` (``DEFAULT_SCHEMA_CLASS``) adds to each operation the statuses the shared plumbing can answer,
each with the one error shape (component ``Error``) and the codes it can carry (in the description and in
``x-error-codes``):

- 400 when the operation reads a body or query parameters (validation, malformed or over-nested JSON);
- 401 for every view that authenticates (a wrong or revoked API key, also on public reads), 403 when the view needs
  a signed-in caller (role, scope, CSRF);
- 404 when the path names something (another organization's object answers 404 like a missing one);
- 406 for an ``Accept`` the API cannot answer; 413 and 415 for bodies (size limit, content type);
- 429 with ``Retry-After`` and the ``RateLimit-*`` headers when the view is throttled;
- the domain's own refusals a view declares in ``error_codes`` (``{action: {status: [code, ...]}}``), e.g. 409
  ``no_capacity`` or 503 ``cloud_unavailable``;
- for operations that take an ``Idempotency-Key`` header: its replay semantics and its refusals.

Undeclared methods answer 405 with ``Allow`` on every route; 405 is a property of a path, not of an operation, so it
is stated in the API description rather than under each operation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

IDEMPOTENCY_HEADER_NAME = "Idempotency-Key"

#: Headers of a throttled operation (set by the throttling middleware on every answer, 429 included).
RATE_LIMIT_HEADERS: dict[str, dict[str, Any]] = {
    "RateLimit-Limit": {"schema": {"type": "integer"}, "description": "Requests allowed in the current window."},
    "RateLimit-Remaining": {"schema": {"type": "integer"}, "description": "Requests left in the current window."},
    "RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Seconds until the window resets."},
}
RETRY_AFTER_HEADER = {
    "schema": {"type": "integer"},
    "description": "Seconds to wait before trying again.",
}

STATUS_DESCRIPTIONS = {
    400: "The request is invalid: `fields` names each field and why.",
    401: "No valid credentials: a missing, wrong, revoked or expired API key, or no session.",
    403: "The caller may not do this (role, API key scope, a refusal of who asks, or a missing CSRF token).",
    404: "Nothing here, or it belongs to another organization (the same answer).",
    406: "The `Accept` header names no media type this operation answers with.",
    409: "The request conflicts with the current state.",
    413: "The request body is larger than the limit.",
    415: "The body's content type is not `application/json`.",
    422: "The request is well-formed but cannot be processed as sent.",
    429: "Too many requests: wait `Retry-After` seconds.",
    503: "A service Kontor depends on is not available right now: retry after a while.",
}

#: The codes the shared plumbing answers with, whatever the view.
BODY_CODES = ("invalid", "parse_error", "too_deeply_nested", "invalid_characters")
QUERY_CODES = ("invalid",)


class ErrorSerializer(serializers.Serializer[Any]):
    """The one error shape of the API."""

    detail = serializers.CharField(help_text="What went wrong, in the caller's language.")
    code = serializers.CharField(help_text="A stable, machine-readable code (see each response's list).")
    # DRF's metaclass moves declared fields into _declared_fields, so this does not shadow Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Per-field messages, e.g. `{"ends_at": ["..."]}`; empty when the refusal is not about a field.',
    )


def declared_error_codes(view: Any, action: str) -> dict[int, list[str]]:
    """The codes a view declares for ``action`` in its ``error_codes`` class attribute."""
    table: Mapping[str, Mapping[int, Sequence[str]]] = getattr(view, "error_codes", {}) or {}
    return {int(status): list(codes) for status, codes in table.get(action, {}).items()}


def _may_be_blank(field: Any) -> bool:
    """Whether the field accepts or answers ``""``: ``allow_blank``, or a read-only field of a ``blank`` model field."""
    if getattr(field, "allow_blank", False):
        return True
    model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
    source = getattr(field, "source", "") or ""
    if model is None or not source or "." in source:
        return False
    try:
        return bool(model._meta.get_field(source).blank)
    except FieldDoesNotExist:
        return False


def _drop_format_if_blank(field: Any, schema: dict[str, Any]) -> None:
    if schema.get("type") == "string" and "format" in schema and _may_be_blank(field):
        schema.pop("format")


class KontorAutoSchema(AutoSchema):
    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any
    ) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        errors = self._error_codes(operation)
        responses: dict[str, Any] = operation["responses"]
        error_ref = self.resolve_serializer(ErrorSerializer, "response").ref
        for status in sorted(errors):
            key = str(status)
            existing = responses.get(key, {})
            codes = sorted(set(errors[status]))
            description = existing.get("description") or STATUS_DESCRIPTIONS.get(status, "")
            if codes:
                description = f"{description} Codes: {', '.join(f'`{code}`' for code in codes)}.".strip()
            response: dict[str, Any] = {
                **existing,
                "description": description,
                "content": {"application/json": {"schema": error_ref}},
                "x-error-codes": codes,
            }
            headers = self._error_headers(status, operation)
            if headers:
                response["headers"] = {**existing.get("headers", {}), **headers}
            responses[key] = response
        if self._throttled():
            for key, response in responses.items():
                if key.startswith("2"):
                    response["headers"] = {**response.get("headers", {}), **RATE_LIMIT_HEADERS}
        if self._idempotent(operation):
            operation["description"] = (
                operation.get("description", "")
                + "\n\nIdempotent with an `Idempotency-Key` header (at most 255 printable characters): a retry with "
                "the same key and body answers with the original status and body for 24 hours; the same key with "
                "another body is refused (422), and a retry while the first request is still running answers 409 "
                "with `Retry-After`."
            ).strip()
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> dict[str, Any]:
        """A field that may be blank (a blank ``EmailField`` of a model, say) has no format an empty string meets."""
        schema: dict[str, Any] = super()._map_serializer_field(  # type: ignore[no-untyped-call]
            field, direction, bypass_extensions
        )
        _drop_format_if_blank(field, schema)
        return schema

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)  # type: ignore[no-untyped-call]  # an EmailValidator sets it
        _drop_format_if_blank(field, schema)

    # --- what this operation can answer ---------------------------------------------------------------------------

    def _action(self) -> str:
        return str(getattr(self.view, "action", None) or self.method.lower())

    def _error_codes(self, operation: Mapping[str, Any]) -> dict[int, list[str]]:
        errors: dict[int, list[str]] = {}

        def add(status: int, codes: Iterable[str]) -> None:
            errors.setdefault(status, []).extend(codes)

        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        if has_body:
            add(400, BODY_CODES)
            add(413, ["request_too_large"])
            add(415, ["unsupported_media_type"])
        if any(parameter["in"] == "query" for parameter in parameters):
            add(400, QUERY_CODES)
        if self._authenticates():
            add(401, ["authentication_failed"])
        if not self._public():
            add(401, ["not_authenticated"])
            add(403, ["permission_denied"])
        if any(parameter["in"] == "path" for parameter in parameters):
            add(404, ["not_found"])
        add(406, ["not_acceptable"])
        if self._throttled():
            add(429, ["throttled"])
        if self._idempotent(operation):
            add(400, ["invalid_idempotency_key"])
            add(409, ["idempotency_in_progress"])
            add(422, ["idempotency_key_reused"])
        for status, codes in declared_error_codes(self.view, self._action()).items():
            add(status, codes)
        return errors

    def _error_headers(self, status: int, operation: Mapping[str, Any]) -> dict[str, Any]:
        if status == 429:
            return {"Retry-After": {**RETRY_AFTER_HEADER, "required": True}, **RATE_LIMIT_HEADERS}
        if status == 409 and self._idempotent(operation):
            return {"Retry-After": RETRY_AFTER_HEADER}
        if status == 503:
            return {"Retry-After": RETRY_AFTER_HEADER}
        return {}

    def _authenticates(self) -> bool:
        return bool(self.view.get_authenticators())

    def _public(self) -> bool:
        return str(getattr(self.view, "access", "")) == "public"

    def _throttled(self) -> bool:
        return bool(self.view.get_throttles())

    def _idempotent(self, operation: Mapping[str, Any]) -> bool:
        return any(
            parameter["in"] == "header" and parameter["name"] == IDEMPOTENCY_HEADER_NAME
            for parameter in operation.get("parameters", [])
        )
