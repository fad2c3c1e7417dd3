"""Production refuses what is meant for a laptop: ``manage.py check --deploy`` fails, naming the setting.

Every check here is registered with ``deploy=True`` and returns errors (not warnings), so ``check --deploy`` exits
non-zero; the image's start-up and the migrate Job run it before anything serves (docs/operations.md). Each refusal
names the environment variable to set. The placeholder values themselves live in ``portal.placeholders``.
"""

from __future__ import annotations

import base64
from typing import Any, cast

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, register
from stdnum import iban as iban_number

from portal.placeholders import (
    DEVELOPMENT_SELLER,
    PLACEHOLDER_FRAGMENTS,
    SELLER_FIELDS_REAL_AS_DEFAULT,
    TEST_IBANS,
)

TAG = "kontor_deploy"

LOCAL_CACHE_BACKENDS = {
    "django.core.cache.backends.filebased.FileBasedCache",
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}
LOCAL_BROKER_SCHEMES = ("filesystem://", "memory://", "sqla+", "sqlite")
NO_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}
LOCAL_STORAGE_BACKENDS = {
    "django.core.files.storage.FileSystemStorage",
    "django.core.files.storage.InMemoryStorage",
    "django.core.files.storage.filesystem.FileSystemStorage",
    "django.core.files.storage.memory.InMemoryStorage",
}


@register(TAG, deploy=True)
def check_database(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        return [
            Error(
                "DATABASE_URL points at SQLite, the embedded default.",
                hint="Set DATABASE_URL=postgres://…",
                id="kontor.E101",
            )
        ]
    return []


@register(TAG, deploy=True)
def check_broker(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    url = str(settings.CELERY_BROKER_URL)
    if url.startswith(LOCAL_BROKER_SCHEMES):
        return [
            Error(
                f"CELERY_BROKER_URL uses a local transport ({url.split(':', 1)[0]}): tasks never leave the machine.",
                hint="Set CELERY_BROKER_URL=redis://… (Valkey/Redis with Sentinel).",
                id="kontor.E102",
            )
        ]
    return []


@register(TAG, deploy=True)
def check_cache(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in LOCAL_CACHE_BACKENDS:
        return [
            Error(
                f"CACHES uses a process- or disk-local backend ({backend.rsplit('.', 1)[-1]}): REDIS_URL is not set.",
                hint="Set REDIS_URL=redis://… so that every pod shares one cache (heartbeat, rate limits).",
                id="kontor.E103",
            )
        ]
    return []


@register(TAG, deploy=True)
def check_secret_keys(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    keys = [key.strip() for key in settings.KONTOR_SECRET_KEYS if key.strip()]
    if not keys:
        return [
            Error(
                "KONTOR_SECRET_KEYS is empty: secrets at rest would be encrypted with a key derived from SECRET_KEY.",
                hint="Set KONTOR_SECRET_KEYS to keys made with cryptography.fernet.Fernet.generate_key().",
                id="kontor.E104",
            )
        ]
    errors = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
            raw = base64.urlsafe_b64decode(key)
        except ValueError:
            errors.append(Error(f"KONTOR_SECRET_KEYS: key {position} is not a Fernet key.", id="kontor.E105"))
            continue
        if len(set(raw)) < 8:  # all zeros, "AAAA…", a repeated byte: typed by hand, not generated
            errors.append(
                Error(
                    f"KONTOR_SECRET_KEYS: key {position} is a placeholder (too few distinct bytes).",
                    hint="Generate it with cryptography.fernet.Fernet.generate_key().",
                    id="kontor.E105",
                )
            )
    return errors


def _seller_placeholder(field: str, value: str) -> str | None:
    """Why ``value`` is not a real seller ``field``, or None."""
    if not value.strip():
        return "is empty"
    if field in SELLER_FIELDS_REAL_AS_DEFAULT:
        return None
    if value == DEVELOPMENT_SELLER[field]:
        return f"is the development placeholder {value!r}"
    lowered = value.lower()
    for fragment in PLACEHOLDER_FRAGMENTS:
        if fragment in lowered:
            return f"looks like a placeholder ({fragment!r} in {value!r})"
    if field == "iban":
        compact = iban_number.compact(value)
        if compact in TEST_IBANS:
            return f"is a published test IBAN ({compact})"
        if not iban_number.is_valid(compact):
            return f"is not a valid IBAN ({value!r})"
    return None


@register(TAG, deploy=True)
def check_seller(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    for field in DEVELOPMENT_SELLER:
        problem = _seller_placeholder(field, settings.KONTOR_SELLER.get(field, ""))
        if problem:
            errors.append(
                Error(
                    f"KONTOR_SELLER_{field.upper()} {problem}: invoices would go out with it.",
                    hint="Set the seller's real data; it is printed on every invoice (§ 14 (4) UStG).",
                    id="kontor.E106",
                )
            )
    return errors


@register(TAG, deploy=True)
def check_cloud_driver(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if settings.KONTOR_CLOUD_DRIVER == "simulator" and not settings.KONTOR_ALLOW_SIMULATOR:
        return [
            Error(
                "KONTOR_CLOUD_DRIVER is 'simulator': bookings would start no server.",
                hint="Set KONTOR_CLOUD_DRIVER=openstack, or KONTOR_ALLOW_SIMULATOR=true on a staging cloud only.",
                id="kontor.E107",
            )
        ]
    return []


@register(TAG, deploy=True)
def check_debug(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if settings.DEBUG:
        return [
            Error("DEBUG is on (DJANGO_DEBUG): tracebacks and settings would be shown to anyone.", id="kontor.E108")
        ]
    return []


@register(TAG, deploy=True)
def check_demo_second_factor(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if getattr(settings, "MFA_TOTP_INSECURE_BYPASS_CODE", None):
        return [
            Error(
                "MFA_TOTP_INSECURE_BYPASS_CODE is set (KONTOR_DEMO_MFA_CODE): anyone passes the second factor with it.",
                hint="Unset KONTOR_DEMO_MFA_CODE.",
                id="kontor.E109",
            )
        ]
    return []


@register(TAG, deploy=True)
def check_site_url(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if not str(settings.SITE_URL).startswith("https://"):
        return [
            Error(
                f"KONTOR_SITE_URL is {settings.SITE_URL!r}: links in e-mails must use https://.",
                id="kontor.E110",
            )
        ]
    return []


@register(TAG, deploy=True)
def check_email_backend(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if settings.EMAIL_BACKEND in NO_EMAIL_BACKENDS:
        return [
            Error(
                f"EMAIL_URL is not set: {settings.EMAIL_BACKEND.rsplit('.', 2)[-2]} e-mail would reach nobody.",
                hint="Set EMAIL_URL=smtp+tls://user:password@host:587.",
                id="kontor.E111",
            )
        ]
    return []


@register(TAG, deploy=True)
def check_invoice_storage(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    storages = cast(dict[str, dict[str, Any]], settings.STORAGES)
    backend = storages.get("invoices", storages["default"])["BACKEND"]
    if backend in LOCAL_STORAGE_BACKENDS:
        return [
            Error(
                "KONTOR_INVOICE_BUCKET is not set: invoices would be archived on the pod's local disk.",
                hint="Set KONTOR_INVOICE_BUCKET and KONTOR_S3_* for the cloud's object storage.",
                id="kontor.E112",
            )
        ]
    return []
