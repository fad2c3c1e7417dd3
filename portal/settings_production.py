"""Production overrides: HTTPS only, a real secret, PostgreSQL and Redis required.

``manage.py check --deploy --settings=portal.settings_production`` passes with no warnings.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from portal.settings import *  # noqa: F403
from portal.settings import DATABASES, KONTOR_XRECHNUNG_XSLT_DIR, env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
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

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="smtp://localhost:25")
vars().update(EMAIL_CONFIG)
