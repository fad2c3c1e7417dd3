"""The names of the countries Kontor serves, translatable, for the sign-up form's country select."""

from __future__ import annotations

import unicodedata

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.countries import SERVED_COUNTRIES

COUNTRY_NAMES: dict[str, Promise] = {
    "AT": _("Austria"),
    "BE": _("Belgium"),
    "BG": _("Bulgaria"),
    "CH": _("Switzerland"),
    "CY": _("Cyprus"),
    "CZ": _("Czechia"),
    "DE": _("Germany"),
    "DK": _("Denmark"),
    "EE": _("Estonia"),
    "ES": _("Spain"),
    "FI": _("Finland"),
    "FR": _("France"),
    "GR": _("Greece"),
    "HR": _("Croatia"),
    "HU": _("Hungary"),
    "IE": _("Ireland"),
    "IS": _("Iceland"),
    "IT": _("Italy"),
    "LI": _("Liechtenstein"),
    "LT": _("Lithuania"),
    "LU": _("Luxembourg"),
    "LV": _("Latvia"),
    "MT": _("Malta"),
    "NL": _("Netherlands"),
    "NO": _("Norway"),
    "PL": _("Poland"),
    "PT": _("Portugal"),
    "RO": _("Romania"),
    "SE": _("Sweden"),
    "SI": _("Slovenia"),
    "SK": _("Slovakia"),
}


def _sort_key(name: str) -> str:
    # "Österreich" sorts with the O's, "Ísland" with the I's, in any language.
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def country_choices() -> list[tuple[str, str]]:
    """(code, name) for every served country, sorted by its name in the active language."""
    named = [(code, str(COUNTRY_NAMES[code])) for code in SERVED_COUNTRIES]
    return sorted(named, key=lambda choice: _sort_key(choice[1]))


def country_name(code: str) -> str:
    name = COUNTRY_NAMES.get(code)
    return str(name) if name is not None else code
