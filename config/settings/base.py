"""Settings shared by every environment.

The same code runs embedded (SQLite, Celery in-process) and in production
(PostgreSQL, Redis, real workers); only environment variables differ.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "django_celery_beat",
    "axes",
    "csp",
    # Ours, bottom layer first (README: Layers).
    "core",
    "enrollment",
    "assistance",
    "contributions",
    "benefits",
    "yearend",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Under /api/ every error is JSON, also the ones Django answers itself (unmatched URL, lockout, 500).
    "core.api_errors.ApiJsonErrorsMiddleware",
    # Security headers: Content-Security-Policy and Permissions-Policy (settings below).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.StaffLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.RequestContextMiddleware",
    # Axes must come last so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "core.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.navigation.navigation",
            ],
        },
    },
]
# Django's renderer with <select> written in Python (a filter form's options were a fifth of a list page's time).
FORM_RENDERER = "core.form_renderer.FormRenderer"

# Embedded default: SQLite next to the code. Production sets DATABASE_URL.
DATABASE_CONN_MAX_AGE = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))


# Behind PgBouncer in transaction mode: 1, so that QuerySet.iterator() fetches in chunks from a plain cursor (a
# server-side cursor WITH HOLD outlives the transaction, and the next one may run on another server connection).
DATABASE_DISABLE_SERVER_SIDE_CURSORS = env_bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", False)


def database_from_url(url: str) -> dict:
    database = dj_database_url.parse(
        url, conn_max_age=DATABASE_CONN_MAX_AGE, disable_server_side_cursors=DATABASE_DISABLE_SERVER_SIDE_CURSORS
    )
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # The embedded default: web requests and in-process jobs (threads) share one file.
        # * WAL: pages read while a job writes, and a reader never blocks a writer.
        # * IMMEDIATE: every transaction takes the write lock when it begins. SQLite's default (DEFERRED)
        #   starts a transaction as a reader and upgrades it at its first write; if another connection
        #   wrote in between, the upgrade fails at once with "database is locked" (the busy timeout does
        #   not apply to an upgrade). With IMMEDIATE a writer waits its turn for up to `timeout` seconds.
        # * synchronous=NORMAL is safe with WAL (a power cut may lose the last commits, never corrupt) and
        #   keeps each commit short, so writers hold the lock briefly.
        database["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 60,
        }
    return database


DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
    )
}
# Read replica (optional; docs/operations.md "Read replica"): a streaming standby of the primary, e.g.
# postgresql://yibao_app:...@replica-host:5432/yibao. Only reads inside core.replica.reporting_reads() (the
# fund books and 异地就医 dashboards and their API) go there, and only outside a transaction; everything else,
# and every write, uses the primary (config/db_router.py). Unset: one database, the router changes nothing.
# The test suite makes no database for it: it mirrors the primary's test database.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {**database_from_url(DATABASE_REPLICA_URL), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Reverse proxies whose X-Forwarded-For we believe (comma-separated addresses); none by default.
YIBAO_TRUSTED_PROXIES = env_list("YIBAO_TRUSTED_PROXIES", "")
# 居民大病保险筹资 (yuan per insured resident per year), passed from the resident fund to 居民大病保险 as each
# bill is paid in full. A configurable default, not a seed figure: 002 only says "统筹考虑确定大病保险筹资
# 标准". Per year ("2023": "...") or "default". Changing a past year makes `fund_books reconcile` differ.
YIBAO_CRITICAL_FINANCING = {"default": os.environ.get("YIBAO_CRITICAL_FINANCING", "60.00")}
# 参保地 (this pooling area) for 异地就医: the administrative division code of the city. A configurable default
# (the seeds are Chongqing's); core/areas.py reads it.
YIBAO_HOME_AREA_CODE = os.environ.get("YIBAO_HOME_AREA_CODE", "500000")
# Batch jobs on PostgreSQL (疑点筛查 rules, 年度缴费征收 chunks): how many statements run side by side,
# one connection and about one core each. 1 runs them one after the other.
YIBAO_BATCH_WORKERS = int(os.environ.get("YIBAO_BATCH_WORKERS", "2"))
# 高额费用负担预警: yearly out-of-pocket (yuan) from which a person is flagged for aid follow-up.
YIBAO_HIGH_COST_THRESHOLD = os.environ.get("YIBAO_HIGH_COST_THRESHOLD", "20000.00")
# The issuing bureau printed on documents a citizen keeps (结算单). Placeholders until the bureau sets
# its own particulars (environment or a local settings file): not from the seeds.
YIBAO_BUREAU = {
    "name": os.environ.get("YIBAO_BUREAU_NAME", "重庆市医疗保障局（示例）"),
    "address": os.environ.get("YIBAO_BUREAU_ADDRESS", "重庆市渝北区（示例地址，请配置）"),
    "hotline": os.environ.get("YIBAO_BUREAU_HOTLINE", "12393"),
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after 5 failures of one user name from one client address, for 30 minutes; an admin
# unlocks early with `axes_reset_username` (or `axes_reset_ip`). Keyed on the pair, not the name alone,
# so a stranger's wrong passwords cannot lock a clerk out of the office; not on the address alone,
# because a district office reaches us through one NAT address. Failed API basic auth counts the same
# way (it goes through django.contrib.auth.authenticate). The address is ours (core.context.client_ip:
# X-Forwarded-For only from YIBAO_TRUSTED_PROXIES), not django-ipware's guess.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.context.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Idle timeout: 30 minutes without a request of the user's own (IdleTimeoutMiddleware; progress-bar
# polling does not count). The cookie itself lasts a working day at most.
SESSION_IDLE_SECONDS = 30 * 60
# The last-activity stamp is a session write (an UPDATE); written at most this often.
SESSION_IDLE_STAMP_SECONDS = 60
SESSION_COOKIE_AGE = 10 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
# Serve straight from static/ in the embedded mode; production runs collectstatic.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = BASE_DIR / "var" / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Content-Security-Policy (django-csp 4): scripts and styles only from our own origin, no inline
# code, no eval. Templates keep scripts in static/js and styles in static/css; data reaches scripts
# through data-* attributes or json_script. htmx is told not to inject its indicator <style> and
# not to eval (the htmx-config meta in base.html). Chart.js sizes canvases through the CSSOM,
# which CSP allows. The Swagger UI page of the API docs ships inline code of its own and is left
# out (EXCLUDE_URL_PREFIXES); it is staff-only and holds no user data.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Permissions-Policy: the portal needs no device or sensor APIs.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "usb": [],
    "browsing-topics": [],
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Institutions' systems: "Authorization: Token <key>", stored hashed, with expiry and revocation
        # (manage.py institution_api_account). First, so a request without credentials answers 401.
        "core.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        # Basic auth under the same lockout as the login page (django-axes, AXES_* above).
        "core.authentication.LockoutAwareBasicAuthentication",
    ],
    # Rate limits (core/throttling.py), counted in CACHES["default"]; over the rate: 429, JSON, Chinese.
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonymousRateThrottle",
        "core.throttling.StaffRateThrottle",
        "core.throttling.TokenRateThrottle",
    ],
    # Requests per period (s, min, hour, day). Configurable defaults, not from the policy seeds:
    # anon: without credentials, per client address; staff: session or basic auth, per account;
    # token: an institution's system, per account; settlements at its cash desks, so higher.
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("YIBAO_API_RATE_ANON", "30/min"),
        "staff": os.environ.get("YIBAO_API_RATE_STAFF", "300/min"),
        "token": os.environ.get("YIBAO_API_RATE_TOKEN", "1200/min"),
    },
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "core.permissions.HasStaffRole",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    "VIEW_NAME_FUNCTION": "config.api_urls.api_view_name",
    "VIEW_DESCRIPTION_FUNCTION": "config.api_urls.api_view_description",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Yibao API",
    "DESCRIPTION": "医疗保障经办平台 REST API. Every endpoint is scoped to the caller's role and district.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated", "core.permissions.HasStaffRole"],
    # Every operation documents the error answers it can give (core.api_errors).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api_errors.schema_error_responses",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "EndReasonEnum": "enrollment.models.Enrollment.EndReason",
        "ImportKindEnum": "core.models.ImportBatch.Kind",
        "DistrictKindEnum": "core.models.District.Kind",
        "InstitutionKindEnum": "benefits.models.Institution.Kind",
        "SettlementKindEnum": "benefits.models.Settlement.Kind",
        "AccountEntryKindEnum": "benefits.models.AccountEntry.Kind",
        "CategoryEnum": "enrollment.models.people.Category",
        "AidCategoryEnum": "assistance.models.AidCategory",
        "AidRecipientSourceEnum": "assistance.models.AidRecipient.Source",
        "AidApplicationStatusEnum": "assistance.models.AidApplication.Status",
        "HighCostAlertStatusEnum": "assistance.models.HighCostAlert.Status",
        "InspectionKindEnum": "audit.models.Inspection.Kind",
        "FilingTypeEnum": "benefits.models.FilingType",
        "RemoteFilingStatusEnum": "benefits.models.RemoteCareFiling.Status",
        "RemoteFilingChannelEnum": "benefits.models.RemoteCareFiling.Channel",
        "InboundSettlementStatusEnum": "benefits.models.InboundSettlement.Status",
        "ClearingStatusEnum": "benefits.models.Clearing.Status",
        "PaymentChannelEnum": "contributions.models.ContributionPayment.Channel",
    },
}

# Celery: with no broker configured, tasks run in-process (embedded default).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Stuck work (core.jobs). acks_late: a task's Redis message is acknowledged only when the task ends, so a
# worker killed mid-job (kill -9, OOM, power) leaves it unacknowledged. reject_on_worker_lost: when the
# worker's main process sees a pool child die, the message goes back to the queue at once and the run is
# resumed (a run executes under a PostgreSQL lock, so a resumed run never overlaps a live one). A whole
# worker killed reports nothing: Redis hands its unacknowledged message out again only after the
# visibility timeout. That timeout must exceed the longest job (年度缴费征收 on a city: hours), or a job
# still running would be handed to a second worker; 6 hours by default. Meanwhile the heartbeat tells a
# dead run sooner: a running run beats at least every YIBAO_JOB_HEARTBEAT_SECONDS (and at each progress
# report); one silent for YIBAO_JOB_STALE_SECONDS whose worker holds no lock is failed in words by the
# reaper (beat entry every minute, and on viewing its page), its import batch made actionable again, and a
# message of it handed out later runs nothing. Keep STALE well above HEARTBEAT.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("YIBAO_CELERY_VISIBILITY_TIMEOUT", str(6 * 3600))),
}
YIBAO_JOB_HEARTBEAT_SECONDS = int(os.environ.get("YIBAO_JOB_HEARTBEAT_SECONDS", "30"))
YIBAO_JOB_STALE_SECONDS = int(os.environ.get("YIBAO_JOB_STALE_SECONDS", "300"))

# Cache shared by every server process (the API's rate-limit counters): Redis from CACHE_URL, else the
# broker's Redis (keys prefixed "yibao"); process memory only in the embedded default (one process).
CACHE_URL = os.environ.get("CACHE_URL", "") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else ""
)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "yibao",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Import files (issue 13): refused at upload, before any parser reads them, over these limits
# (core/importing/limits.py says why each default).
YIBAO_IMPORT_MAX_BYTES = int(os.environ.get("YIBAO_IMPORT_MAX_BYTES", 512 * 1024 * 1024))
YIBAO_IMPORT_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("YIBAO_IMPORT_MAX_UNCOMPRESSED_BYTES", 800 * 1024 * 1024))
YIBAO_IMPORT_MAX_RATIO = int(os.environ.get("YIBAO_IMPORT_MAX_RATIO", 100))
YIBAO_IMPORT_MAX_SHARED_STRINGS_BYTES = int(os.environ.get("YIBAO_IMPORT_MAX_SHARED_STRINGS_BYTES", 128 * 1024 * 1024))
YIBAO_IMPORT_MAX_ROWS = int(os.environ.get("YIBAO_IMPORT_MAX_ROWS", 2_000_000))
YIBAO_IMPORT_MAX_COLUMNS = int(os.environ.get("YIBAO_IMPORT_MAX_COLUMNS", 50))
YIBAO_IMPORT_MAX_CELL_CHARS = int(os.environ.get("YIBAO_IMPORT_MAX_CELL_CHARS", 1000))
# Admin exports (django-import-export): a leading "=" is dropped; our resources also prefix = + - @.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
