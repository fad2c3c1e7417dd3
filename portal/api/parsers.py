"""The API's JSON parser: DRF's, with a nesting limit and a check for characters no database or page can hold.

JSON nested about a thousand levels deep (4 kB) made Python's parser raise ``RecursionError``; a ``\\ud800`` escape
gave a lone surrogate that crashed while an error message was rendered; NUL reaches PostgreSQL as a ``DataError``.
All three are refused here with a 400, before any serializer, query or template sees the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser

MAX_JSON_DEPTH_DEFAULT = 32


def _bad_character(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text)


def json_problem(data: Any, *, max_depth: int) -> str | None:
    """``"too_deeply_nested"`` or ``"invalid_characters"`` when ``data`` has them, else None (no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _bad_character(value):
                return "invalid_characters"
        elif isinstance(value, Mapping | list):
            if depth > max_depth:
                return "too_deeply_nested"
            if isinstance(value, Mapping):
                for key, item in value.items():
                    if _bad_character(str(key)):
                        return "invalid_characters"
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)
    return None


def _refusal(code: str) -> ParseError:
    if code == "too_deeply_nested":
        depth = getattr(settings, "API_MAX_JSON_DEPTH", MAX_JSON_DEPTH_DEFAULT)
        return ParseError(_("The JSON body is nested more than %(depth)d levels deep.") % {"depth": depth}, code=code)
    return ParseError(_("The JSON body contains a NUL character or a lone surrogate."), code=code)


class JSONParser(DRFJSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _refusal("too_deeply_nested") from None
        problem = json_problem(data, max_depth=getattr(settings, "API_MAX_JSON_DEPTH", MAX_JSON_DEPTH_DEFAULT))
        if problem is not None:
            raise _refusal(problem)
        return data
