"""The countries Kontor sells to (ISO 3166-1 alpha-2): the EU, the EEA and Switzerland."""

from __future__ import annotations

# Kontor sells to companies in the EU, the EEA and Switzerland (ISO 3166-1 alpha-2).
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
EEA_NON_EU_COUNTRIES = frozenset({"IS", "LI", "NO"})
SERVED_COUNTRIES = EU_COUNTRIES | EEA_NON_EU_COUNTRIES | {"CH"}
