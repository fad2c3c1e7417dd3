"""The EU's VIES service, which confirms that a VAT ID is registered. Called only from a Celery task; sign-up never
waits for it. Every failure (timeout, refused connection, a VIES member state being down) is an ``unavailable``
result with the reason, never an exception."""

from __future__ import annotations

from dataclasses import dataclass

import requests
import structlog
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tenants.choices import VatCheckResult
from tenants.models import VatCheck

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ViesAnswer:
    result: VatCheckResult
    registered_name: str = ""
    registered_address: str = ""
    request_identifier: str = ""
    error: str = ""


def vies_check(vat_id: str) -> ViesAnswer:
    """Ask VIES about ``vat_id`` (compact, with its EU prefix, e.g. DE136695976)."""
    url = settings.KONTOR_VIES_URL
    if not url:
        return ViesAnswer(VatCheckResult.UNAVAILABLE, error="VIES checks are switched off (KONTOR_VIES_URL is empty).")
    payload = {"countryCode": vat_id[:2], "vatNumber": vat_id[2:]}
    try:
        response = requests.post(url, json=payload, timeout=settings.KONTOR_VIES_TIMEOUT_SECONDS)
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("vies.unavailable", vat_id=vat_id, error=str(exc))
        return ViesAnswer(VatCheckResult.UNAVAILABLE, error=f"{type(exc).__name__}: {exc}")
    if body.get("userError") not in (None, "VALID", "INVALID"):
        # e.g. MS_UNAVAILABLE, TIMEOUT, SERVICE_UNAVAILABLE: the member state's register did not answer.
        return ViesAnswer(VatCheckResult.UNAVAILABLE, error=str(body["userError"]))
    return ViesAnswer(
        VatCheckResult.VALID if body.get("valid") else VatCheckResult.INVALID,
        registered_name=str(body.get("name") or "").strip("- "),
        registered_address=str(body.get("address") or "").strip("- "),
        request_identifier=str(body.get("requestIdentifier") or ""),
    )


NOT_CHECKED = _("the number could not be checked")

# What a stored failure means, for people: the start of the stored error (an exception's class name or a VIES
# ``userError`` code) → the words the console shows. The raw text stays on the VatCheck row for engineers.
_UNAVAILABLE_WORDS: tuple[tuple[str, Promise], ...] = (
    ("VIES checks are switched off", _("VIES checks are switched off on this installation")),
    ("ConnectionError", _("VIES service unavailable")),
    ("ConnectTimeout", _("VIES did not answer in time")),
    ("ReadTimeout", _("VIES did not answer in time")),
    ("Timeout", _("VIES did not answer in time")),
    ("HTTPError", _("VIES answered with a server error")),
    ("JSONDecodeError", _("VIES sent an answer that could not be read")),
    ("ValueError", _("VIES sent an answer that could not be read")),
    ("MS_UNAVAILABLE", _("the member state's VAT register is unavailable in VIES")),
    ("TIMEOUT", _("the member state's VAT register did not answer VIES in time")),
    ("MS_MAX_CONCURRENT_REQ", _("VIES is overloaded (too many requests to the member state)")),
    ("GLOBAL_MAX_CONCURRENT_REQ", _("VIES is overloaded (too many requests)")),
    ("SERVICE_UNAVAILABLE", _("VIES service unavailable")),
    ("INVALID_INPUT", _("VIES refused the number as malformed")),
)


def vies_status_text(check: VatCheck | None) -> str:
    """A VAT check's outcome in plain words (German or English), never the raw exception text."""
    if check is None:
        return str(_("Not checked yet"))
    if check.result == VatCheckResult.VALID:
        if check.registered_name:
            return str(_("VIES confirmed the VAT ID, registered to %(name)s") % {"name": check.registered_name})
        return str(_("VIES confirmed the VAT ID"))
    if check.result == VatCheckResult.INVALID:
        return str(_("VIES reports that this VAT ID is not registered"))
    cause = next(
        (words for prefix, words in _UNAVAILABLE_WORDS if check.error.startswith(prefix)), _("VIES service unavailable")
    )
    return f"{cause} — {NOT_CHECKED}"
