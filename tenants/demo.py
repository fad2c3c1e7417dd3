"""Demo and first-start data of the tenancy core: the legal documents in force and the operator's second factor."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from tenants.choices import LegalDocumentKind
from tenants.models import LegalDocument, User

LEGAL_VERSION = "2026-01"
LEGAL_EFFECTIVE_AT = datetime(2026, 1, 1, tzinfo=ZoneInfo("Europe/Berlin"))
LEGAL_TEXTS = {
    LegalDocumentKind.TERMS: (
        "Terms of Service",
        "Kontor provides GPU compute and NVIDIA software in data centres in Germany to businesses in the EU, the EEA "
        "and Switzerland. Orders are binding once confirmed; reserved capacity is billed for its whole window, "
        "on-demand capacity per second of use. German law applies; the place of jurisdiction is Munich.",
    ),
    LegalDocumentKind.DPA: (
        "Data Processing Agreement (GDPR Art. 28)",
        "Kontor processes personal data only on the customer's documented instructions, in Germany, with the "
        "technical and organisational measures listed in Annex 2. Sub-processors are listed in Annex 3 and changed "
        "only after 30 days' notice. Kontor assists with data subject requests and deletes all customer data at the "
        "end of the contract unless law requires retention.",
    ),
    LegalDocumentKind.PRIVACY: (
        "Privacy Notice",
        "We process the names and e-mail addresses of your users to run your account (GDPR Art. 6(1)(b)), and "
        "billing records for ten years as German tax law requires (§147 AO). Data stays in Germany. You can export "
        "your organization's data and delete your account at any time in the portal.",
    ),
}


def legal_documents_ensure() -> int:
    """Create the initial version of each legal document if missing. Returns how many were created."""
    created = 0
    for kind, (title, body) in LEGAL_TEXTS.items():
        _document, was_created = LegalDocument.objects.get_or_create(
            kind=kind,
            version=LEGAL_VERSION,
            defaults={"title": title, "body": body, "effective_at": LEGAL_EFFECTIVE_AT},
        )
        created += was_created
    return created


def operator_totp_ensure(operator: User) -> None:
    """Operators must use a second factor: give the demo operator a TOTP authenticator (make run accepts the demo
    code configured by KONTOR_DEMO_MFA_CODE)."""
    if not Authenticator.objects.filter(user=operator, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(operator, generate_totp_secret())
