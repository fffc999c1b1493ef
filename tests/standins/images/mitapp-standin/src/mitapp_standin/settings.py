"""Settings of the MIT app stand-in (both apps; which one is in /src/.standin-app).

Behaves like the real apps where the stack depends on it (research/mit-apps.md §2,
research/apps-observed.md): refuses to start while a required variable is empty, reads
DATABASE_URL (SSL required unless <PREFIX>_DB_DISABLE_SSL) and REDIS_URL / CELERY_BROKER_URL,
serves django-oauth-toolkit 3.x with the scopes and PKCE setting the apps use, custom user
model with `name` (REQUIRED_FIELDS email, name), STATIC_ROOT /src/staticfiles."""

import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(HERE, ".standin-app")) as _f:
    STANDIN_APP = _f.read().strip()

PREFIX = {"xpro": "MITXPRO", "mitxonline": "MITX_ONLINE"}[STANDIN_APP]
REQUIRED = {
    "xpro": [
        "MITXPRO_BASE_URL",
        "SECRET_KEY",
        "MAILGUN_SENDER_DOMAIN",
        "MAILGUN_KEY",
        "MITXPRO_ADMIN_EMAIL",
        "OPENEDX_API_CLIENT_ID",
        "OPENEDX_API_CLIENT_SECRET",
        "EXTERNAL_COURSE_SYNC_API_KEY",
    ],
    "mitxonline": [
        "MITX_ONLINE_BASE_URL",
        "SECRET_KEY",
        "MAILGUN_SENDER_DOMAIN",
        "MAILGUN_KEY",
        "MITX_ONLINE_ADMIN_EMAIL",
        "OPENEDX_API_CLIENT_ID",
        "OPENEDX_API_CLIENT_SECRET",
    ],
}[STANDIN_APP]
_missing = [name for name in REQUIRED if not os.environ.get(name)]
if _missing:
    # mitol-django-common's envs.get_string(required=True) refuses to start the same way.
    raise ImproperlyConfigured("Missing required settings: " + ", ".join(_missing))


def _bool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in ("1", "true", "yes", "on")


SITE_BASE_URL = os.environ[f"{PREFIX}_BASE_URL"].rstrip("/")
DOCKER_BASE_URL = (os.environ.get("MITXONLINE_DOCKER_BASE_URL") or SITE_BASE_URL).rstrip("/")
SECRET_KEY = os.environ["SECRET_KEY"]
LOGOUT_REDIRECT_URL = os.environ.get("LOGOUT_REDIRECT_URL", "")  # the LMS's /logout (app.env)
DEBUG = False
ALLOWED_HOSTS = ["*"]

_db = dj_database_url.parse(os.environ.get("DATABASE_URL", "sqlite:////src/db.sqlite3"))
if _db["ENGINE"].endswith("postgresql") and not _bool(f"{PREFIX}_DB_DISABLE_SSL"):
    _db.setdefault("OPTIONS", {})["sslmode"] = "require"
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# Each app's own course models (courses/models.py), so each its own migrations.
MIGRATION_MODULES = {
    "courses": f"courses.migrations_{STANDIN_APP}",
    "ecommerce": f"ecommerce.migrations_{STANDIN_APP}",
    "users": f"users.migrations_{STANDIN_APP}",
}
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "oauth2_provider",
    "users",
    # The app's Open edX module: MITx Online `openedx`, xPro `courseware` (both define an
    # OpenEdxApiAuth with related name `openedx_api_auth`, so only one can be installed).
    {"xpro": "courseware", "mitxonline": "openedx"}[STANDIN_APP],
    # Both apps' `courses` and `ecommerce`; xPro's `localdev.seed` (its seed_data command).
    "courses",
    "ecommerce",
    "localdev.seed",
    # Both apps' `mail` (mail/apps.py MailApp): its api and templates.
    "mail",
    "mitapp_standin",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
if STANDIN_APP == "mitxonline":
    # After AuthenticationMiddleware, backend first: as MITx Online's settings order them.
    MIDDLEWARE.append("mitapp_standin.apigateway.ApisixUserMiddleware")
    AUTHENTICATION_BACKENDS.insert(0, "mitapp_standin.apigateway.ApisixRemoteUserBackend")
ROOT_URLCONF = "mitapp_standin.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
AUTH_USER_MODEL = "users.User"
# xPro: LOGIN_URL "/signin" (mitxpro/settings.py:250); MITx Online: "gateway-login", i.e. /login/
# behind APISIX (main/settings.py:351).
LOGIN_URL = {"xpro": "/signin/", "mitxonline": "/login/"}[STANDIN_APP]
LOGIN_REDIRECT_URL = "/"
CSRF_TRUSTED_ORIGINS = [SITE_BASE_URL]

OAUTH2_PROVIDER = {
    "SCOPES": {
        "read": "Read scope",
        "write": "Write scope",
        "user:read": "Can read user and profile data",
        "openid": "OpenID Connect scope",
    },
    "DEFAULT_SCOPES": ["user:read"],
    "PKCE_REQUIRED": False,
}

REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    # MITx Online's own Redis alias (main/settings.py:1102-1106), which its get_redis_lock
    # (main/utils.py:233) takes locks in.
    "redis": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "redis"}
    ),
    # The apps keep a database cache too; `createcachetable` creates its table.
    "durable": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "durable_cache"},
}
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or REDIS_URL
CELERY_TASK_ALWAYS_EAGER = _bool("CELERY_TASK_ALWAYS_EAGER")

