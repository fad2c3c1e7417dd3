"""Kontor's Python SDK.

``kontor_client.generated`` is generated from the OpenAPI description (`make sdk`; never edit it by hand): one
module per operation under ``generated.api.<tag>``, the request and response models under ``generated.models``.
The modules beside it are written by hand and survive regeneration: ``connect`` (authentication, idempotency
keys, retries, typed errors), ``paginate``, ``verify_webhook`` and the ``kontor`` command line (``cli``).
"""

from kontor_client.client import connect
from kontor_client.errors import (
    ApiError,
    AuthenticationError,
    Conflict,
    KontorError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    ValidationError,
)
from kontor_client.pagination import paginate
from kontor_client.webhooks import InvalidWebhook, verify_webhook

__all__ = [
    "ApiError",
    "AuthenticationError",
    "Conflict",
    "InvalidWebhook",
    "KontorError",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "ServerError",
    "ValidationError",
    "connect",
    "paginate",
    "verify_webhook",
]
