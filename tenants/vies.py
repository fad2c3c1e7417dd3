"""The EU's VIES service, which confirms that a VAT ID is registered. Called only from a Celery task; sign-up never
waits for it. Every failure (timeout, refused connection, a VIES member state being down) is an ``unavailable``
result with the reason, never an exception."""

from __future__ import annotations

from dataclasses import dataclass

import requests
import structlog
from django.conf import settings

from tenants.choices import VatCheckResult

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