STATIC_URL = "/static/"
STATIC_ROOT = "/src/staticfiles"
MEDIA_ROOT = "/var/media"
USE_TZ = True
TIME_ZONE = "UTC"
# Mail as both apps read it (mitxpro/settings.py:452-529, main/settings.py:548-636): Django's own
# backend from <PREFIX>_EMAIL_BACKEND/_HOST/_PORT/_USER/_PASSWORD/_TLS (default SMTP on localhost:25),
# the notification backend from <PREFIX>_NOTIFICATION_EMAIL_BACKEND (default anymail's Mailgun, which
# this stand-in does not install: an unset variable fails the first send, as a missing key would).
EMAIL_BACKEND = os.environ.get(f"{PREFIX}_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get(f"{PREFIX}_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get(f"{PREFIX}_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get(f"{PREFIX}_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get(f"{PREFIX}_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _bool(f"{PREFIX}_EMAIL_TLS")
DEFAULT_FROM_EMAIL = os.environ.get(f"{PREFIX}_FROM_EMAIL", "webmaster@localhost")
NOTIFICATION_EMAIL_BACKEND = os.environ.get(f"{PREFIX}_NOTIFICATION_EMAIL_BACKEND", "anymail.backends.mailgun.EmailBackend")
MAILGUN_FROM_EMAIL = os.environ.get("MAILGUN_FROM_EMAIL", "no-reply@localhost")
SITE_NAME = os.environ.get("SITE_NAME", {"xpro": "MIT xPro", "mitxonline": "MITx Online"}[STANDIN_APP])
# mitol-authentication settings/djoser_settings.py (both apps import it).
PASSWORD_RESET_CONFIRM_URL = "password_reset/confirm/{uid}/{token}/"
OPENEDX_OAUTH_APP_NAME = os.environ.get("OPENEDX_OAUTH_APP_NAME", "edx-oauth-app")

# What the apps' Open edX calls read (mitxonline main/settings.py:1240-1300, mitxpro
# mitxpro/settings.py:1040-1100; defaults as upstream's get_string/get_int).
OPENEDX_API_BASE_URL = os.environ.get("OPENEDX_API_BASE_URL", "http://edx.odl.local:18000")
OPENEDX_OAUTH_PROVIDER = os.environ.get("OPENEDX_OAUTH_PROVIDER", "mitxpro-oauth2")
OPENEDX_SOCIAL_LOGIN_PATH = os.environ.get("OPENEDX_SOCIAL_LOGIN_PATH", "/auth/login/mitxpro-oauth2/?auth_entry=login")
OPENEDX_API_CLIENT_ID = os.environ.get("OPENEDX_API_CLIENT_ID")
OPENEDX_API_CLIENT_SECRET = os.environ.get("OPENEDX_API_CLIENT_SECRET")
OPENEDX_TOKEN_EXPIRES_HOURS = int(os.environ.get("OPENEDX_TOKEN_EXPIRES_HOURS", "1000"))
OPENEDX_SERVICE_WORKER_API_TOKEN = os.environ.get("OPENEDX_SERVICE_WORKER_API_TOKEN")
OPENEDX_SERVICE_WORKER_USERNAME = os.environ.get("OPENEDX_SERVICE_WORKER_USERNAME")
EDX_API_CLIENT_TIMEOUT = int(os.environ.get("EDX_API_CLIENT_TIMEOUT", "60"))
# Where the apps' course runs link (mitxpro courses/models.py:743, mitxonline courses/utils.py:301).
OPENEDX_BASE_REDIRECT_URL = os.environ.get("OPENEDX_BASE_REDIRECT_URL", OPENEDX_API_BASE_URL)
OPENEDX_COURSE_BASE_URL = os.environ.get("OPENEDX_COURSE_BASE_URL", OPENEDX_API_BASE_URL)
MITXPRO_REGISTRATION_ACCESS_TOKEN = os.environ.get("MITXPRO_REGISTRATION_ACCESS_TOKEN")
MITX_ONLINE_REGISTRATION_ACCESS_TOKEN = os.environ.get("MITX_ONLINE_REGISTRATION_ACCESS_TOKEN")
FEATURES = {"IGNORE_EDX_FAILURES": _bool("FEATURE_IGNORE_EDX_FAILURES")}
# Both apps keep sessions in signed cookies (mitxpro/settings.py:247, main/settings.py:337): the
# session create_edx_auth_token forges inside its transaction needs no database row.
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
# MITx Online names its session cookie (main/settings.py:160); xPro keeps Django's.
SESSION_COOKIE_NAME = os.environ.get(
    "SESSION_COOKIE_NAME", {"mitxonline": "mitxonline_sessionid", "xpro": "sessionid"}[STANDIN_APP]
)
# MITx Online's service-to-service client (main/settings.py:1314-1323).
OPENEDX_COURSES_SERVICE_WORKER_CLIENT_ID = os.environ.get("OPENEDX_COURSES_SERVICE_WORKER_CLIENT_ID")
OPENEDX_COURSES_SERVICE_WORKER_CLIENT_SECRET = os.environ.get("OPENEDX_COURSES_SERVICE_WORKER_CLIENT_SECRET")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
