"""`check --deploy` refuses everything meant for a laptop, one error per setting, naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks

from portal.deploy_checks import TAG

ROOT = Path(__file__).resolve().parents[2]
REAL_SELLER = {
    "legal_name": "Rechenwerk Süd GmbH",
    "street": "Lindwurmstraße 75",
    "postal_code": "80337",
    "city": "München",
    "country": "DE",
    "vat_id": "DE811569869",
    "email": "rechnung@rechenwerk-sued.de",
    "iban": "DE18700202700015704311",
    "bic": "HYVEDEMMXXX",
    "registration_id": "HRB 287612, Amtsgericht München",
    "tax_number": "143/152/60934",
    "contact_name": "Buchhaltung Rechenwerk Süd",
    "contact_phone": "+49 89 2180 4711",
    "contact_email": "buchhaltung@rechenwerk-sued.de",
}
FERNET_KEY = Fernet.generate_key().decode()


@pytest.fixture
def production(settings):
    """Settings a production deployment would have: every deploy check passes."""
    settings.DEBUG = False
    settings.KONTOR_SECRET_KEYS = [FERNET_KEY]
    settings.KONTOR_SELLER = dict(REAL_SELLER)
    settings.KONTOR_CLOUD_DRIVER = "openstack"
    settings.KONTOR_ALLOW_SIMULATOR = False
    settings.SITE_URL = "https://portal.rechenwerk-sued.de"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "invoices": {"BACKEND": "billing.archive.InvoiceArchiveStorage", "OPTIONS": {"bucket_name": "invoices"}},
    }
    return settings


def refusals() -> list[tuple[str | None, str]]:
    return [(error.id, error.msg) for error in run_checks(include_deployment_checks=True, tags=[TAG])]


def test_a_production_configuration_passes(production):
    assert refusals() == []


def test_sqlite_is_refused(production, monkeypatch):
    monkeypatch.setitem(production.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3")
    assert refusals() == [("kontor.E101", "DATABASE_URL points at SQLite, the embedded default.")]


def test_the_filesystem_broker_is_refused(production):
    production.CELERY_BROKER_URL = "filesystem://"
    assert refusals() == [
        ("kontor.E102", "CELERY_BROKER_URL uses a local transport (filesystem): tasks never leave the machine.")
    ]


def test_a_local_file_cache_is_refused(production):
    production.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache"}}
    assert refusals() == [
        ("kontor.E103", "CACHES uses a process- or disk-local backend (FileBasedCache): REDIS_URL is not set.")
    ]


def test_missing_fernet_keys_are_refused(production):
    production.KONTOR_SECRET_KEYS = []
    assert refusals() == [
        (
            "kontor.E104",
            "KONTOR_SECRET_KEYS is empty: secrets at rest would be encrypted with a key derived from SECRET_KEY.",
        )
    ]


def test_a_placeholder_or_malformed_fernet_key_is_refused(production):
    production.KONTOR_SECRET_KEYS = [FERNET_KEY, "A" * 43 + "=", "change-me"]
    assert refusals() == [
        ("kontor.E105", "KONTOR_SECRET_KEYS: key 2 is a placeholder (too few distinct bytes)."),
        ("kontor.E105", "KONTOR_SECRET_KEYS: key 3 is not a Fernet key."),
    ]


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("legal_name", "Kontor GPU Cloud GmbH", "is the development placeholder 'Kontor GPU Cloud GmbH'"),
        ("street", "Musterstraße 1", "is the development placeholder 'Musterstraße 1'"),
        ("street", "Musterweg 7", "looks like a placeholder ('muster' in 'Musterweg 7')"),
        ("vat_id", "DE123456788", "is the development placeholder 'DE123456788'"),
        ("email", "billing@kontor.example", "is the development placeholder 'billing@kontor.example'"),
        ("iban", "DE89370400440532013000", "is the development placeholder 'DE89370400440532013000'"),
        ("iban", "DE02 1203 0000 0000 2020 51", "is a published test IBAN (DE02120300000000202051)"),
        ("iban", "DE18700202700015704312", "is not a valid IBAN ('DE18700202700015704312')"),
        ("bic", "COBADEFFXXX", "is the development placeholder 'COBADEFFXXX'"),
        (
            "registration_id",
            "HRB 000000, Amtsgericht München",
            "is the development placeholder 'HRB 000000, Amtsgericht München'",
        ),
        ("tax_number", "143/000/00000", "is the development placeholder '143/000/00000'"),
        ("city", "", "is empty"),
    ],
)
def test_every_placeholder_seller_field_is_refused(production, field, value, problem):
    production.KONTOR_SELLER = {**REAL_SELLER, field: value}
    assert refusals() == [
        ("kontor.E106", f"KONTOR_SELLER_{field.upper()} {problem}: invoices would go out with it."),
    ]


def test_the_simulator_is_refused_unless_allowed_for_a_staging_cloud(production):
    production.KONTOR_CLOUD_DRIVER = "simulator"
    assert refusals() == [("kontor.E107", "KONTOR_CLOUD_DRIVER is 'simulator': bookings would start no server.")]

    production.KONTOR_ALLOW_SIMULATOR = True
    assert refusals() == []


def test_debug_is_refused(production):
    production.DEBUG = True
    assert refusals() == [
        ("kontor.E108", "DEBUG is on (DJANGO_DEBUG): tracebacks and settings would be shown to anyone.")
    ]


def test_the_demo_second_factor_code_is_refused(production):
    production.MFA_TOTP_INSECURE_BYPASS_CODE = "000000"
    assert refusals() == [
        (
            "kontor.E109",
            "MFA_TOTP_INSECURE_BYPASS_CODE is set (KONTOR_DEMO_MFA_CODE): anyone passes the second factor with it.",
        )
    ]


def test_an_http_site_url_is_refused(production):
    production.SITE_URL = "http://portal.rechenwerk-sued.de"
    assert refusals() == [
        ("kontor.E110", "KONTOR_SITE_URL is 'http://portal.rechenwerk-sued.de': links in e-mails must use https://.")
    ]


def test_a_missing_email_backend_is_refused(production):
    production.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert refusals() == [("kontor.E111", "EMAIL_URL is not set: console e-mail would reach nobody.")]


def test_invoices_on_local_disk_are_refused(production):
    production.STORAGES = {
        **production.STORAGES,
        "invoices": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    assert refusals() == [
        ("kontor.E112", "KONTOR_INVOICE_BUCKET is not set: invoices would be archived on the pod's local disk.")
    ]


def manage_check_deploy(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    keep = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**keep, "DJANGO_SETTINGS_MODULE": "portal.settings_production", **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "k3-" + "x9Qz!" * 12,
    "DJANGO_ALLOWED_HOSTS": "portal.rechenwerk-sued.de",
    "DATABASE_URL": "postgres://kontor@127.0.0.1:5432/kontor",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
    "KONTOR_SECRET_KEYS": FERNET_KEY,
    "KONTOR_SITE_URL": "https://portal.rechenwerk-sued.de",
    "KONTOR_CLOUD_DRIVER": "openstack",
    "EMAIL_URL": "smtp+tls://kontor:secret@mail.rechenwerk-sued.de:587",
    "KONTOR_INVOICE_BUCKET": "kontor-invoices",
    **{f"KONTOR_SELLER_{field.upper()}": value for field, value in REAL_SELLER.items()},
}


def test_manage_py_check_deploy_passes_with_production_values_and_fails_closed_without():
    passed = manage_check_deploy(PRODUCTION_ENV)
    assert (passed.returncode, passed.stderr) == (0, "")
    assert passed.stdout == "System check identified no issues (0 silenced).\n"

    laptop = {
        name: value
        for name, value in PRODUCTION_ENV.items()
        if name not in {"KONTOR_SECRET_KEYS", "KONTOR_SELLER_IBAN", "KONTOR_CLOUD_DRIVER", "EMAIL_URL"}
    }
    failed = manage_check_deploy(laptop)
    assert failed.returncode == 1
    assert [line for line in failed.stderr.splitlines() if "kontor.E" in line] == [
        "?: (kontor.E104) KONTOR_SECRET_KEYS is empty: secrets at rest would be encrypted with a key derived from "
        "SECRET_KEY.",
        "?: (kontor.E106) KONTOR_SELLER_IBAN is the development placeholder 'DE89370400440532013000': invoices would "
        "go out with it.",
        "?: (kontor.E107) KONTOR_CLOUD_DRIVER is 'simulator': bookings would start no server.",
        "?: (kontor.E111) EMAIL_URL is not set: console e-mail would reach nobody.",
    ]
