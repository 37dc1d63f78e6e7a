"""ControlTrace settings: everything comes from the environment.

With nothing set, the app runs embedded: SQLite, tasks in-process, demo mode off.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_map, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
DEMO_MODE = env_bool("CONTROLTRACE_DEMO", False)
TESTING = env_bool("CONTROLTRACE_TESTING", False)
# The production shape: every security default below is on unless one of these runs on plain HTTP locally.
PRODUCTION = not (DEBUG or DEMO_MODE or TESTING)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
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
    "axes",
    "csp",
    "ledger",
    "accounts",
    "compliance",
    "evidence",
    "scanners",
    "oscal",
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
    "csp.middleware.CSPMiddleware",
    "config.security.PermissionsPolicyMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
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
                "compliance.context_processors.inbox",
            ],
            "libraries": {"nav": "config.nav_tags"},
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `scan --sync` writes from several threads. SQLite ignores SELECT ... FOR UPDATE, so a transaction takes
    # the write lock when it begins (the run's finishing check stays one at a time), and a writer waits for
    # the lock up to 30 s instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 30})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# django-axes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "landing"  # the CISO to the dashboard, everyone else to their inbox
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
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without collectstatic (demo, debug, tests) WhiteNoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")

# Uploads: evidence files and register imports are checked against these.
EVIDENCE_MAX_UPLOAD_BYTES = env_int("EVIDENCE_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
REGISTER_IMPORT_MAX_BYTES = env_int("REGISTER_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
# Form fields and JSON bodies (not files) held in memory; the largest is a webhook or a bulk edit.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A file past this goes to a temporary file rather than memory; no file past the limit above is read at all.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_HANDLERS = [
    "config.uploads.BoundedUploadHandler",  # first, so it stops a file before the others store its bytes
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Evidence older than this many days (without its own valid-until) counts as stale.
EVIDENCE_FRESHNESS_DAYS = env_int("EVIDENCE_FRESHNESS_DAYS", 365)
# No evidence, a person's or a scan's, may be valid for longer than this many days from when it is recorded.
EVIDENCE_MAX_VALIDITY_DAYS = env_int("EVIDENCE_MAX_VALIDITY_DAYS", 400)

# Exemptions are temporary: at most this many days, then decided again. Approving one's own proposal is
# refused unless EXEMPTION_SELF_APPROVAL is on (a one-person security team).
EXEMPTION_MAX_DAYS = env_int("EXEMPTION_MAX_DAYS", 366)
EXEMPTION_SELF_APPROVAL = env_bool("EXEMPTION_SELF_APPROVAL", False)
if EXEMPTION_MAX_DAYS < 1:
    raise ImproperlyConfigured("EXEMPTION_MAX_DAYS must be at least 1.")

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
# a run never finished after the timeout stops blocking new scans of its account.
SCAN_EVIDENCE_GRACE_HOURS = env_int("SCAN_EVIDENCE_GRACE_HOURS", 24)
SCAN_RUN_TIMEOUT_HOURS = env_int("SCAN_RUN_TIMEOUT_HOURS", 6)
# Units of an in-process scan (`scan --sync`, `make run`) running at once, on threads.
SCAN_SYNC_CONCURRENCY = env_int("SCAN_SYNC_CONCURRENCY", 4)

# --- Celery and database resilience (docs/operations.md) ---
# A persistent connection that died (database restart, failover) is tested before a request reuses it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The scan unit lease and the broker's visibility timeout are one setting. A worker renews its
# unit's lease while it works; a unit whose lease ran out (its worker died) is taken over by the
# next delivery. Redis re-delivers an unacknowledged message (acks_late) after the visibility
# timeout: it is twice the lease so that the re-delivery finds the lease expired, not a no-op.
# The sweeper (beat, every SCAN_SWEEP_SECONDS) re-sends what a lost message or a failed
# release left behind, and finishes runs whose units all finished.
SCAN_UNIT_LEASE_SECONDS = env_int("SCAN_UNIT_LEASE_SECONDS", 300)
SCAN_SWEEP_SECONDS = env_int("SCAN_SWEEP_SECONDS", 60)
if SCAN_UNIT_LEASE_SECONDS < 1 or SCAN_SWEEP_SECONDS < 1:
    raise ImproperlyConfigured("SCAN_UNIT_LEASE_SECONDS and SCAN_SWEEP_SECONDS must be at least 1.")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2 * SCAN_UNIT_LEASE_SECONDS,
    # How often a worker looks for messages past the visibility timeout: a tenth of the lease.
    "unacked_restore_interval": max(1, SCAN_UNIT_LEASE_SECONDS // 10),
    "unacked_restore_throttle": 1,
}
# A broker that is down fails the enqueue within about a second instead of hanging the request.
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 3)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BEAT_SCHEDULE = {"sweep-scans": {"task": "scanners.scan_sweep", "schedule": SCAN_SWEEP_SECONDS}}
# --- end of Celery and database resilience ---

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.throttles.ThrottleBeforeCredentials",  # authenticates nobody: counts requests per address
        # Personal tokens first, so that requests without credentials get a 401 with WWW-Authenticate.
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Counted in the shared cache (below), so every web process sees the same counts. See docs/operations.md.
    "DEFAULT_THROTTLE_CLASSES": ["config.throttles.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "address": env_str("THROTTLE_ADDRESS_RATE", "600/minute"),
        "user": env_str("THROTTLE_USER_RATE", "300/minute"),
        "webhook": env_str("THROTTLE_WEBHOOK_RATE", "300/minute"),
    },
    # Behind the TLS proxy, the client's address is the last one the proxy appended to X-Forwarded-For.
    # 0, not None: with None DRF counts whatever X-Forwarded-For the client sends, so a forged header
    # would give every request a fresh address.
    "NUM_PROXIES": 1 if env_bool("BEHIND_TLS_PROXY") else 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ControlTrace API",
    "DESCRIPTION": "Controls, documents, tickets, evidence, exemptions and automated findings.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema names the ways to authenticate; config.throttles.ThrottleBeforeCredentials is not one.
    "AUTHENTICATION_WHITELIST": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
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

# --- Security headers and HTTPS (docs/operations.md lists each opt-out) -------------------------------------
# On by default in the production shape; demo, debug and test runs serve plain HTTP on 127.0.0.1.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container health check calls the app directly over HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Opt-in: only a proxy that overwrites X-Forwarded-Proto may be trusted with it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
SECURE_REFERRER_POLICY = "same-origin"  # control and evidence URLs do not leak to the ticket systems linked
X_FRAME_OPTIONS = "DENY"
# Browser features the app never uses; sent by config.security.PermissionsPolicyMiddleware.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), microphone=(), "
    "midi=(), payment=(), usb=()"
)
# No inline scripts, handlers or style attributes anywhere: the pages' code is in static/js/app.js.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Shared cache: throttles count here, so every process and machine sees the same numbers --------------
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}  # embedded: one process
    )
}

# --- Sign-in lockout (django-axes): failures are counted per username and per address, in the database -----
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # each failure kept for the CISO (admin: Axes)
AXES_LOCKOUT_CALLABLE = "accounts.views.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
AXES_HTTP_RESPONSE_CODE = 429

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

# --- People: invitations and single sign-on (OpenID Connect, mozilla-django-oidc) -----------------------------
# An invitation link works once, for this many days.
INVITATION_DAYS = env_int("INVITATION_DAYS", 7)
# Single sign-on is off unless a client id and the provider (its discovery document, or each endpoint) are set.
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET", "")
if env_str("OIDC_RP_CLIENT_SECRET_FILE"):
    try:
        OIDC_RP_CLIENT_SECRET = Path(env_str("OIDC_RP_CLIENT_SECRET_FILE")).read_text().strip()
    except OSError as exc:
        raise ImproperlyConfigured(f"OIDC_RP_CLIENT_SECRET_FILE cannot be read: {exc.strerror}") from exc
# The issuer's discovery document (https://idp.example/.well-known/openid-configuration, or the issuer's URL).
OIDC_OP_DISCOVERY = env_str("OIDC_OP_DISCOVERY", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_OP_ISSUER = env_str("OIDC_OP_ISSUER", "")
OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid email profile groups")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
OIDC_VERIFY_SSL = env_bool("OIDC_VERIFY_SSL", True)
# Which claim lists the person's groups, and which group gives which role (the first role in CISO, engineer,
# auditor order wins when a person is in several mapped groups).
OIDC_ROLE_CLAIM = env_str("OIDC_ROLE_CLAIM", "groups")
OIDC_ROLE_MAP = env_map(
    "OIDC_ROLE_MAP",
    values=("ciso", "engineer", "auditor"),
    default="ct-ciso=ciso,ct-engineers=engineer,ct-auditors=auditor",
)
OIDC_CREATE_USER = True
OIDC_AUTHENTICATION_CALLBACK_URL = "sso-callback"
LOGIN_REDIRECT_URL_FAILURE = "/login/"
if OIDC_RP_CLIENT_ID and not (OIDC_OP_DISCOVERY or OIDC_OP_AUTHORIZATION_ENDPOINT):
    raise ImproperlyConfigured("OIDC_RP_CLIENT_ID is set: set OIDC_OP_DISCOVERY (or the OIDC_OP_*_ENDPOINT values).")
AUTHENTICATION_BACKENDS += ["accounts.sso.SingleSignOnBackend"]
# OSCAL export (docs/oscal.md): the organisation named in the documents (and in their UUIDs' namespace), and
# where ControlTrace is served, for absolute links from the command and the audit package (relative if empty).
OSCAL_ORGANISATION = env_str("OSCAL_ORGANISATION", "The organisation")
OSCAL_BASE_URL = env_str("OSCAL_BASE_URL", "")
