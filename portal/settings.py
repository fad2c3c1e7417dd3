"""Kontor settings: one module, configured from the environment.

With no ``DATABASE_URL`` / ``CELERY_BROKER_URL`` the platform runs on an embedded default that needs no server:
SQLite and kombu's filesystem transport (a real worker and beat still run in their own processes). With them set,
PostgreSQL and Redis are used. ``portal.settings_test`` and ``portal.settings_production`` are small overrides.
"""

from __future__ import annotations

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from portal.placeholders import DEVELOPMENT_SECRET_KEY, DEVELOPMENT_SELLER, DEVELOPMENT_SITE_URL
from portal.sentinel import is_sentinel, sentinel_parse

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
# The embedded default's files (SQLite database, filesystem broker, local media): var/ unless KONTOR_VAR_DIR says.
VAR_DIR = Path(env.str("KONTOR_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "portal.web.errors.csrf_failure"
SITE_URL = env.str("KONTOR_SITE_URL", default=DEVELOPMENT_SITE_URL)

INSTALLED_APPS = [
    "portal.apps.PortalConfig",
    "tenants.apps.TenantsConfig",
    "identity.apps.IdentityConfig",
    "catalog.apps.CatalogConfig",
    "billing.apps.BillingConfig",
    "reservations.apps.ReservationsConfig",
    "provisioning.apps.ProvisioningConfig",
    "metering.apps.MeteringConfig",
    "webhooks.apps.WebhooksConfig",
    "portal.apps.KontorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
]

MIDDLEWARE = [
    "portal.process_metrics.MetricsMiddleware",  # first: counts and times every answer, the others' too
    "portal.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Plain anonymous GETs of public catalog answers this process gave before: one Redis round trip, nothing below.
    "catalog.api.caching.PublicCopyMiddleware",
    "portal.middleware.ApiBodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.middleware.ApiExceptionMiddleware",
    "portal.middleware.RateLimitHeadersMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "tenants.web.context_processors.organizations",
                "portal.web.navigation.main_navigation",
            ],
        },
    },
]

# --- Data stores -------------------------------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'kontor.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server, the worker and beat share the embedded database.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# With Valkey/Redis behind Sentinel (deploy/kubernetes): REDIS_URL and CELERY_BROKER_URL are sentinel:// URLs
# (portal/sentinel.py) and this is the name of the primary the sentinels monitor.
KONTOR_SENTINEL_MASTER = env.str("KONTOR_SENTINEL_MASTER", default="kontor")
if is_sentinel(REDIS_URL):
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.SentinelRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "master_name": KONTOR_SENTINEL_MASTER,
                "socket_connect_timeout": env.float("KONTOR_CACHE_CONNECT_TIMEOUT_SECONDS", default=1.0),
                "socket_timeout": env.float("KONTOR_CACHE_TIMEOUT_SECONDS", default=2.0),
            },
        }
    }
elif REDIS_URL:
    # Fails open (core/cache.py): with Redis down, requests are served uncached and unthrottled, never refused.
    CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": env.float("KONTOR_CACHE_CONNECT_TIMEOUT_SECONDS", default=1.0),
                "socket_timeout": env.float("KONTOR_CACHE_TIMEOUT_SECONDS", default=2.0),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth ----------------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "tenants.User"
