"""Cursor pagination for every list: stable under concurrent inserts, constant cost per page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.views import APIView

MIN_PAGE_SIZE = 1
MAX_PAGE_SIZE = 200


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "-id"

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        """A cursor this API did not hand out is a bad parameter (400 on ``cursor``), not a missing page (404)."""
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise self._bad_cursor() from None

    def paginate_queryset(self, queryset: Any, request: Request, view: APIView | None = None) -> Any:
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, DjangoValidationError):  # a well-formed cursor whose position does not fit the ordering
            raise self._bad_cursor() from None

    def _bad_cursor(self) -> ValidationError:
        return ValidationError(
            {self.cursor_query_param: [_("This cursor is not valid: use a link from a list answer.")]}
        )

    def get_page_size(self, request: Request) -> int | None:
        """``page_size`` from 1 to 200; anything else is a 400 (DRF would silently use the default)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or not MIN_PAGE_SIZE <= int(raw) <= MAX_PAGE_SIZE:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a page size from %(min)d to %(max)d.") % {"min": MIN_PAGE_SIZE, "max": MAX_PAGE_SIZE}
                    ]
                }
            )
        return int(raw)
