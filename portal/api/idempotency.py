"""``Idempotency-Key`` for API POSTs that create something billable or send something (Stripe's semantics).

Mark a handler of an organization-scoped view with ``@idempotent``: the OpenAPI description gets the header, and a
request that carries it runs through ``tenants.idempotency`` (claimed first, in its own row, before the handler
checks anything):

- the first copy runs the handler in one transaction that also stores its answer; an answer below 500 is final;
- a retry gets that answer again, same status and body, with ``Idempotent-Replayed: true``;
- a copy sent while its twin still works waits up to ``KONTOR_IDEMPOTENCY_WAIT_SECONDS`` for the answer, then
  answers 409 ``idempotency_in_progress`` with ``Retry-After``;
- the same key with another method, path or body is 422 ``idempotency_key_reused``;
- a key over 255 characters or with control characters is 400 ``invalid_idempotency_key`` (never cut);
- a server error (5xx) or a crash rolls the handler's writes back and releases the key: a retry runs again.

Keys are scoped to (organization, caller, operation): one API key's "order-1" is not another's.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.errors import error_body
from tenants.idempotency import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    Claim,
    ClaimOutcome,
    idempotency_answer,
    idempotency_claim,
    idempotency_complete,
    idempotency_hold,
    idempotency_key_validate,
    idempotency_refresh,
    idempotency_release,
)
from tenants.models import ApiKey, IdempotentRequest, Organization

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
POLL_SECONDS = 0.05
RETRY_AFTER_SECONDS = 1

IDEMPOTENCY_HEADER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        f"A key of your choice (at most {IDEMPOTENCY_KEY_MAX_LENGTH} characters, no control characters; a UUID is "
        "a good choice), valid for 24 hours. A retry with the same key gets the first answer again, with the same "
        "status and body and the header `Idempotent-Replayed: true`; a copy sent while the first is still being "
        "processed answers 409 `idempotency_in_progress` with `Retry-After`; the same key with another request is "
        "422 `idempotency_key_reused`. Server errors (5xx) are not stored: retry them with the same key."
    ),
)

Handler = TypeVar("Handler", bound=Callable[..., Response])


def idempotent(handler: Handler) -> Handler:
    """Give a view handler (``create``, an ``@action``) the ``Idempotency-Key`` semantics and document the header."""

    @functools.wraps(handler)
    def wrapper(view: APIView, request: Request, *args: Any, **kwargs: Any) -> Response:
        return idempotent_response(view, request, lambda: handler(view, request, *args, **kwargs))

    wrapper.idempotent = True  # type: ignore[attr-defined]  # the marker tests and the schema walk look for
    return extend_schema(parameters=[IDEMPOTENCY_HEADER])(wrapper)  # type: ignore[return-value]


def is_idempotent(handler: object) -> bool:
    return bool(getattr(handler, "idempotent", False))


def request_fingerprint(request: Request) -> str:
    """Method, path and body: a retry must be the same request. The body is compared as data (JSON keys sorted),
    so a client that re-serializes its retry with other whitespace or key order is not refused."""
    data: Any = request.data
    if hasattr(data, "lists"):  # a form body (QueryDict): every value of every field
        data = dict(data.lists())
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method}\n{request.path}\n{canonical}".encode()).hexdigest()


def _caller(request: Request) -> str:
    if isinstance(request.auth, ApiKey):
        return f"api_key:{request.auth.pk}"
    return f"user:{request.user.pk}"


def _operation(view: APIView, request: Request) -> str:
    name = type(view).__name__
    action = getattr(view, "action", None) or (request.method or "post").lower()
    return f"{name}.{action}"[:100]


def idempotent_response(view: APIView, request: Request, run: Callable[[], Response]) -> Response:
    key = request.headers.get(HEADER, "")
    if not key:
        return run()
    try:
        idempotency_key_validate(key)
    except ValidationError as exc:
        return Response(error_body(exc.messages[0], "invalid_idempotency_key"), status=400)
    organization: Organization = view.organization  # type: ignore[attr-defined]  # organization-scoped views only
    fingerprint = request_fingerprint(request)
    claim = idempotency_claim(
        organization=organization,
        caller=_caller(request),
        operation=_operation(view, request),
        key=key,
        fingerprint=fingerprint,
        now=timezone.now(),
    )
    deadline = time.monotonic() + settings.KONTOR_IDEMPOTENCY_WAIT_SECONDS
    while claim.outcome is ClaimOutcome.IN_PROGRESS and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)  # a web request waiting for its twin's answer, never a worker
        claim = idempotency_refresh(claim, fingerprint=fingerprint, now=timezone.now())
    return _answer(view, claim, run)


def _in_progress() -> Response:
    return Response(
        error_body(
            _("A request with this Idempotency-Key is still being processed. Retry with the same key shortly."),
            "idempotency_in_progress",
        ),
        status=409,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _answer(view: APIView, claim: Claim, run: Callable[[], Response]) -> Response:
    if claim.outcome is ClaimOutcome.MISMATCH:
        return Response(
            error_body(_("This Idempotency-Key was used with a different request."), "idempotency_key_reused"),
            status=422,
        )
    if claim.outcome is ClaimOutcome.IN_PROGRESS:
        return _in_progress()
    if claim.outcome is ClaimOutcome.REPLAY:
        status_code, body = idempotency_answer(claim.request)
        return Response(json.loads(body) if body else None, status=status_code, headers={REPLAYED_HEADER: "true"})
    return _run_owned(view, claim.request, run)


def _run_owned(view: APIView, claim: IdempotentRequest, run: Callable[[], Response]) -> Response:
    """Run the handler and store its answer in one transaction; release the key on a server error or a crash."""
    try:
        with transaction.atomic():
            if not idempotency_hold(claim):
                return _in_progress()  # the lease ran out before this copy started and another copy took over
            try:
                response = run()
            except Exception as exc:  # DRF answers known errors; unknown ones are raised again
                response = view.handle_exception(exc)
            if response.status_code >= 500:
                transaction.set_rollback(True)
            else:
                body = JSONRenderer().render(response.data).decode() if response.data is not None else ""
                idempotency_complete(request=claim, status_code=response.status_code, body=body, now=timezone.now())
    except BaseException:
        idempotency_release(request=claim)
        raise
    if response.status_code >= 500:
        idempotency_release(request=claim)
    return response
