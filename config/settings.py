"""ControlTrace settings: everything comes from the environment.

With nothing set, the app runs embedded: SQLite, tasks in-process, demo mode off.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
DEMO_MODE = env_bool("CONTROLTRACE_DEMO", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or DEMO_MODE or env_bool("CONTROLTRACE_TESTING", False)):
        raise ImproperlyConfigured("SECRET_KEY must be set outside demo, debug and test runs.")
    SECRET_KEY = "insecure-local-only-key"  # noqa: S105 - only reachable in demo, debug or tests

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "simple_history",
    "django_celery_beat",
    "ledger",
    "accounts",
    "compliance",
    "evidence",
    "scanners",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.role",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not (DEBUG or DEMO_MODE or env_bool("CONTROLTRACE_TESTING", False))
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without collectstatic (demo, debug, tests) WhiteNoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = DEBUG or DEMO_MODE or env_bool("CONTROLTRACE_TESTING", False)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")

# Uploads: evidence files and register imports are checked against these.
EVIDENCE_MAX_UPLOAD_BYTES = env_int("EVIDENCE_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
REGISTER_IMPORT_MAX_BYTES = env_int("REGISTER_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Evidence older than this many days (without its own valid-until) counts as stale.
EVIDENCE_FRESHNESS_DAYS = env_int("EVIDENCE_FRESHNESS_DAYS", 365)

# Celery: with no broker configured, tasks run in-process (the embedded set-up).
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "controltrace")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# Scans: automated evidence stays fresh until the next scheduled scan plus this grace period;
# a unit claimed longer ago than the lease is taken over (its worker died); a run never finished
# after the timeout stops blocking new scans of its account.
SCAN_EVIDENCE_GRACE_HOURS = env_int("SCAN_EVIDENCE_GRACE_HOURS", 24)
SCAN_UNIT_LEASE_MINUTES = env_int("SCAN_UNIT_LEASE_MINUTES", 30)
SCAN_RUN_TIMEOUT_HOURS = env_int("SCAN_RUN_TIMEOUT_HOURS", 6)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Personal tokens first, so that requests without credentials get a 401 with WWW-Authenticate.
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ControlTrace API",
    "DESCRIPTION": "Controls, documents, tickets, evidence, exemptions and automated findings.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two models have a `kind`; naming their enums keeps the schema's component names stable.
    "ENUM_NAME_OVERRIDES": {
        "DocumentKindEnum": "compliance.models.DocumentKind",
        "EvidenceKindEnum": "evidence.models.EvidenceKind",
        "ControlStatusEnum": "compliance.models.ControlStatus",
        "AutomatedStatusEnum": "compliance.models.AutomatedStatus",
        "FindingStatusEnum": "scanners.models.FindingStatus",
        "ScanRunStateEnum": "scanners.models.RunState",
    },
}

# Ticket webhooks: an endpoint whose secret is unset answers 503 and never accepts unsigned deliveries.
GITHUB_WEBHOOK_SECRET = env_str("GITHUB_WEBHOOK_SECRET") or None
JIRA_WEBHOOK_SECRET = env_str("JIRA_WEBHOOK_SECRET") or None
# Owners' notification digests also go to this Slack-compatible incoming webhook when set.
SLACK_WEBHOOK_URL = env_str("SLACK_WEBHOOK_URL") or None

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "controltrace@localhost")

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # werkzeug: the demo's in-process moto server would log every simulated AWS call.
    "loggers": {name: {"level": "WARNING"} for name in ("botocore", "urllib3", "werkzeug")},
}

# Ledger: the chain head is written to this S3 bucket (created with Object Lock) on a schedule; empty = off.
LEDGER_ANCHOR_BUCKET = env_str("LEDGER_ANCHOR_BUCKET", "")
LEDGER_ANCHOR_PREFIX = env_str("LEDGER_ANCHOR_PREFIX", "controltrace-ledger/")
LEDGER_ANCHOR_REGION = env_str("LEDGER_ANCHOR_REGION", "")
LEDGER_ANCHOR_RETENTION_DAYS = env_int("LEDGER_ANCHOR_RETENTION_DAYS", 7 * 366)
