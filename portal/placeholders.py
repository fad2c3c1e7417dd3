"""Values meant for a laptop: the development defaults of the settings, which production refuses.

The settings use them as defaults for the embedded platform; ``portal.deploy_checks`` refuses every one of them
under ``manage.py check --deploy``. Keep both sides reading this one table.
"""

from __future__ import annotations

# The seller on development invoices: a well-formed test IBAN, the VAT ID that the German VAT ID check digit
# example uses, a "Musterstraße" and an empty commercial register number.
DEVELOPMENT_SELLER: dict[str, str] = {
    "legal_name": "Kontor GPU Cloud GmbH",
    "street": "Musterstraße 1",
    "postal_code": "80331",
    "city": "München",
    "country": "DE",
    "vat_id": "DE123456788",
    "email": "billing@kontor.example",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "registration_id": "HRB 000000, Amtsgericht München",
    "tax_number": "143/000/00000",
    # BG-6, the seller contact every XRechnung names (BR-DE-2, -5, -6, -7): finalizing refuses without them.
    "contact_name": "Kontor Billing",
    "contact_phone": "+49 89 0000000",
    "contact_email": "billing@kontor.example",
}

# Seller fields whose development default is also a plausible real value (a Munich seller): only an empty value
# is refused for them.
SELLER_FIELDS_REAL_AS_DEFAULT = frozenset({"postal_code", "city", "country"})

# Test IBANs published by banks and in documentation (including the one the tests use): never on a real invoice.
TEST_IBANS = frozenset({"DE89370400440532013000", "DE02120300000000202051", "DE75512108001245126199"})

# Fragments that mark a made-up value wherever they appear in a seller field.
PLACEHOLDER_FRAGMENTS = ("muster", ".example", "000000", "changeme", "change-me", "todo")

DEVELOPMENT_SECRET_KEY = "insecure-development-key-change-me-in-production-0123456789"
DEVELOPMENT_SITE_URL = "http://127.0.0.1:8000"
