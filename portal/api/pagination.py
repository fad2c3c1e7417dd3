"""Cursor pagination for every list: stable under concurrent inserts, constant cost per page."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

MIN_PAGE_SIZE = 1
MAX_PAGE_SIZE = 200


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "-id"

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