AUTHENTICATION_BACKENDS = [
    # Both refuse passwords where an organization's sign-in policy does (identity.policy).
    "identity.backends.PolicyModelBackend",
    "identity.backends.PolicyAuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:home"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Confirming in the browser that signed up signs in and lands on the dashboard; elsewhere, via the login page.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "tenants.adapters.AccountAdapter"
# Client addresses (core.http.client_ip): how many reverse proxies in front of gunicorn append to X-Forwarded-For.
# 0: the header is ignored and the TCP peer is the client. allauth reads the same count.
KONTOR_TRUSTED_PROXY_COUNT = env.int("KONTOR_TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = KONTOR_TRUSTED_PROXY_COUNT
# Failed logins (allauth's "login_failed"): per client address, and per (address, account) -- the adapter puts the
# address into allauth's per-key count, so a stranger's wrong passwords never lock the owner out from elsewhere.
KONTOR_LOGIN_THROTTLE = {
    "per_ip": env.str("KONTOR_LOGIN_FAILED_RATE_PER_IP", default="30/m"),
    "per_ip_account": env.str("KONTOR_LOGIN_FAILED_RATE_PER_IP_ACCOUNT", default="5/5m"),
}
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"{KONTOR_LOGIN_THROTTLE['per_ip']}/ip,{KONTOR_LOGIN_THROTTLE['per_ip_account']}/key",
}
ACCOUNT_FORMS = {"login": "identity.web.forms.PolicyLoginForm"}

# --- Enterprise identity (identity/) -------------------------------------------------------------------------------
# Organizations' OpenID Connect providers are built from identity.IdentityProvider rows by the adapter; the provider
# class always checks the ID token's signature, sends a nonce and uses PKCE.
SOCIALACCOUNT_ADAPTER = "identity.adapters.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {"provider_class": "identity.oidc.provider.KontorOidcProvider"},
    "saml": {"provider_class": "identity.saml.provider.KontorSamlProvider"},
}
# Consumed SAML assertions are remembered until their NotOnOrAfter, or this long when they name none.
# Operators may sign in through the cloud operator's own OpenID Connect provider (identity.operators); the console
# still needs the second factor. Empty issuer: password and second factor only.
KONTOR_OPERATOR_OIDC_ISSUER = env.str("KONTOR_OPERATOR_OIDC_ISSUER", default="")
KONTOR_OPERATOR_OIDC_CLIENT_ID = env.str("KONTOR_OPERATOR_OIDC_CLIENT_ID", default="")
KONTOR_OPERATOR_OIDC_CLIENT_SECRET = env.str("KONTOR_OPERATOR_OIDC_CLIENT_SECRET", default="")
KONTOR_SAML_ASSERTION_MAX_AGE_SECONDS = env.int("KONTOR_SAML_ASSERTION_MAX_AGE_SECONDS", default=86400)
SOCIALACCOUNT_AUTO_SIGNUP = True
# Only organizations' providers may sign in to an existing account by e-mail (their app setting, for their verified
# domains); any other provider never may.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = env.int("KONTOR_IDENTITY_HTTP_TIMEOUT_SECONDS", default=5)
KONTOR_IDENTITY_HTTP_TIMEOUT_SECONDS = SOCIALACCOUNT_REQUESTS_TIMEOUT
# Plain-HTTP issuers are accepted on loopback only, and only where this is on (development and tests).
KONTOR_IDENTITY_ALLOW_LOOPBACK_HTTP = env.bool("KONTOR_IDENTITY_ALLOW_LOOPBACK_HTTP", default=DEBUG)
# DNS servers for domain verification ("host" or "host:port"); empty: the system's resolvers.
KONTOR_DNS_RESOLVERS = env.list("KONTOR_DNS_RESOLVERS", default=[])
KONTOR_DNS_TIMEOUT_SECONDS = env.float("KONTOR_DNS_TIMEOUT_SECONDS", default=3.0)

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Kontor"
if DEBUG:
    # `make run` only: lets the demo operator pass the second factor with a fixed code (allauth refuses it unless
    # DEBUG is on). Never set in production.
    MFA_TOTP_INSECURE_BYPASS_CODE = env.str("KONTOR_DEMO_MFA_CODE", default="") or None

# --- Internationalisation ------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True
# One date, time and number format per language (portal/formats/<lang>/formats.py); money: core.money.format_money.
FORMAT_MODULE_PATH = ["portal.formats"]

# --- Static files --------------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "portal" / "static"]
# --- Invoice archive (issue 13) ----------------------------------------------------------------------------------
# Issued invoice PDFs and XMLs (billing/archive.py). With KONTOR_INVOICE_BUCKET: S3-compatible object storage (the
# cloud's, or Ceph RGW), written once, checksummed, under Object Lock for the retention period. Without: var/media/,
# for the embedded default only (`check --deploy` refuses it).
MEDIA_ROOT = VAR_DIR / "media"
KONTOR_INVOICE_BUCKET = env.str("KONTOR_INVOICE_BUCKET", default="")
# § 147 AO / § 14b UStG: 8 years for invoices since 2025, 10 for books; kept from the end of the year of issue.
KONTOR_INVOICE_RETENTION_YEARS = env.int("KONTOR_INVOICE_RETENTION_YEARS", default=10)
if KONTOR_INVOICE_BUCKET:
    _invoice_storage: dict[str, object] = {
        "BACKEND": "billing.archive.InvoiceArchiveStorage",
        "OPTIONS": {
            "bucket_name": KONTOR_INVOICE_BUCKET,
            "endpoint_url": env.str("KONTOR_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("KONTOR_S3_REGION_NAME", default="") or None,
            "access_key": env.str("KONTOR_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("KONTOR_S3_SECRET_ACCESS_KEY", default="") or None,
            # Ceph RGW and most on-premises stores want path-style addressing.
            "addressing_style": env.str("KONTOR_S3_ADDRESSING_STYLE", default="path"),
            "location": env.str("KONTOR_INVOICE_PREFIX", default=""),
            "retention_years": KONTOR_INVOICE_RETENTION_YEARS,
        },
    }
else:
    _invoice_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(MEDIA_ROOT)}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "invoices": _invoice_storage,
}
# --- end invoice archive -------------------------------------------------------------------------------------------

