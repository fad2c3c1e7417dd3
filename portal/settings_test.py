"""Test overrides: the real PostgreSQL and Redis on localhost, fast hashing, no outgoing mail."""

from __future__ import annotations

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kontor")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")

from portal.settings import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ACCOUNT_RATE_LIMITS = False  # type: ignore[assignment]  # allauth: False turns rate limits off
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "invoices": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
# Serve static files from the finders: tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Tests never reach out to VIES: each VIES test points this at a server on loopback.
KONTOR_VIES_URL = "http://127.0.0.1:9/vies-disabled-in-tests"
KONTOR_VIES_TIMEOUT_SECONDS = 1.0
KONTOR_SIMULATOR = {
    "fail_project_creation": False,
    # Worker processes started by the reliability tests read a boot time from the environment.
    "boot_seconds": env.float("KONTOR_SIMULATOR_BOOT_SECONDS", default=0.0),  # noqa: F405
    "boot_failure_rate": 0.0,
    "api_failure_rate": 0.0,
}
# Identity providers in the tests run on loopback over plain HTTP; DNS checks ask a server the test starts.
KONTOR_IDENTITY_ALLOW_LOOPBACK_HTTP = True
KONTOR_DNS_RESOLVERS = ["127.0.0.1:9"]
KONTOR_DNS_TIMEOUT_SECONDS = 1.0
# The cache outlives a test: sign-up tests would throttle each other. The throttle tests set low limits themselves.
KONTOR_SIGNUP_THROTTLE = {"per_ip": "100000/hour", "per_domain": "100000/hour"}
KONTOR_API_THROTTLE = dict.fromkeys(("api_key", "user", "anon", "auth_failures"), "100000/min")
# Tests roll back their transactions, so the catalog's generation never moves on: no server-side catalog cache
# (ETags stay). The caching tests turn it on themselves.
KONTOR_CATALOG_CACHE_SECONDS = 0
