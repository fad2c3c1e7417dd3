"""Kontor settings: one module, configured from the environment.

With no ``DATABASE_URL`` / ``CELERY_BROKER_URL`` the platform runs on an embedded default that needs no server:
SQLite and kombu's filesystem transport (a real worker and beat still run in their own processes). With them set,
PostgreSQL and Redis are used. ``portal.settings_test`` and ``portal.settings_production`` are small overrides.
"""

from __future__ import annotations

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-development-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "portal.web.errors.csrf_failure"
SITE_URL = env.str("KONTOR_SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "portal.apps.PortalConfig",
    "tenants.apps.TenantsConfig",
    "catalog.apps.CatalogConfig",
    "billing.apps.BillingConfig",
    "reservations.apps.ReservationsConfig",
    "provisioning.apps.ProvisioningConfig",
    "metering.apps.MeteringConfig",
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
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
]

MIDDLEWARE = [
    "portal.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
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
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
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
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
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
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}

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

# --- Static files --------------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "portal" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

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
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
REST_FRAMEWORK = {
    # Partners authenticate with organization-scoped API keys; the portal's pages use the session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.errors.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kontor API",
    "DESCRIPTION": (
        "Self-service marketplace for sovereign AI compute in Germany. Every error has the shape "
        '`{"detail": str, "code": str, "fields": {field: [str]}}`.'
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "/static/vendor/redoc",  # the sidecar's bundle without its CDN logo (see its README.md)
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrganizationStatusEnum": "tenants.choices.OrganizationStatus",
        "InvitationStatusEnum": "tenants.choices.InvitationStatus",
        "RoleEnum": "tenants.choices.Role",
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
    # A message a worker took but never acknowledged (it died) is delivered again after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("KONTOR_BROKER_VISIBILITY_TIMEOUT", default=3600),
        # How often a worker sweeps for such messages (every N seconds; every Mth sweep scans Redis).
        "unacked_restore_interval": env.int("KONTOR_BROKER_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("KONTOR_BROKER_RESTORE_THROTTLE", default=10),
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The one beat schedule, defined in code. Later issues add their periodic tasks here.
CELERY_BEAT_SCHEDULE = {
    "beat-heartbeat": {"task": "portal.tasks.beat_heartbeat", "schedule": 60.0},
    "reservation-end-reminders": {"task": "reservations.send_end_reminders", "schedule": 300.0},
    "provisioning-dispatch-due": {"task": "provisioning.dispatch_due", "schedule": 15.0},
    "provisioning-reconcile": {"task": "provisioning.reconcile", "schedule": 600.0},
    "provisioning-sweep": {"task": "provisioning.sweep", "schedule": 60.0},
    "metering-run": {"task": "metering.run", "schedule": 300.0},
    # Daily: the services decide which months and drafts are due, and a second run changes nothing.
    "billing-draft-invoices": {"task": "billing.draft_invoices", "schedule": 24 * 3600.0},
    "billing-finalize-invoices": {"task": "billing.finalize_invoices", "schedule": 24 * 3600.0},
    "billing-check-budgets": {"task": "billing.check_budgets", "schedule": 900.0},
    "tenants-resend-stale-emails": {"task": "tenants.resend_stale_emails", "schedule": 300.0},
    "billing-render-missing-documents": {"task": "billing.render_missing_documents", "schedule": 300.0},
}

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
# Rules that approve a sign-up without an operator, tried in order (tenants/approval.py); empty: operators decide.
KONTOR_AUTO_APPROVAL_RULES = env.list("KONTOR_AUTO_APPROVAL_RULES", default=["vies_confirmed_eu"])
KONTOR_INVITATION_DAYS = env.int("KONTOR_INVITATION_DAYS", default=7)
# The cloud driver that creates organizations' projects and servers: "simulator" (embedded default) or "openstack".
KONTOR_CLOUD_DRIVER = env.str("KONTOR_CLOUD_DRIVER", default="simulator")
# The sweeper (provisioning.sweeper): an item without progress for this long is re-driven, at most this many times.
# Steps poll every few seconds and a server boots in minutes, so ten minutes without a sign means a lost message.
KONTOR_SWEEP_STALE_SECONDS = env.int("KONTOR_SWEEP_STALE_SECONDS", default=600)
KONTOR_SWEEP_MAX_REDRIVES = env.int("KONTOR_SWEEP_MAX_REDRIVES", default=5)
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

# --- Billing -------------------------------------------------------------------------------------------------------
# The seller on every invoice and credit note (§ 14 (4) UStG: full name, address, VAT ID). Snapshotted per document.
KONTOR_SELLER: dict[str, str] = {
    "legal_name": env.str("KONTOR_SELLER_LEGAL_NAME", default="Kontor GPU Cloud GmbH"),
    "street": env.str("KONTOR_SELLER_STREET", default="Musterstraße 1"),
    "postal_code": env.str("KONTOR_SELLER_POSTAL_CODE", default="80331"),
    "city": env.str("KONTOR_SELLER_CITY", default="München"),
    "country": env.str("KONTOR_SELLER_COUNTRY", default="DE"),
    "vat_id": env.str("KONTOR_SELLER_VAT_ID", default="DE123456788"),
    "email": env.str("KONTOR_SELLER_EMAIL", default="billing@kontor.example"),
    # Development placeholders (a well-formed test IBAN): production sets the real seller data.
    "iban": env.str("KONTOR_SELLER_IBAN", default="DE89370400440532013000"),
    "bic": env.str("KONTOR_SELLER_BIC", default="COBADEFFXXX"),
    "registration_id": env.str("KONTOR_SELLER_REGISTRATION_ID", default="HRB 000000, Amtsgericht München"),
    "tax_number": env.str("KONTOR_SELLER_TAX_NUMBER", default="143/000/00000"),
}
# Days after a month ends before its draft invoices are finalized (late metering settles in the meantime).
KONTOR_INVOICE_GRACE_DAYS = env.int("KONTOR_INVOICE_GRACE_DAYS", default=3)
