"""VAT IDs: normalized and validated offline (format and checksum) with python-stdnum, for the company's country."""

from __future__ import annotations

from types import ModuleType

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.ch import vat as ch_vat
from stdnum.eu import vat as eu_vat
from stdnum.is_ import vsk as is_vsk
from stdnum.li import peid as li_peid
from stdnum.no import mva as no_mva

from core.countries import EU_COUNTRIES

# Non-EU countries we serve, with their own VAT number formats. Stored with the country prefix.
NON_EU_VAT_MODULES: dict[str, ModuleType] = {"CH": ch_vat, "NO": no_mva, "IS": is_vsk, "LI": li_peid}
# VIES and EU VAT IDs write Greece as EL.
EU_VAT_PREFIX = {"GR": "EL"}


# The prefixes that make a value a VAT ID of another country: the EU's (Greece as EL and GR) and Northern Ireland's
# (XI, EU VAT rules for goods). Any other two letters ("HE123") are not a country's VAT ID at all.
OTHER_VAT_PREFIXES = EU_COUNTRIES | {"EL", "XI"}
# Shown on the sign-up form: a German USt-IdNr. whose check digit is right (DE123456789's is not).
EXAMPLE_VAT_ID = "DE123456788"


def vat_prefix(country: str) -> str:
    return EU_VAT_PREFIX.get(country, country)


def looks_like_vat_id(value: str, prefix: str) -> bool:
    """Whether a compact value that failed validation was at least meant as one: it has digits and starts with
    the country's own prefix or with no letters pair at all. ``HE123`` and ``HELLO`` are not VAT IDs."""
    if not any(character.isdigit() for character in value):
        return False
    return value.startswith(prefix) or not value[:2].isalpha()


def _not_a_vat_id(value: str, country: str, prefix: str) -> ValidationError:
    return ValidationError(
        _(
            "%(vat_id)s is not a VAT ID. Enter the company's VAT identification number for %(country)s, with or "
            "without its country prefix %(prefix)s."
        )
        % {"vat_id": value, "country": country, "prefix": prefix},
        code="not_a_vat_id",
    )


def normalize_vat_id(country: str, raw: str) -> str:
    """Return the VAT ID in its compact form with the country prefix, or raise ValidationError saying why not."""
    country = country.upper()
    value = (raw or "").strip().upper().replace(" ", "").replace(".", "").replace("-", "")
    if not value:
        raise ValidationError(_("Enter the company's VAT ID."), code="required")
    if country in EU_COUNTRIES:
        prefix = vat_prefix(country)
        if value[:2] in OTHER_VAT_PREFIXES and value[:2] != prefix:
            raise ValidationError(
                _("%(vat_id)s is a VAT ID of another country (%(other)s); the company is registered in %(country)s.")
                % {"vat_id": value, "other": value[:2], "country": country},
                code="vat_id_country",
            )
        candidate = value if value.startswith(prefix) else prefix + value
        try:
            return str(eu_vat.validate(candidate))
        except stdnum_errors.ValidationError:
            if not looks_like_vat_id(value, prefix):
                raise _not_a_vat_id(value, country, prefix) from None
            raise ValidationError(
                _("%(vat_id)s is not a valid VAT ID for %(country)s (wrong format or check digit).")
                % {"vat_id": candidate, "country": country},
                code="vat_id_invalid",
            ) from None
    module = NON_EU_VAT_MODULES.get(country)
    if module is None:
        raise ValidationError(_("Kontor cannot check VAT IDs of %(country)s.") % {"country": country}, code="country")
    body = value[2:] if value.startswith(country) and country != "CH" else value
    try:
        compact = str(module.validate(body))
    except stdnum_errors.ValidationError:
        if not looks_like_vat_id(value, country):
            raise _not_a_vat_id(value, country, country) from None
        raise ValidationError(
            _("%(vat_id)s is not a valid VAT ID for %(country)s (wrong format or check digit).")
            % {"vat_id": value, "country": country},
            code="vat_id_invalid",
        ) from None
    return compact if compact.startswith(country) else country + compact
