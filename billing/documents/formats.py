"""Dates as a document's reader expects them, whatever the process's locale: 01.12.2026 in German, 1 December 2026
in English (never the US 12/01/2026, which a European accountant reads as 12 January)."""

from __future__ import annotations

from datetime import date

from django.utils import translation
from django.utils.formats import date_format

DATE_FORMATS = {"de": "d.m.Y", "en": "j F Y"}


def document_date(value: date, language: str) -> str:
    with translation.override(language):
        return date_format(value, DATE_FORMATS[language])
