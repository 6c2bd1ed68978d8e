"""Handoff settings.

The environment is read once, here (django-environ). Every variable has a safe
development default and is listed in ``.env.example``. ``HANDOFF_ENV=production``
switches on the production checks: an insecure value makes start-up fail with a
clear message instead of running half-protected.
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from marketplace.schedule import beat_schedule
from marketplace.settings_env import (
    init_error_reporting,
    logging_config,
    media_storages,
    placeholders_left,
    production_key_problems,
    secret_key_problem,
)

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# The .env file first (HANDOFF_DOTENV names another one), so every variable below,
# HANDOFF_VAR_DIR included, may come from it; the process environment wins.
_DOTENV = Path(env.str("HANDOFF_DOTENV", default=str(BASE_DIR / ".env")))
if env.bool("HANDOFF_READ_DOTENV", default=True) and _DOTENV.exists():
    environ.Env.read_env(_DOTENV)
# A relative path is taken from the project folder, wherever the process starts.
VAR_DIR = BASE_DIR / env.str("HANDOFF_VAR_DIR", default="var")

HANDOFF_ENV = env.str("HANDOFF_ENV", default="development")
if HANDOFF_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"HANDOFF_ENV must be 'development' or 'production', not {HANDOFF_ENV!r}."
    )
PRODUCTION = HANDOFF_ENV == "production"

# --------------------------------------------------------------------------- core

DEV_SECRET_KEY = "django-insecure-handoff-development-key-never-use-in-production"  # noqa: S105 - refused in production
# Empty (as in .env.example) counts as unset: the development key outside production.
SECRET_KEY = env.str("SECRET_KEY", default="") or ("" if PRODUCTION else DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_ID = 1
# The name and address e-mails and pages give for the site (allauth reads them from
# the Sites framework; marketplace.sites writes them there after each migrate).
SITE_NAME = env.str("SITE_NAME", default="Handoff")
SITE_DOMAIN = env.str("SITE_DOMAIN", default=urlsplit(SITE_URL).netloc)
# Where people write to the operator (shown on the contact and privacy pages).
CONTACT_EMAIL = env.str("CONTACT_EMAIL", default="support@handoff.local")


if PRODUCTION:
    _problems = []
    if problem := secret_key_problem(SECRET_KEY, dev_key=DEV_SECRET_KEY):
        _problems.append(problem)
    if DEBUG:
        _problems.append("DEBUG must be off in production.")
    if not ALLOWED_HOSTS:
        _problems.append("ALLOWED_HOSTS must name the site's host(s).")
    if not env.str("FIELD_ENCRYPTION_KEYS", default=""):
        _problems.append("FIELD_ENCRYPTION_KEYS must be set (Fernet keys, newest first).")
    if not env.str("DOCUMENT_HASH_KEY", default=""):
        _problems.append("DOCUMENT_HASH_KEY must be set (secret for ID-number hashes).")
    _problems += production_key_problems(env)
    if _left := placeholders_left(os.environ):
        _problems.append("Still the example's placeholder (CHANGE-ME): " + ", ".join(_left))
    if _problems:
        raise ImproperlyConfigured(
            "Refusing to start in production with an insecure configuration:\n  - "
            + "\n  - ".join(_problems)
            + "\nSee .env.example for every variable."
        )

INSTALLED_APPS = [
    "marketplace.apps.HandoffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "csp",
    "kernel",
    "accounts",
    "governance",
    "listings",
    "escrow",
    "marketplace",
]

MIDDLEWARE = [
    "marketplace.metrics.RequestMetricsMiddleware",  # first: it times the whole answer
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside sessions, messages and auth: sees their cookies and the user.
    "marketplace.middleware.PrivateResponseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.permissions.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Refuses methods no page takes (405) and broken Content-Length (400) before
    # any view; renders empty 405s.
    "marketplace.middleware.RequestShapeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"
ASGI_APPLICATION = "marketplace.asgi.application"

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
                "csp.context_processors.nonce",
                "marketplace.context_processors.site",
            ],
        },
    },
    {
        # Only the listing cards (marketplace/jinja2.py says why): <app>/jinja2/.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "APP_DIRS": True,
        "OPTIONS": {"environment": "marketplace.jinja2.environment"},
    },
]

# ----------------------------------------------------------------------- database

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'handoff.sqlite3'}")}
SILENCED_SYSTEM_CHECKS: list[str] = []
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The catalogue's covering indexes INCLUDE columns for PostgreSQL; SQLite
    # builds them without, which is all `make run` needs (no warning there).
    SILENCED_SYSTEM_CHECKS.append("models.W040")
    # WAL lets the worker read while the web process writes; IMMEDIATE takes the
    # write lock at BEGIN so two writers queue instead of failing mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# "pgbouncer": DATABASE_URL points at PgBouncer in transaction mode, where two
# statements outside a transaction may run on different server connections. A
# server-side cursor (QuerySet.iterator() outside atomic) would be declared on one
# and fetched from another, so Django reads results client-side instead. The code
# keeps no other session state: no SET, advisory locks or LISTEN (docs/deploy.md).
DATABASE_POOLER = env.str("DATABASE_POOLER", default="")
if DATABASE_POOLER not in {"", "pgbouncer"}:
    raise ImproperlyConfigured(
        f"DATABASE_POOLER must be empty or 'pgbouncer', not {DATABASE_POOLER!r}."
    )
if DATABASE_POOLER == "pgbouncer":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

# ------------------------------------------------------------------ cache, broker

# One Redis serves a small site (REDIS_URL). A larger one gives the cache
# (sessions, rate limits, fragments: maxmemory-policy allkeys-lru) and the broker
# (tasks, the beat lock and schedule, heartbeats: noeviction) servers of their own
# with CACHE_URL and BROKER_URL; either falls back to REDIS_URL.
REDIS_URL = env.str("REDIS_URL", default="")
CACHE_URL = env.str("CACHE_URL", default="") or REDIS_URL
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "kernel.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "handoff",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    # A signed-in request reads its session from Redis (written through to the
    # database, which stays the record: ``clearsessions``, a lost cache key or a
    # cache outage fall back to it). One database round trip less on every
    # signed-in page (kernel/sessions.py).
    SESSION_ENGINE = env.str("SESSION_ENGINE", default="kernel.sessions")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = env.str("SESSION_ENGINE", default="django.contrib.sessions.backends.db")

CELERY_BROKER_URL = (
    env.str("BROKER_URL", default="")
    or env.str("CELERY_BROKER_URL", default="")  # the older name
    or REDIS_URL
    or "filesystem://"
)
BROKER_IS_REDIS = CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The folders are made when the Celery app is configured (marketplace/celery.py),
    # not here: importing settings writes nothing to disk.
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # A task whose worker died is redelivered after this many seconds (acks_late).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900)
    }
# Beat: with a Redis broker, any number of beats may run (one per node survives a
# lost node): celery-redbeat keeps the schedule in Redis and only the holder of its
# lock schedules; a stopped holder's lock expires after BEAT_LOCK_SECONDS and a
# waiting beat takes over where it stopped (the last run times are in Redis too).
# Otherwise (make run) Celery's own scheduler with its file in VAR_DIR: one beat.
CELERY_BEAT_MAX_LOOP_INTERVAL = 5
if BROKER_IS_REDIS:
    CELERY_BEAT_SCHEDULER = "marketplace.beat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = CELERY_BROKER_URL
    CELERY_REDBEAT_KEY_PREFIX = env.str("BEAT_KEY_PREFIX", default="handoff:redbeat")
    CELERY_REDBEAT_LOCK_TIMEOUT = env.int("BEAT_LOCK_SECONDS", default=30)
else:
    CELERY_BEAT_SCHEDULER = "marketplace.beat.PersistentScheduler"
# Heartbeats (marketplace.heartbeats): each worker and the scheduling beat write one
# every HEARTBEAT_SECONDS; /healthz reports them and, where HEALTHZ_HEARTBEATS is on
# (production by default), answers 503 when the beat's or every worker's is older
# than HEARTBEAT_STALE_SECONDS.
HEARTBEAT_SECONDS = env.float("HEARTBEAT_SECONDS", default=10.0)
HEARTBEAT_STALE_SECONDS = env.float("HEARTBEAT_STALE_SECONDS", default=45.0)
HEALTHZ_HEARTBEATS = env.bool("HEALTHZ_HEARTBEATS", default=PRODUCTION)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Each app's jobs are listed in one place (marketplace/schedule.py); a test checks
# that every entry names a registered task.
# Search: a relevance search looks for a word's newest matches among this many
# newest listings first, then in tiers four times larger each
# (Listing.search_tier, docs/listings.md).
SEARCH_FIRST_TIER = env.int("SEARCH_FIRST_TIER", default=10_000)
# Every e-mail waits in the outbox (kernel.outbox), swept this often.
EMAIL_OUTBOX_SECONDS = env.float("EMAIL_OUTBOX_SECONDS", default=5.0)
CELERY_BEAT_SCHEDULE = beat_schedule(email_outbox_seconds=EMAIL_OUTBOX_SECONDS)

# -------------------------------------------------------------------------- auth

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
ACCOUNT_RATE_LIMITS_ENABLED = env.bool("RATE_LIMITS_ENABLED", default=True)
if not ACCOUNT_RATE_LIMITS_ENABLED:
    ACCOUNT_RATE_LIMITS = False
# Our own actions (kernel.ratelimit); allauth limits login/sign-up/reset.
SITE_RATE_LIMITS = {
    "report": env.str("RATE_LIMIT_REPORT", default="10/h"),
    "message": env.str("RATE_LIMIT_MESSAGE", default="30/m"),
    "verification": env.str("RATE_LIMIT_VERIFICATION", default="5/h"),
    "checkout": env.str("RATE_LIMIT_CHECKOUT", default="10/h"),
    "listing_submit": env.str("RATE_LIMIT_LISTING_SUBMIT", default="30/h"),
    "appeal": env.str("RATE_LIMIT_APPEAL", default="10/h"),
}
# Reverse proxies in front of the web processes that append to X-Forwarded-For
# (docs/deploy.md). 0: the header is ignored and REMOTE_ADDR is the client. One
# setting for every reader of the client address (kernel.http.client_ip):
# the site's limiter, allauth's (through accounts.adapter) and allauth itself.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if not 0 <= TRUSTED_PROXY_COUNT <= 10:
    raise ImproperlyConfigured(
        f"TRUSTED_PROXY_COUNT must be between 0 and 10, not {TRUSTED_PROXY_COUNT}."
    )
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
MFA_ADAPTER = "accounts.adapter.MFAAdapter"  # second factors' secrets encrypted at rest
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Handoff"

# ------------------------------------------------------------------------- i18n

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our Chinese number formats (thousands separators as in English): marketplace/formats/.
FORMAT_MODULE_PATH = ["marketplace.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_SAMESITE = "Lax"

# ----------------------------------------------------------------- static, media

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Media: local folders, or S3-compatible object storage shared by every node when
# S3_BUCKET is set (marketplace/settings_env.py). Private uploads (identity
# documents, evidence) never have a public URL: permission-checked views stream them.
_default_storage, _private_storage, MEDIA_ON_S3 = media_storages(env, var_dir=VAR_DIR)
STORAGES = {
    "default": _default_storage,
    "private": _private_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)
WHITENOISE_USE_FINDERS = not PRODUCTION
# Public media (listing screenshots, random names) served by Django itself: in
# development and under the tests' live_server. In production a proxy or object
# storage serves MEDIA_URL; set SERVE_MEDIA=true only for a single-box demo.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=not PRODUCTION and not MEDIA_ON_S3)
# The benchmark's ceiling page (/_bench/ceiling, marketplace.ceiling): routed only
# when this is on; `make bench` sets it. Never set it in production.
BENCH_ENDPOINTS = env.bool("HANDOFF_BENCH_ENDPOINTS", default=False)
# Fragment caches (listings.fragments: the catalogue's results and the listing
# page's shared parts, in the shared cache, invalidated on every change they show,
# expiring after the given seconds as a safety net; kernel/templatetags/shell.py:
# an anonymous visitor's header and footer). On by default in production with Redis
# (a cache every process shares; a per-process cache would miss the worker's
# invalidations). See docs/performance.md for what they buy.
FRAGMENT_CACHE = env.bool("HANDOFF_FRAGMENT_CACHE", default=PRODUCTION and bool(CACHE_URL))
FRAGMENT_CACHE_SECONDS = env.int("FRAGMENT_CACHE_SECONDS", default=300)
# listings: automatic ownership checker (dotted path to a
# listings.ownership.OwnershipChecker); empty = moderators check the bio by hand.
LISTING_OWNERSHIP_CHECKER = env.str("LISTING_OWNERSHIP_CHECKER", default="")

# ------------------------------------------------------------------------ email

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
globals().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Handoff <no-reply@handoff.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
OPERATOR_EMAILS = env.list("OPERATOR_EMAILS", default=["operators@handoff.local"])
# Every e-mail waits in the outbox (kernel.outbox: escrow.Notification and
# accounts.Email), swept every EMAIL_OUTBOX_SECONDS by beat (above).
EMAIL_BUDGET_SECONDS = 60  # one sweep's time, in chunks of 200
# A mail server that hangs: seconds per connection and command.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=EMAIL_CONFIG.get("EMAIL_TIMEOUT") or 10)
# A sweep's claim: after it, a dead worker's e-mails come due again (at least once).
EMAIL_CLAIM_SECONDS = env.int("EMAIL_CLAIM_SECONDS", default=600)
# Those the mail server refused are tried again after 1, 2, 4, 8, 16 × this, then given up.
EMAIL_RETRY_SECONDS = env.int("EMAIL_RETRY_SECONDS", default=60)
EMAIL_RETRIES = 5

# --------------------------------------------------------------------- security

SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the form, not the cookie
CSRF_FAILURE_VIEW = "marketplace.views.csrf_failure"
SECURE_SSL_REDIRECT = PRODUCTION and env.bool("SECURE_SSL_REDIRECT", default=True)
# The load balancer's health check and the metrics scraper may talk plain HTTP inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION and not SECURE_SSL_REDIRECT:
    # The benchmark (and a proxy that terminates TLS and redirects itself) turns the
    # redirect off; say so, so check --deploy stays quiet only by an explicit choice.
    SILENCED_SYSTEM_CHECKS.append("security.W008")

_stripe_js = ["https://js.stripe.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", *_stripe_js],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", "https://api.stripe.com"],
        "frame-src": ["'self'", *_stripe_js, "https://hooks.stripe.com"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --------------------------------------------------------------- encryption keys


def _dev_fernet_key(label: str) -> str:
    digest = hashlib.sha256(f"{SECRET_KEY}:{label}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


# Newest key first; older keys keep decrypting until `rotate_keys` has re-encrypted.
# Empty counts as unset (derived development keys outside production).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[]) or (
    [] if PRODUCTION else [_dev_fernet_key("fields")]
)
DOCUMENT_HASH_KEY = env.str("DOCUMENT_HASH_KEY", default="") or (
    "" if PRODUCTION else _dev_fernet_key("document-hash")
)
# The previous hash key while `manage.py rotate_keys` recomputes the hashes; then unset.
DOCUMENT_HASH_KEY_OLD = env.str("DOCUMENT_HASH_KEY_OLD", default="")

# ----------------------------------------------------------------------- money

SETTLEMENT_CURRENCY = env.str("SETTLEMENT_CURRENCY", default="USD")
PLATFORM_FEE_BPS = env.int("PLATFORM_FEE_BPS", default=500)  # 5.00 %
PLATFORM_FEE_MIN = env.int("PLATFORM_FEE_MIN", default=500)  # minor units
MAX_UNPAID_DEALS = env.int("MAX_UNPAID_DEALS", default=3)
PAYMENT_WINDOW = timedelta(minutes=env.int("PAYMENT_WINDOW_MINUTES", default=30))
# A cancel is refused while a card payment is with the provider (docs/escrow.md);
# an attempt whose answer never came stops blocking after this long.
PAYMENT_ATTEMPT_TIMEOUT = timedelta(seconds=env.int("PAYMENT_ATTEMPT_TIMEOUT_SECONDS", default=300))
DELIVERY_DEADLINE = timedelta(hours=env.int("DELIVERY_DEADLINE_HOURS", default=72))
INSPECTION_PERIOD = timedelta(hours=env.int("INSPECTION_HOURS", default=72))
PROTECTION_WINDOW = timedelta(days=env.int("PROTECTION_DAYS", default=7))
# The other party answers a dispute or recovery claim within this period.
DISPUTE_RESPONSE_PERIOD = timedelta(hours=env.int("DISPUTE_RESPONSE_HOURS", default=72))

# Dotted path to an escrow.gateways.base.PaymentGateway. The simulated gateway is
# the embedded default (no real money; refused in production by its system check);
# production sets escrow.gateways.stripe.StripeGateway and the STRIPE_* keys.
PAYMENT_GATEWAY = (
    env.str("PAYMENT_GATEWAY", default="") or "escrow.gateways.simulated.SimulatedGateway"
)
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
SIMULATED_GATEWAY_SECRET = env.str("SIMULATED_GATEWAY_SECRET", default="") or _dev_fernet_key(
    "simulated-gateway"
)

IDENTITY_PROVIDER = env.str("IDENTITY_PROVIDER", default="accounts.identity.ManualReviewProvider")
VERIFICATION_VALIDITY_DAYS = env.int("VERIFICATION_VALIDITY_DAYS", default=365)
# Users are reminded (and may renew) this many days before their verification ends.
VERIFICATION_REMINDER_DAYS = env.int("VERIFICATION_REMINDER_DAYS", default=30)
# Retention (data protection): identity-document images are deleted this many days
# after the verification decision; handover credentials this many days after the
# deal was released or refunded (jobs accounts.delete_expired_identity_documents and
# escrow.erase_expired_credentials).
IDENTITY_DOCUMENT_RETENTION_DAYS = env.int("IDENTITY_DOCUMENT_RETENTION_DAYS", default=90)
CREDENTIAL_RETENTION_DAYS = env.int("CREDENTIAL_RETENTION_DAYS", default=30)
# Stripe Identity webhook endpoint (/webhooks/stripe/identity/) signing secret;
# falls back to STRIPE_WEBHOOK_SECRET when one endpoint receives every event.
STRIPE_IDENTITY_WEBHOOK_SECRET = (
    env.str("STRIPE_IDENTITY_WEBHOOK_SECRET", default="") or STRIPE_WEBHOOK_SECRET
)

# ---------------------------------------------------------------------- logging

# LOG_FORMAT=json: one JSON object per line (marketplace.logs). SENTRY_DSN: errors
# of web and worker processes go to Sentry (or a compatible service); unset, nothing
# leaves the machine.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = logging_config(fmt=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
# Celery's processes log through LOGGING too when JSON is asked for.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
ERROR_REPORTING = init_error_reporting(env, environment=HANDOFF_ENV)
# /metrics (Prometheus text format) answers only with "Authorization: Bearer
# <METRICS_TOKEN>"; unset, the page does not exist (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
