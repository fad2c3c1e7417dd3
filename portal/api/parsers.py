"""Request parsers with a hard size limit.

DRF reads the request stream directly, bypassing Django's DATA_UPLOAD_MAX_MEMORY_SIZE check, so a body sent
without a Content-Length (chunked) would otherwise be read whole. This parser stops at the limit.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


def read_limited(stream: IO[bytes], limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise RequestTooLarge(_("The request body is larger than %(limit)d bytes.") % {"limit": limit})
    return data


class LimitedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        data = read_limited(stream, settings.API_MAX_BODY_BYTES)
        return super().parse(io.BytesIO(data), media_type, parser_context)