# --- Security ------------------------------------------------------------------------------------------------------
# Nothing leaves Germany: every page may load only from our own origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- E-mail --------------------------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kontor <noreply@kontor.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API -----------------------------------------------------------------------------------------------------------
API_MAX_BODY_BYTES = env.int("KONTOR_API_MAX_BODY_BYTES", default=1024 * 1024)
API_MAX_JSON_DEPTH = env.int("KONTOR_API_MAX_JSON_DEPTH", default=32)
# Sign-ups per client address and per owner e-mail domain (DRF rate syntax: "5/hour"); counted in the cache.
KONTOR_SIGNUP_THROTTLE = {
    "per_ip": env.str("KONTOR_SIGNUP_RATE_PER_IP", default="5/hour"),
    "per_domain": env.str("KONTOR_SIGNUP_RATE_PER_DOMAIN", default="20/hour"),
}
# Every API request is counted per API key, per signed-in user or per anonymous client address (DRF rate syntax,
# fixed windows in the cache: portal/api/throttles.py); failed API-key authentications per address, past which the
# address is refused every key until the window ends. An empty variable turns that limit off.
KONTOR_API_THROTTLE = {
    "api_key": env.str("KONTOR_API_RATE_PER_KEY", default="1200/min") or None,
    "user": env.str("KONTOR_API_RATE_PER_USER", default="600/min") or None,
    "anon": env.str("KONTOR_API_RATE_ANON", default="300/min") or None,
    "auth_failures": env.str("KONTOR_API_AUTH_FAILURES_PER_IP", default="20/10min") or None,
}
# Public catalog and price answers: Cache-Control max-age and the server-side copy (catalog/api/caching.py); 0: off.
KONTOR_CATALOG_CACHE_SECONDS = env.int("KONTOR_CATALOG_CACHE_SECONDS", default=30)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
REST_FRAMEWORK = {
    # Partners authenticate with organization-scoped API keys; the portal's pages use the session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.api.throttles.ApiKeyThrottle",
        "portal.api.throttles.UserThrottle",
        "portal.api.throttles.AnonThrottle",
    ],
    "DEFAULT_PARSER_CLASSES": ["portal.api.parsers.JSONParser"],  # nesting limit, no NUL or lone surrogates
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.KontorAutoSchema",  # every error status and its codes
    "EXCEPTION_HANDLER": "portal.api.errors.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
from webhooks.event_types import EVENT_TYPES as WEBHOOK_EVENT_TYPES  # noqa: E402  # pure constants
from webhooks.event_types import TEST_EVENT as WEBHOOK_TEST_EVENT  # noqa: E402

SPECTACULAR_SETTINGS = {
    "TITLE": "Kontor API",
    "DESCRIPTION": (
        "Self-service marketplace for sovereign AI compute in Germany. Every error has the shape "
        '`{"detail": str, "code": str, "fields": {field: [str]}}` (component `Error`); each operation lists the '
        "statuses it can answer and, per status, the codes (`x-error-codes`). A method a path does not declare "
        "answers 405 with an `Allow` header."
    ),
    "VERSION": "1.0.0",
    # 3.1: the version that describes webhooks (the signed events Kontor sends).
    "OAS_VERSION": "3.1.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "/static/vendor/redoc",  # the sidecar's bundle without its CDN logo (see its README.md)
    "COMPONENT_SPLIT_REQUEST": True,
    # The signed events Kontor sends, one entry per type (webhooks/api/schema.py).
    "WEBHOOKS": [
        f"webhooks.api.schema.{event_type.replace('.', '_').upper()}"
        for event_type in (*WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT)
    ],
    "ENUM_NAME_OVERRIDES": {
        "OrganizationStatusEnum": "tenants.choices.OrganizationStatus",
        "InvitationStatusEnum": "tenants.choices.InvitationStatus",
        "RoleEnum": "tenants.choices.Role",
        "WebhookEndpointStatusEnum": "webhooks.choices.EndpointStatus",
        "WebhookDeliveryStatusEnum": "webhooks.choices.DeliveryStatus",
    },
}

