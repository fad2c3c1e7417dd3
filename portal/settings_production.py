"""Production overrides: HTTPS only, a real secret, PostgreSQL and Redis required, pooled database connections.

``manage.py check --deploy --settings=portal.settings_production`` fails with an error naming the setting for every
value meant for a laptop (``portal/deploy_checks.py``); the image's start-up and the migrate Job run it first.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from portal.settings import *  # noqa: F403
from portal.settings import DATABASES, KONTOR_XRECHNUNG_XSLT_DIR, STATIC_ROOT, STORAGES, env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
# Rotation: the new key in DJANGO_SECRET_KEY, the old one here until the sessions signed with it have expired.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
if "insecure" in SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a random string of at least 50 characters.")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production runs on PostgreSQL: set DATABASE_URL=postgres://...")
# Every XRechnung is validated against KoSIT's schematron before it is stored: without it no invoice is issued.
if not (Path(KONTOR_XRECHNUNG_XSLT_DIR) / "schematron" / "cii" / "XRechnung-CII-validation.xsl").is_file():
    raise ImproperlyConfigured(
        "KONTOR_XRECHNUNG_XSLT_DIR must point at KoSIT's XRechnung schematron release "
        "(schematron/cii/XRechnung-CII-validation.xsl below it)."
    )

# --- Database connections (issue 13) -------------------------------------------------------------------------------
# Either psycopg's pool inside each process (the default: gunicorn's threads share it), or PgBouncer in
# transaction mode in front of PostgreSQL (KONTOR_DB_PGBOUNCER=true): then no pool, no persistent connections and
# no server-side cursors, which transaction pooling cannot keep. docs/operations.md sizes both.
if env.bool("KONTOR_DB_PGBOUNCER", default=False):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
else:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections; Django must not
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("KONTOR_DB_POOL_MIN_SIZE", default=2),
        "max_size": env.int("KONTOR_DB_POOL_MAX_SIZE", default=10),
        "timeout": env.float("KONTOR_DB_POOL_TIMEOUT_SECONDS", default=10.0),
    }
# --- end database connections --------------------------------------------------------------------------------------

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Hashed names (cacheable forever) and, by default, gzip/Brotli copies made at build time. The compression takes
# minutes on a small machine; KONTOR_STATIC_COMPRESSION=false keeps the hashed manifest without it (the smoke run).
STATIC_ROOT = env.path("KONTOR_STATIC_ROOT", default=str(STATIC_ROOT))
STORAGES = {
    **STORAGES,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("KONTOR_STATIC_COMPRESSION", default=True)
            else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        )
    },
}
# No default: without EMAIL_URL the console backend stays and `check --deploy` refuses it (kontor.E111).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Organizations' identity providers are reached over HTTPS only, never plain HTTP (not even on loopback).
KONTOR_IDENTITY_ALLOW_LOOPBACK_HTTP = False
