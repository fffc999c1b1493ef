"""Django settings of the Keycloak stand-in.

Everything the process needs comes from Keycloak's own configuration: KC_DB, KC_DB_URL
(jdbc:postgresql://host:port/db), KC_DB_USERNAME, KC_DB_PASSWORD. kcstandin.main checks them
and the command line before Django is set up, and passes --hostname as KC_STANDIN_HOSTNAME.
"""

from __future__ import annotations

import os
import re
import secrets

_JDBC = re.compile(r"^jdbc:postgresql://(?P<host>[^:/?]+)(?::(?P<port>\d+))?/(?P<name>[^?]+)(?:\?.*)?$")


def parse_jdbc_url(url: str) -> dict[str, str]:
    """jdbc:postgresql://keycloak-db:5432/keycloak -> {host, port, name}; ValueError otherwise."""
    match = _JDBC.match(url or "")
    if not match:
        raise ValueError(f"KC_DB_URL {url!r} is not jdbc:postgresql://HOST[:PORT]/DATABASE")
    return {"host": match["host"], "port": match["port"] or "5432", "name": match["name"]}


_db = parse_jdbc_url(os.environ.get("KC_DB_URL", "jdbc:postgresql://localhost:5432/keycloak"))

# Login-form tokens are signed with this. Like Keycloak's in-memory authentication sessions
# (start-dev), a login page that was open across a restart has to be reloaded.
SECRET_KEY = secrets.token_urlsafe(48)
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "kcstandin.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
APPEND_SLASH = False

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "kcstandin",
    "oauth2_provider",
]
MIDDLEWARE: list[str] = []  # no CSRF/session middleware: Keycloak has its own cookies, so does this
TEMPLATES: list[dict] = []

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": _db["host"],
        "PORT": _db["port"],
        "NAME": _db["name"],
        "USER": os.environ.get("KC_DB_USERNAME", ""),
        "PASSWORD": os.environ.get("KC_DB_PASSWORD", ""),
        "CONN_MAX_AGE": 0,
        "OPTIONS": {"connect_timeout": 5},
    }
}

AUTH_USER_MODEL = "kcstandin.User"
AUTHENTICATION_BACKENDS = ["kcstandin.validator.RealmUserBackend"]
# Users are unique per realm (realm, username), as in Keycloak, not by username alone.
SILENCED_SYSTEM_CHECKS = ["auth.E003", "auth.W004"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]

OAUTH2_PROVIDER_APPLICATION_MODEL = "kcstandin.Client"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "PKCE_REQUIRED": False,  # Keycloak accepts PKCE but does not require it by default
    "ACCESS_TOKEN_EXPIRE_SECONDS": 300,  # Keycloak's accessTokenLifespan default
    "ID_TOKEN_EXPIRE_SECONDS": 300,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 1800,  # ssoSessionIdleTimeout default
    "ROTATE_REFRESH_TOKEN": True,
    "ACCESS_TOKEN_GENERATOR": "kcstandin.tokens.access_token_generator",
    "REFRESH_TOKEN_GENERATOR": "oauthlib.oauth2.rfc6749.tokens.random_token_generator",
    "OAUTH2_VALIDATOR_CLASS": "kcstandin.validator.RealmValidator",
    "SCOPES_BACKEND_CLASS": "kcstandin.validator.RealmScopes",
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
}

KC_HOSTNAME = os.environ.get("KC_STANDIN_HOSTNAME", "http://localhost:8080").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"kc": {"format": "%(asctime)s %(levelname)-5s [%(name)s] %(message)s"}},
    "handlers": {"out": {"class": "logging.StreamHandler", "formatter": "kc", "stream": "ext://sys.stdout"}},
    "root": {"handlers": ["out"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "oauthlib": {"level": "WARNING"},
        "oauth2_provider": {"level": "WARNING"},
    },
}