# --- Celery --------------------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "store_processed": False,
        # The broadcast exchanges (worker control, pidbox) live here too, not in the working directory.
        "control_folder": str(_queue_dir / "control"),
    }
else:
    # (``visibility_timeout`` is set below, from the tasks' time limits.)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # How often a worker sweeps for such messages (every N seconds; every Mth sweep scans Redis).
        "unacked_restore_interval": env.int("KONTOR_BROKER_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("KONTOR_BROKER_RESTORE_THROTTLE", default=10),
    }
    if is_sentinel(CELERY_BROKER_URL):
        _broker_sentinel = sentinel_parse(CELERY_BROKER_URL)
        CELERY_BROKER_TRANSPORT_OPTIONS["master_name"] = KONTOR_SENTINEL_MASTER
        if _broker_sentinel.password:
            CELERY_BROKER_TRANSPORT_OPTIONS["sentinel_kwargs"] = {"password": _broker_sentinel.password}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker outage never ends a worker: reconnect for as long as it takes (the supervisor restarts a worker that
# exits anyway: docs/operations.md), retry channel errors too, and cancel the acks_late tasks that were running when
# the connection was lost — the broker delivers them again, and one copy at a time is enough.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CHANNEL_ERROR_RETRY = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# --- Queues, time limits and schedules (issue 13) ------------------------------------------------------------------
# One queue per kind of work, each with its own worker Deployment (Procfile, deploy/kubernetes/), so that PDF
# rendering never waits behind provisioning. Soft limit (SoftTimeLimitExceeded, the task can clean up) and hard
# limit (the worker process is killed; acks_late redelivers) per queue, in seconds.
KONTOR_QUEUE_TIME_LIMITS: dict[str, tuple[int, int]] = {
    "default": (60, 120),
    "provisioning": (120, 180),  # one driver step; polling is a retry, never a wait
    "documents": (240, 300),  # an invoice's XML validation and Factur-X PDF
    "email": (60, 120),
    "metering": (1500, 1800),  # a metering or invoicing run over every organization
}
# A message a worker took but never acknowledged (it died) is delivered again after this many seconds: the longest
# hard time limit, so no task still running is delivered twice, and a lost one waits no longer than that.
KONTOR_LONGEST_TASK_SECONDS = max(hard for _soft, hard in KONTOR_QUEUE_TIME_LIMITS.values())
if CELERY_BROKER_URL != "filesystem://":
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = env.int(
        "KONTOR_BROKER_VISIBILITY_TIMEOUT", default=KONTOR_LONGEST_TASK_SECONDS
    )
KONTOR_TASK_QUEUES: dict[str, str] = {
    "provisioning.provision_reservation": "provisioning",
    "provisioning.provision_reservations": "provisioning",
    "provisioning.provision_instance": "provisioning",
    "provisioning.deprovision_reservation": "provisioning",
    "provisioning.deprovision_instance": "provisioning",
    "provisioning.dispatch_due": "provisioning",
    "provisioning.reconcile": "provisioning",
    "provisioning.sweep": "provisioning",
    "provisioning.organization_activate": "provisioning",
    "billing.render_invoice_documents": "documents",
    "billing.render_missing_documents": "documents",
    "tenants.send_email": "email",
    "tenants.send_pending_emails": "email",
    "tenants.resend_stale_emails": "email",
    "reservations.send_end_reminders": "email",
    "reservations.write_pending_notices": "email",
    "reservations.write_notice": "email",
    "reservations.redrive_notices": "email",
    "billing.check_budgets": "email",
    "metering.run": "metering",
    "billing.draft_invoices": "metering",
    "billing.finalize_invoices": "metering",
}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {name: {"queue": queue} for name, queue in KONTOR_TASK_QUEUES.items()}
CELERY_TASK_SOFT_TIME_LIMIT, CELERY_TASK_TIME_LIMIT = KONTOR_QUEUE_TIME_LIMITS["default"]
CELERY_TASK_ANNOTATIONS = {
    name: dict(zip(("soft_time_limit", "time_limit"), KONTOR_QUEUE_TIME_LIMITS[queue], strict=True))
    for name, queue in KONTOR_TASK_QUEUES.items()
}
# Crontab schedules are read in Berlin time: "daily at 02:15" is 02:15 in Germany, summer and winter.
CELERY_TIMEZONE = "Europe/Berlin"
CELERY_ENABLE_UTC = True
# One beat, whatever restarts: on Redis, RedBeat keeps the schedule in Redis (nothing on the pod's disk) and holds
# a lock, so a second beat started by a rolling update waits until the first one is gone (lock timeout).
if CELERY_BROKER_URL.startswith(("redis://", "rediss://", "sentinel://")):
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = env.str("KONTOR_REDBEAT_REDIS_URL", default="") or CELERY_BROKER_URL
    if is_sentinel(CELERY_REDBEAT_REDIS_URL):
        # RedBeat's own spelling of the same: redis-sentinel:// and the sentinels in its options.
        _redbeat_sentinel = sentinel_parse(CELERY_REDBEAT_REDIS_URL)
        CELERY_REDBEAT_REDIS_URL = "redis-sentinel://"
        CELERY_REDBEAT_REDIS_OPTIONS = {
            "sentinels": list(_redbeat_sentinel.sentinels),
            "service_name": KONTOR_SENTINEL_MASTER,
            "db": _redbeat_sentinel.db,
            "password": _redbeat_sentinel.password,
            "sentinel_kwargs": {"password": _redbeat_sentinel.password} if _redbeat_sentinel.password else None,
        }
    CELERY_REDBEAT_KEY_PREFIX = env.str("KONTOR_REDBEAT_KEY_PREFIX", default="kontor:redbeat:")
    CELERY_REDBEAT_LOCK_TIMEOUT = env.int("KONTOR_REDBEAT_LOCK_TIMEOUT", default=60)
    CELERY_BEAT_MAX_LOOP_INTERVAL = min(5, CELERY_REDBEAT_LOCK_TIMEOUT // 3)
else:
    CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The one beat schedule, defined in code.
CELERY_BEAT_SCHEDULE = {
    "beat-heartbeat": {"task": "portal.tasks.beat_heartbeat", "schedule": 60.0},
    "reservation-end-reminders": {"task": "reservations.send_end_reminders", "schedule": 300.0},
    "provisioning-dispatch-due": {"task": "provisioning.dispatch_due", "schedule": 15.0},
    "provisioning-reconcile": {"task": "provisioning.reconcile", "schedule": 600.0},
    "provisioning-sweep": {"task": "provisioning.sweep", "schedule": 60.0},
    "metering-run": {"task": "metering.run", "schedule": 300.0},
    # Daily in Berlin: the services decide which months and drafts are due, and a second run changes nothing.
    "billing-draft-invoices": {"task": "billing.draft_invoices", "schedule": crontab(minute="15", hour="2")},
    "billing-finalize-invoices": {"task": "billing.finalize_invoices", "schedule": crontab(minute="45", hour="3")},
    "billing-check-budgets": {"task": "billing.check_budgets", "schedule": 900.0},
    "tenants-resend-stale-emails": {"task": "tenants.resend_stale_emails", "schedule": 300.0},
    "billing-render-missing-documents": {"task": "billing.render_missing_documents", "schedule": 300.0},
    "webhooks-redrive-deliveries": {"task": "webhooks.redrive_deliveries", "schedule": 60.0},
    "tenants-expire-idempotency-keys": {"task": "tenants.expire_idempotency_keys", "schedule": 3600.0},
    "reservations-expire-booking-keys": {"task": "reservations.expire_booking_keys", "schedule": 3600.0},
    "reservations-redrive-notices": {"task": "reservations.redrive_notices", "schedule": 60.0},
    "reservations-prune-notices": {"task": "reservations.prune_notices", "schedule": 3600.0},
    "reservations-prune-pool-changes": {"task": "reservations.prune_pool_changes", "schedule": 3600.0},
    "identity-purge-saml-assertions": {"task": "identity.purge_saml_assertions", "schedule": 3600.0},
    # One heartbeat per queue, sent to that queue: the operator dashboard shows when each queue's worker last ran.
    **{
        f"worker-heartbeat-{queue}": {
            "task": "portal.tasks.worker_heartbeat",
            "schedule": 60.0,
            "args": (queue,),
            "options": {"queue": queue},
        }
        for queue in KONTOR_QUEUE_TIME_LIMITS
    },
}
# The operator dashboard's probe of the broker and its ping of the workers: short timeouts, cached briefly, so a
# broker that is down never holds up the page.
KONTOR_OPS_HEALTH_TIMEOUT_SECONDS = env.float("KONTOR_OPS_HEALTH_TIMEOUT_SECONDS", default=1.0)
KONTOR_OPS_HEALTH_CACHE_SECONDS = env.int("KONTOR_OPS_HEALTH_CACHE_SECONDS", default=15)
# --- end queues and schedules --------------------------------------------------------------------------------------

# --- Metrics (issue 13) -------------------------------------------------------------------------------------------
# /metrics answers only with "Authorization: Bearer <KONTOR_METRICS_TOKEN>"; empty switches the page off (404).
KONTOR_METRICS_TOKEN = env.str("KONTOR_METRICS_TOKEN", default="")
# Each app's business signals, collected at scrape time (a declared hook: portal imports no app).
KONTOR_METRICS_COLLECTORS = [
    "reservations.metrics.collect",
    "provisioning.metrics.collect",
    "metering.metrics.collect",
    "billing.metrics.collect",
    "webhooks.metrics.collect",
]
# HTTP, database and Celery task figures are kept per process (portal/process_metrics.py): with
# PROMETHEUS_MULTIPROC_DIR set, in prometheus_client's multiprocess files. A worker pod serves its own on this port
# (0: not served; the web's /metrics shows them when both share the directory, as on one machine).
KONTOR_WORKER_METRICS_PORT = env.int("KONTOR_WORKER_METRICS_PORT", default=0)
KONTOR_WORKER_METRICS_ADDRESS = env.str("KONTOR_WORKER_METRICS_ADDRESS", default="0.0.0.0")  # noqa: S104
# Traces and error reports (portal/telemetry.py), both off by default: no third-party service unless named here.
KONTOR_OTEL_ENDPOINT = env.str("KONTOR_OTEL_ENDPOINT", default="")  # OTLP/HTTP, e.g. http://otel-collector:4318
KONTOR_OTEL_SERVICE_NAME = env.str("KONTOR_OTEL_SERVICE_NAME", default="kontor")
KONTOR_SENTRY_DSN = env.str("KONTOR_SENTRY_DSN", default="")  # a self-hosted Sentry or GlitchTip
KONTOR_SENTRY_ENVIRONMENT = env.str("KONTOR_SENTRY_ENVIRONMENT", default="production")
# --- end metrics ---------------------------------------------------------------------------------------------------

# --- Logging -------------------------------------------------------------------------------------------------------
LOG_LEVEL = env.str("KONTOR_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {"()": "portal.logging.build_formatter", "json": not DEBUG},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Onboarding ----------------------------------------------------------------------------------------------------
# VIES (EU VAT ID confirmation) is called from a Celery task only; empty switches it off.
KONTOR_VIES_URL = env.str(
    "KONTOR_VIES_URL", default="https://ec.europa.eu/taxation_customs/vies/rest-api/check-vat-number"
)
KONTOR_VIES_TIMEOUT_SECONDS = env.float("KONTOR_VIES_TIMEOUT_SECONDS", default=5.0)
# Webhooks: a short timeout per request; loopback receivers (plain http to 127.0.0.1) only in development.
KONTOR_WEBHOOKS_TIMEOUT_SECONDS = env.float("KONTOR_WEBHOOKS_TIMEOUT_SECONDS", default=5.0)
KONTOR_WEBHOOKS_ALLOW_LOOPBACK = env.bool("KONTOR_WEBHOOKS_ALLOW_LOOPBACK", default=DEBUG)
# DNS servers (host or host:port) that resolve webhook hosts; empty: the system's resolver (getaddrinfo).
KONTOR_WEBHOOKS_DNS_RESOLVERS = env.list("KONTOR_WEBHOOKS_DNS_RESOLVERS", default=[])
# The CA certificates receivers' HTTPS certificates are checked against; empty: certifi's (the public web PKI).
KONTOR_WEBHOOKS_CA_BUNDLE = env.str("KONTOR_WEBHOOKS_CA_BUNDLE", default="")
# Rules that approve a sign-up without an operator, tried in order (tenants/approval.py); empty: operators decide.
KONTOR_AUTO_APPROVAL_RULES = env.list("KONTOR_AUTO_APPROVAL_RULES", default=["vies_confirmed_eu"])
KONTOR_INVITATION_DAYS = env.int("KONTOR_INVITATION_DAYS", default=7)
# The cloud driver that creates organizations' projects and servers: "simulator" (embedded default) or "openstack".
KONTOR_CLOUD_DRIVER = env.str("KONTOR_CLOUD_DRIVER", default="simulator")
# The sweeper (provisioning.sweeper): an item without progress for this long is re-driven, at most this many times.
# Steps poll every few seconds and a server boots in minutes, so ten minutes without a sign means a lost message.
KONTOR_SWEEP_STALE_SECONDS = env.int("KONTOR_SWEEP_STALE_SECONDS", default=600)
KONTOR_SWEEP_MAX_REDRIVES = env.int("KONTOR_SWEEP_MAX_REDRIVES", default=5)
# Idempotency-Key on the API (tenants/idempotency.py): a key counts this many hours; a copy of a request whose twin
# still works waits this long for its answer, then answers 409 idempotency_in_progress; a claim whose owner died
# without an answer may be taken over after the lease (longer than any request: gunicorn's timeout is 30 s).
KONTOR_IDEMPOTENCY_KEY_HOURS = env.int("KONTOR_IDEMPOTENCY_KEY_HOURS", default=24)
KONTOR_IDEMPOTENCY_WAIT_SECONDS = env.float("KONTOR_IDEMPOTENCY_WAIT_SECONDS", default=5.0)
KONTOR_IDEMPOTENCY_LEASE_SECONDS = env.int("KONTOR_IDEMPOTENCY_LEASE_SECONDS", default=60)
# The simulator in production only on a staging cloud, said explicitly (`check --deploy` refuses it otherwise).
KONTOR_ALLOW_SIMULATOR = env.bool("KONTOR_ALLOW_SIMULATOR", default=False)
KONTOR_SIMULATOR: dict[str, float | bool] = {
    "fail_project_creation": env.bool("KONTOR_SIMULATOR_FAIL_PROJECTS", default=False),
    "boot_seconds": env.float("KONTOR_SIMULATOR_BOOT_SECONDS", default=20.0),
    "boot_failure_rate": env.float("KONTOR_SIMULATOR_BOOT_FAILURE_RATE", default=0.0),
    "api_failure_rate": env.float("KONTOR_SIMULATOR_API_FAILURE_RATE", default=0.0),
}

# --- Reservations --------------------------------------------------------------------------------------------------
# GPUs of one model an organization may hold at the same time unless an operator granted more (a QuotaLimit).
KONTOR_DEFAULT_GPU_QUOTA = env.int("KONTOR_DEFAULT_GPU_QUOTA", default=64)
# Of each zone's nodes of a type, this share (percent) serves on-demand orders; the rest serve reserved windows.
KONTOR_ON_DEMAND_PERCENT = env.int("KONTOR_ON_DEMAND_PERCENT", default=20)

# --- OpenStack and secrets -----------------------------------------------------------------------------------------
# The ``openstack`` cloud driver (provisioning/drivers/openstack.py). The service user needs the admin role: it
# creates projects, sets their quotas, creates their networks and lists servers across projects.
KONTOR_OPENSTACK = {
    "auth_url": env.str("KONTOR_OPENSTACK_AUTH_URL", default="http://127.0.0.1:5000/v3"),
    "username": env.str("KONTOR_OPENSTACK_USERNAME", default="kontor"),
    "password": env.str("KONTOR_OPENSTACK_PASSWORD", default=""),
    "project_name": env.str("KONTOR_OPENSTACK_PROJECT_NAME", default="admin"),
    "user_domain_name": env.str("KONTOR_OPENSTACK_USER_DOMAIN_NAME", default="Default"),
    "project_domain_name": env.str("KONTOR_OPENSTACK_PROJECT_DOMAIN_NAME", default="Default"),
    "region_name": env.str("KONTOR_OPENSTACK_REGION_NAME", default="de-muc-1"),
    "interface": env.str("KONTOR_OPENSTACK_INTERFACE", default="public"),
    # Seconds per HTTP request to the cloud; a timeout is a transient CloudError.
    "timeout": env.float("KONTOR_OPENSTACK_TIMEOUT_SECONDS", default=30.0),
    "image": env.str("KONTOR_OPENSTACK_IMAGE", default="ubuntu-24.04-nvidia"),
    "network_prefix": env.str("KONTOR_OPENSTACK_NETWORK_PREFIX", default="kontor-net-"),
    "subnet_cidr": env.str("KONTOR_OPENSTACK_SUBNET_CIDR", default="10.0.0.0/24"),
    # The role the service user gets in each organization's project, so that it can boot servers there.
    "project_role": env.str("KONTOR_OPENSTACK_PROJECT_ROLE", default="member"),
    # Kontor flavor slug → the cloud's flavor name (JSON in the environment).
    "flavor_map": env.json(
        "KONTOR_OPENSTACK_FLAVOR_MAP",
        default={
            **{f"b200-x{n}": f"gpu.b200.x{n}" for n in (1, 2, 4)},
            "b200-x8-metal": "bm.b200.x8",
            **{f"rtx-pro-x{n}": f"gpu.rtxpro6000.x{n}" for n in (1, 2, 4, 8)},
        },
    ),
    # Nova quotas of each organization's project: cores, RAM in MiB, servers.
    "quotas": {
        "cores": env.int("KONTOR_OPENSTACK_QUOTA_CORES", default=1024),
        "ram": env.int("KONTOR_OPENSTACK_QUOTA_RAM_MB", default=8 * 1024 * 1024),
        "instances": env.int("KONTOR_OPENSTACK_QUOTA_INSTANCES", default=64),
    },
}
# Fernet keys that encrypt secrets at rest (organizations' NGC API keys), comma-separated: the first encrypts, all
# decrypt, so a new key goes first and an old one leaves only once nothing is encrypted with it any more. Production
# MUST set real keys (``Fernet.generate_key()``); empty derives one key from SECRET_KEY, for development only.
KONTOR_SECRET_KEYS = env.list("KONTOR_SECRET_KEYS", default=[])
# The TLS reverse proxy in front of NIM and Triton services (an nginx image; operators point this at their mirror).
KONTOR_SERVICE_PROXY_IMAGE = env.str("KONTOR_SERVICE_PROXY_IMAGE", default="nginx:1.27-alpine")
# The operator's CA that issues the proxies' certificates (PEM files); unset: each certificate is self-signed and the
# portal shows its fingerprint to check.
KONTOR_SERVICE_CA_CERT = env.str("KONTOR_SERVICE_CA_CERT", default="")
KONTOR_SERVICE_CA_KEY = env.str("KONTOR_SERVICE_CA_KEY", default="")

# --- Billing -------------------------------------------------------------------------------------------------------
# The seller on every invoice and credit note (§ 14 (4) UStG: full name, address, VAT ID). Snapshotted per document.
# Development placeholders (portal/placeholders.py): production must set every KONTOR_SELLER_* variable, and
# ``check --deploy`` refuses any placeholder left (portal/deploy_checks.py).
KONTOR_SELLER: dict[str, str] = {
    field: env.str(f"KONTOR_SELLER_{field.upper()}", default=default) for field, default in DEVELOPMENT_SELLER.items()
}
# The KoSIT XRechnung CII schematron compiled to XSLT 2 (``schematron/cii/XRechnung-CII-validation.xsl`` below this
# directory): every XRechnung is validated against it before it is stored. Not copied into the project: a
# deployment ships KoSIT's release next to the code and points this at it; the default is the shared reference
# copy next to the checkout (``../shared/reference/xrechnung``, or one level further up for a git worktree).
KONTOR_XRECHNUNG_XSLT_DIR = env.str(
    "KONTOR_XRECHNUNG_XSLT_DIR",
    default=str(
        next(
            (
                candidate
                for candidate in (
                    BASE_DIR.parent / "shared" / "reference" / "xrechnung",
                    BASE_DIR.parent.parent / "shared" / "reference" / "xrechnung",
                )
                if candidate.is_dir()
            ),
            BASE_DIR.parent / "shared" / "reference" / "xrechnung",
        )
    ),
)
# Days after a month ends before its draft invoices are finalized (late metering settles in the meantime).
KONTOR_INVOICE_GRACE_DAYS = env.int("KONTOR_INVOICE_GRACE_DAYS", default=3)
# When true, only drafts an operator reviewed (console action) are finalized, by the operator or the monthly run;
# a reviewed draft is finalized only with exactly the reviewed figures, whatever this says.
KONTOR_INVOICE_REVIEW_REQUIRED = env.bool("KONTOR_INVOICE_REVIEW_REQUIRED", default=False)
