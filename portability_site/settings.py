"""Settings for the TikTok data portability site.

Every value comes from the environment (see .env.example for the full list). The defaults are the
embedded setup: SQLite, file storage, Celery on kombu's filesystem transport and email to the
console and var/mail/, all under var/, so the site runs with no server to install. Production sets
DATABASE_URL, CELERY_BROKER_URL, EMAIL_URL, the S3 settings and the TikTok credentials.
Configuration mistakes are reported at start by the system checks in exports/checks.py.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's .env (make run writes one with fresh secrets); real environment variables win.
if env.bool("DJANGO_READ_DOT_ENV", default=True):
    environ.Env.read_env(BASE_DIR / ".env")

VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="insecure-development-key" if DEBUG else "")
if not SECRET_KEY:
    # Django would stop anyway, later and less helpfully.
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set it to a long random string (see .env.example), "
        "or DEBUG=1 for a local run."
    )
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

# The public address of the site. Links in emails and the OAuth redirect_uri registered at TikTok
# are built from it, never from the Host header of a request.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The site's name as people read it: in page titles, emails and their subjects.
SITE_NAME = env("SITE_NAME", default="TikTok Export")
_site_host = urlsplit(SITE_URL).hostname or "localhost"
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=[_site_host, "127.0.0.1", "localhost", "[::1]"] if DEBUG else [_site_host],
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.tiktok",
    "django_htmx",
    "exports",
    "tiktok_sandbox",
]

MIDDLEWARE = [
    # First: every later middleware's log lines and answers carry the request id too.
    "portability_site.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session (the chosen language is kept there and in a cookie), before Common.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "exports.middleware.BrowserTimeZoneMiddleware",
]

ROOT_URLCONF = "portability_site.urls"
WSGI_APPLICATION = "portability_site.wsgi.application"
ASGI_APPLICATION = "portability_site.asgi.application"

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
                "django.template.context_processors.csp",
                "portability_site.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite creates its file but not the folder: on a fresh clone var/ does not exist yet.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The embedded setup runs web, worker and beat on one file: WAL lets readers and a writer
    # proceed together, IMMEDIATE takes the write lock up front instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A restarted PostgreSQL must not leave workers holding dead connections.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
LOGIN_URL = "home"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
# The site's users are in the EEA and the UK: English and the most spoken languages there.
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pl", "Polski"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# British date formats for English (see the module): the other languages keep Django's own.
FORMAT_MODULE_PATH = ["portability_site.formats"]
# The time zone of dates where the person's own is unknown (their browser tells it: see
# exports.middleware.BrowserTimeZoneMiddleware).
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# Object storage: S3 (django-storages, boto3) when a bucket is configured, files under
# MEDIA_ROOT otherwise.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    import botocore.config

    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "access_key": env("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
            "default_acl": None,
            "file_overwrite": True,
            # Download links are made per click and live five minutes at most.
            "querystring_expire": 300,
            # Path-style addressing (AWS_S3_ADDRESSING_STYLE=path) suits S3-compatible servers
            # without per-bucket host names. Some of them reject the newer default checksums:
            # "when_required" turns those off (each part still carries its own CRC-32).
            "client_config": botocore.config.Config(
                signature_version="s3v4",
                s3={"addressing_style": env("AWS_S3_ADDRESSING_STYLE", default="auto")},
                request_checksum_calculation=env(
                    "AWS_REQUEST_CHECKSUM_CALCULATION", default="when_supported"
                ),
                response_checksum_validation=env(
                    "AWS_RESPONSE_CHECKSUM_VALIDATION", default="when_supported"
                ),
                retries={"max_attempts": 5, "mode": "standard"},
            ),
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # Archive keys are deterministic: a second copy of the same export replaces the first.
        "OPTIONS": {"location": MEDIA_ROOT, "allow_overwrite": True},
    }
# Hashed, compressed static files after collectstatic in production; served straight from the
# source folders (no collectstatic) for local runs and tests.
STATIC_FROM_SOURCE = env.bool("STATIC_FROM_SOURCE", default=DEBUG)
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if STATIC_FROM_SOURCE
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}
WHITENOISE_USE_FINDERS = STATIC_FROM_SOURCE
WHITENOISE_AUTOREFRESH = STATIC_FROM_SOURCE

# Email: console plus one file per batch under var/mail/ unless EMAIL_URL is set
# (smtp://user:password@host:587?tls=True or smtps://..., as django-environ reads it).
if env("EMAIL_URL", default=""):
    _email = env.email_url("EMAIL_URL")
    MAILERS = {
        "default": {
            "BACKEND": _email["EMAIL_BACKEND"],
            "OPTIONS": {
                "host": _email.get("EMAIL_HOST"),
                "port": _email.get("EMAIL_PORT"),
                "username": _email.get("EMAIL_HOST_USER"),
                "password": _email.get("EMAIL_HOST_PASSWORD"),
                "use_tls": _email.get("EMAIL_USE_TLS", False),
                "use_ssl": _email.get("EMAIL_USE_SSL", False),
                "timeout": 30,
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "portability_site.mail.ConsoleAndFileEmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"{SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis in production; kombu's filesystem transport under var/ when no broker is set.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 30.0
# Redis redelivers an unacknowledged task after the visibility timeout: it must exceed the
# longest task (the archive copy's hard limit, exports/tasks.py), or a healthy copy would run
# twice. The fetch lease in the database keeps a second copy from starting anyway.
_visibility_timeout = 4 * 3600
CELERY_BROKER_TRANSPORT_OPTIONS.setdefault("visibility_timeout", _visibility_timeout)

# TikTok. Without credentials the built-in sandbox (tiktok_sandbox) stands in for TikTok.
TIKTOK_CLIENT_KEY = env("TIKTOK_CLIENT_KEY", default="")
TIKTOK_CLIENT_SECRET = env("TIKTOK_CLIENT_SECRET", default="")
TIKTOK_SANDBOX = env.bool("TIKTOK_SANDBOX", default=not TIKTOK_CLIENT_KEY)
# The sandbox's own registration of this site, as a developer portal would hold it.
TIKTOK_SANDBOX_CLIENT_KEY = env("TIKTOK_SANDBOX_CLIENT_KEY", default="sandbox-client-key")
TIKTOK_SANDBOX_CLIENT_SECRET = env("TIKTOK_SANDBOX_CLIENT_SECRET", default="sandbox-client-secret")
# The name the sandbox's consent page gives the app, as TikTok shows a registered app's name.
TIKTOK_SANDBOX_APP_NAME = env("TIKTOK_SANDBOX_APP_NAME", default=SITE_NAME)
# Exact redirect URIs the sandbox accepts; empty means this site's own callback under SITE_URL.
TIKTOK_SANDBOX_REDIRECT_URIS = env.list("TIKTOK_SANDBOX_REDIRECT_URIS", default=[])
TIKTOK_SANDBOX_ACCESS_TOKEN_LIFETIME = env.int("TIKTOK_SANDBOX_ACCESS_TOKEN_LIFETIME", 7200)
TIKTOK_SANDBOX_REFRESH_TOKEN_LIFETIME = env.int("TIKTOK_SANDBOX_REFRESH_TOKEN_LIFETIME", 15552000)
TIKTOK_SANDBOX_CODE_LIFETIME = env.int("TIKTOK_SANDBOX_CODE_LIFETIME", 300)
# Seconds a sandbox export stays "pending" before it is ready, and stays ready before it expires
# (TikTok: 4 days).
TIKTOK_SANDBOX_EXPORT_READY_AFTER = env.float("TIKTOK_SANDBOX_EXPORT_READY_AFTER", 20.0)
TIKTOK_SANDBOX_EXPORT_EXPIRES_AFTER = env.float("TIKTOK_SANDBOX_EXPORT_EXPIRES_AFTER", 345600.0)
# Approximate size in bytes of the archives the sandbox generates; 0 for their natural size.
TIKTOK_SANDBOX_ARCHIVE_SIZE = env.int("TIKTOK_SANDBOX_ARCHIVE_SIZE", 0)
# Their layout (gen_a, gen_b, gen_c, gen_c_doubled), text language (en, nl) and unknown section
# (a switch); each empty means every persona's own default (tiktok_sandbox.layouts).
TIKTOK_SANDBOX_ARCHIVE_LAYOUT = env("TIKTOK_SANDBOX_ARCHIVE_LAYOUT", default="")
TIKTOK_SANDBOX_ARCHIVE_LANGUAGE = env("TIKTOK_SANDBOX_ARCHIVE_LANGUAGE", default="")
TIKTOK_SANDBOX_ARCHIVE_UNKNOWN_SECTION = env("TIKTOK_SANDBOX_ARCHIVE_UNKNOWN_SECTION", default="")
# Where the sandbox delivers webhooks; empty means this site's own endpoint under SITE_URL.
TIKTOK_SANDBOX_WEBHOOK_URL = env("TIKTOK_SANDBOX_WEBHOOK_URL", default="")
if TIKTOK_SANDBOX and not TIKTOK_CLIENT_KEY:
    TIKTOK_CLIENT_KEY = TIKTOK_SANDBOX_CLIENT_KEY
    TIKTOK_CLIENT_SECRET = TIKTOK_SANDBOX_CLIENT_SECRET
# The only switch between real TikTok, the sandbox and any other emulator: every TikTok URL the
# site calls or redirects to is derived from these two. Unset with the sandbox on, they point at
# the sandbox mounted on this site (SITE_URL + /tiktok-sandbox).
TIKTOK_AUTH_BASE_URL = env(
    "TIKTOK_AUTH_BASE_URL", default="" if TIKTOK_SANDBOX else "https://www.tiktok.com"
).rstrip("/")
TIKTOK_API_BASE_URL = env(
    "TIKTOK_API_BASE_URL", default="" if TIKTOK_SANDBOX else "https://open.tiktokapis.com"
).rstrip("/")
TIKTOK_CONNECT_TIMEOUT = env.float("TIKTOK_CONNECT_TIMEOUT", default=5.0)
TIKTOK_READ_TIMEOUT = env.float("TIKTOK_READ_TIMEOUT", default=30.0)

# The export pipeline. Polling TikTok starts after EXPORT_POLL_INITIAL seconds and doubles up to
# EXPORT_POLL_MAX; a webhook from TikTok makes the check happen at once.
EXPORT_POLL_INITIAL = env.float("EXPORT_POLL_INITIAL", default=15.0)
EXPORT_POLL_MAX = env.float("EXPORT_POLL_MAX", default=600.0)
# How often the sweeper re-enqueues due work (a lost task message costs at most this long).
EXPORT_SWEEP_INTERVAL = env.float("EXPORT_SWEEP_INTERVAL", default=60.0)
# Copies of an archive from TikTok attempted before the export fails.
EXPORT_FETCH_ATTEMPTS = env.int("EXPORT_FETCH_ATTEMPTS", default=5)
# A fetch holds a lease this long and renews it while bytes flow.
EXPORT_FETCH_LEASE = env.float("EXPORT_FETCH_LEASE", default=120.0)
# Reading an archive into records holds a lease this long, renewed at every checkpoint.
EXPORT_READ_LEASE = env.float("EXPORT_READ_LEASE", default=300.0)
# Days a stored archive is kept after it is ready.
EXPORT_RETENTION_DAYS = env.int("EXPORT_RETENTION_DAYS", default=7)
# Hours before deletion that the owner is reminded (by email, and on the dashboard).
EXPORT_REMINDER_HOURS = env.int("EXPORT_REMINDER_HOURS", default=24)
# Days the link in an email stays valid.
EXPORT_EMAIL_LINK_DAYS = env.int("EXPORT_EMAIL_LINK_DAYS", default=7)
# Archives stream into S3 in multipart parts of this many bytes: the copy's only buffer.
EXPORT_S3_PART_SIZE = env.int("EXPORT_S3_PART_SIZE", default=8 * 1024 * 1024)
# Seconds a TikTok webhook's signature timestamp may differ from our clock.
TIKTOK_WEBHOOK_TOLERANCE = env.int("TIKTOK_WEBHOOK_TOLERANCE", default=300)
# beat runs the sweep every EXPORT_SWEEP_INTERVAL (portability_site/celery.py).

# Fernet keys for the TikTok tokens at rest, newest first; separate from SECRET_KEY so that either
# can be rotated alone (manage.py rotate_token_keys re-encrypts under the newest).
TOKEN_ENCRYPTION_KEYS = env.list("TOKEN_ENCRYPTION_KEYS", default=[])

# allauth: sign-in only through TikTok. TikTok gives no email address; one can be added later.
ACCOUNT_ADAPTER = "exports.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "exports.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_LOGOUT_ON_GET = False
# One address: a new one replaces the old once verified, so there is no "primary" to choose.
# Subjects start with [SITE_NAME] (exports.adapters.AccountAdapter.format_email_subject).
ACCOUNT_CHANGE_EMAIL = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False
# Tokens never go into allauth's plaintext SocialToken table; exports.TikTokAuthorization keeps
# them encrypted.
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    "tiktok": {
        # allauth's TikTok provider with every TikTok URL derived from the settings above.
        "provider_class": "exports.tiktok_login.provider.TikTokProvider",
        # PKCE S256 and the scope come from that class; sign-ins start at exports.views.
        "APP": {"client_id": TIKTOK_CLIENT_KEY, "secret": TIKTOK_CLIENT_SECRET},
    },
}

# Security headers. Local runs are plain http; production is https behind a proxy.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_HTTPS_PROXY", default=False) else None
)
_https = SITE_URL.startswith("https://")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_https and not DEBUG)
# Health probes come from inside the deployment, over plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Reverse proxies in front of the site, each appending to X-Forwarded-For: the rate limits count
# the address the outermost one saw (exports.ratelimit). 0: REMOTE_ADDR is the client.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT  # allauth's rate limits count the same address
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SESSION_COOKIE_HTTPONLY = True
# Lax, not Strict: the session must come along on the redirect back from TikTok.
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _origins(urls: list[str]) -> list[str]:
    return sorted({"{0.scheme}://{0.netloc}".format(urlsplit(url)) for url in urls if url})


# Chromium applies form-action to the redirect that follows a form: the sign-in form redirects
# to TikTok, and the sandbox's consent form redirects to the registered redirect URIs.
_form_targets = _origins([TIKTOK_AUTH_BASE_URL, *TIKTOK_SANDBOX_REDIRECT_URIS])
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "https:"],
    "form-action": [CSP.SELF, *_form_targets],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# Logs go to the console, one line per record, each with the id of the request it was written
# in ("-" outside a request; portability_site/logs.py). LOG_FORMAT=json writes each as one JSON
# object for a log collector (docker-compose.yml sets it); "plain" reads best in a terminal.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # On the handler, not a logger: it then sees every record, from any library's logger.
    "filters": {"request_id": {"()": "portability_site.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "portability_site.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # gunicorn's access log (the Dockerfile turns it on) in the same format, written once.
    "loggers": {"gunicorn.access": {"handlers": ["console"], "propagate": False}},
}
# Celery's workers and beat keep the LOGGING above instead of replacing the root logger's
# handlers with their own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
