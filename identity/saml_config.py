"""Reading an organization's SAML 2.0 identity provider: its metadata (fetched or pasted), its signing
certificate and the validity of an assertion python3-saml accepted."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import requests
from cryptography import x509
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from identity.discovery import check_url

PEM_MARKERS = re.compile(r"-----(BEGIN|END) CERTIFICATE-----")


@dataclass(frozen=True)
class SamlCertificate:
    body: str  # base64 DER, one line: what python3-saml's settings take
    not_after: dt.datetime


@dataclass(frozen=True)
class SamlIdp:
    entity_id: str
    sso_url: str
    certificate: SamlCertificate


def certificate_read(text: str, *, field: str = "certificate") -> SamlCertificate:
    """An X.509 certificate given as PEM or bare base64; refused when unreadable or expired."""
    body = "".join(PEM_MARKERS.sub("", text).split())
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(body, validate=True))
    except (ValueError, binascii.Error) as exc:
        raise ValidationError(
            {
                field: ValidationError(
                    _("The certificate is not a readable X.509 certificate."), code="certificate_invalid"
                )
            }
        ) from exc
    not_after = certificate.not_valid_after_utc
    if not_after <= timezone.now():
        message = _("The identity provider's certificate expired on %(date)s.") % {
            "date": not_after.strftime("%Y-%m-%d")
        }
        raise ValidationError({field: ValidationError(message, code="certificate_expired")})
    return SamlCertificate(body=body, not_after=not_after)


def metadata_fetch(url: str) -> str:
    check_url(url, field="metadata_url")
    try:
        response = requests.get(url, timeout=settings.KONTOR_IDENTITY_HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
    except requests.RequestException as exc:
        message = _("The metadata at %(url)s could not be read.") % {"url": url}
        raise ValidationError({"metadata_url": ValidationError(message, code="metadata_unreachable")}) from exc
    return response.text


def metadata_read(xml: str, *, entity_id: str = "", field: str = "metadata_xml") -> SamlIdp:
    """The IdP's entity ID, HTTP-Redirect single sign-on URL and signing certificate from its metadata."""
    try:
        parsed: dict[str, Any] = OneLogin_Saml2_IdPMetadataParser.parse(xml, entity_id=entity_id or None)
    except Exception as exc:  # python3-saml raises lxml's errors and its own alike
        message = _("The metadata is not valid SAML 2.0 metadata XML.")
        raise ValidationError({field: ValidationError(message, code="metadata_invalid")}) from exc
    idp = parsed.get("idp") or {}
    sso_url = str((idp.get("singleSignOnService") or {}).get("url") or "")
    certificate = str(idp.get("x509cert") or "")
    if not idp.get("entityId") or not sso_url or not certificate:
        message = _(
            "The metadata lacks an IdP entity ID, an HTTP-Redirect single sign-on service or a signing certificate."
        )
        raise ValidationError({field: ValidationError(message, code="metadata_incomplete")})
    check_url(sso_url, field=field)
    return SamlIdp(
        entity_id=str(idp["entityId"]), sso_url=sso_url, certificate=certificate_read(certificate, field=field)
    )


def assertion_validity(auth: Any) -> tuple[str, dt.datetime]:
    """The accepted assertion's ID and the end of its validity (its subject confirmation's ``NotOnOrAfter``)."""
    assertion_id = str(auth.get_last_assertion_id() or "")
    if not assertion_id:
        raise ValidationError(_("The identity provider's answer carries no assertion ID."), code="saml_no_id")
    not_on_or_after = auth.get_last_assertion_not_on_or_after()
    if not_on_or_after:
        return assertion_id, dt.datetime.fromtimestamp(int(not_on_or_after), tz=dt.UTC)
    return assertion_id, timezone.now() + dt.timedelta(seconds=settings.KONTOR_SAML_ASSERTION_MAX_AGE_SECONDS)
