"""STAND-IN settings base shared by lms/envs/production.py and cms/envs/production.py.

edx-platform's production settings read Tutor's rendered YAML (`lms.env.yml`) into
ENV_TOKENS and define hundreds of names. This defines the subset that Tutor's rendered
`envs/tutor/production.py` (the stack's DJANGO_SETTINGS_MODULE) reads or mutates, plus
what the stand-in itself runs: real Django 5.2, django-oauth-toolkit 1.7.1, Django REST framework
3.16, django.contrib.sites, social-auth-app-django, django-waffle, django-redis, Celery (the
versions of edx-platform release/verawood.1's requirements/edx/base.txt); the bootstrap's stand-in
third_party_auth app. The database is the stack's MySQL (MariaDB stand-in) via PyMySQL,
with the host/name/user/password Tutor rendered into the YAML."""

from __future__ import annotations

import os

import yaml
from corsheaders.defaults import default_headers as cors_default_headers


def _pymysql() -> None:
    import pymysql

    # Django checks mysqlclient's version; PyMySQL reports a compatible one.
    pymysql.version_info = (2, 2, 1, "final", 0)
    pymysql.install_as_MySQLdb()


def base_settings(variant: str, config_file: str) -> dict:
    with open(config_file, encoding="utf-8") as f:
        env_tokens = yaml.safe_load(f) or {}
    _pymysql()
    databases = {"default": dict(env_tokens["DATABASES"]["default"])}
    broker = "{transport}://{user}:{password}@{host}/{vhost}".format(
        transport=env_tokens.get("CELERY_BROKER_TRANSPORT", "redis"),
        user=env_tokens.get("CELERY_BROKER_USER", ""),
        password=env_tokens.get("CELERY_BROKER_PASSWORD", ""),
        host=env_tokens.get("CELERY_BROKER_HOSTNAME", "redis:6379"),
        vhost=env_tokens.get("CELERY_BROKER_VHOST", "0"),
    )
    log_dir = env_tokens.get("LOG_DIR", "/openedx/data/logs")
    lms_base = env_tokens.get("LMS_BASE", "localhost")
    lms_root = env_tokens.get("LMS_ROOT_URL", "http://" + lms_base)
    return {
        "SERVICE_VARIANT": variant,
        "CONFIG_FILE": config_file,
        "ENV_TOKENS": env_tokens,
        "_YAML_TOKENS": env_tokens,
        "SECRET_KEY": env_tokens["SECRET_KEY"],
        "DEBUG": False,
        "ALLOWED_HOSTS": ["*"],
        "DATABASES": databases,
        "DATABASE_ROUTERS": ["openedx.core.lib.django_courseware_routers.StudentModuleHistoryExtendedRouter"],
        "DEFAULT_AUTO_FIELD": "django.db.models.AutoField",
        "INSTALLED_APPS": [
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            "django.contrib.sites",
            "corsheaders",
            "oauth2_provider",
            "rest_framework",
            "social_django",
            "waffle",
            "third_party_auth",
            "openedx_standin",
            "courses_standin",
            "lms.djangoapps.coursewarehistoryextended",
            "lms.djangoapps.verify_student",
        ],
        "MIDDLEWARE": [
            # lms/envs/common.py MIDDLEWARE: CORS first, the JWT cookie before authentication.
            "corsheaders.middleware.CorsMiddleware",
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "openedx_standin.jwt_auth.JwtAuthCookieMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "third_party_auth.sites.CurrentRequestMiddleware",
        ],
        "ROOT_URLCONF": f"{variant}.urls",
        "WSGI_APPLICATION": f"{variant}.wsgi.application",
        "TEMPLATES": [
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
        ],
        "AUTHENTICATION_BACKENDS": ["django.contrib.auth.backends.ModelBackend"],
        "THIRD_PARTY_AUTH_BACKENDS": [],
        "SOCIAL_AUTH_OAUTH_SECRETS": {},
        "SOCIAL_AUTH_STRATEGY": "openedx_standin.tpa_strategy.ConfigurationModelStrategy",
        "SOCIAL_AUTH_LOGIN_REDIRECT_URL": "/dashboard",
        # common/djangoapps/third_party_auth/settings.py apply_settings: edX's pipeline, in its
        # order, less the steps tpa_pipeline.py lists as left out (the stand-in's versions of edX's
        # own steps are there); inactive users may log in; social_core's user_details never
        # overwrites the email (user_details_force_sync may).
        "SOCIAL_AUTH_PIPELINE": [
            "openedx_standin.tpa_pipeline.parse_query_params",
            "social_core.pipeline.social_auth.social_details",
            "social_core.pipeline.social_auth.social_uid",
            "social_core.pipeline.social_auth.auth_allowed",
            "social_core.pipeline.social_auth.social_user",
            "openedx_standin.tpa_pipeline.associate_by_email_if_login_api",
            "openedx_standin.tpa_pipeline.associate_by_email_if_oauth",
            "social_core.pipeline.user.get_username",
            "openedx_standin.tpa_pipeline.ensure_user_information",
            "social_core.pipeline.user.create_user",
            "social_core.pipeline.social_auth.associate_user",
            "social_core.pipeline.social_auth.load_extra_data",
            "social_core.pipeline.user.user_details",
            "openedx_standin.tpa_pipeline.user_details_force_sync",
            "openedx_standin.tpa_pipeline.set_id_verification_status",
            "openedx_standin.tpa_pipeline.set_logged_in_cookies",
        ],
        "SOCIAL_AUTH_INACTIVE_USER_LOGIN": True,
        "SOCIAL_AUTH_PROTECTED_USER_FIELDS": ["email"],
        "SOCIAL_AUTH_UUID_LENGTH": 4,
        "SOCIAL_AUTH_LOGIN_ERROR_URL": "/auth/error",
        "SOCIAL_AUTH_FIELDS_STORED_IN_SESSION": ["auth_entry", "next"],
        "SOCIAL_AUTH_JSONFIELD_ENABLED": False,
        "LOGIN_URL": "/login",
        "LOGIN_REDIRECT_URL": "/dashboard",
        "OAUTH2_PROVIDER": {
            "SCOPES": {
                "read": "Read access",
                "write": "Write access",
                "email": "Know your email address",
                "profile": "Know your name and username",
                "user_id": "Know your user identifier",
            },
            "REQUEST_APPROVAL_PROMPT": "auto_even_if_expired",
            # lms/envs/common.py OAUTH2_PROVIDER: edX's validator (oauth_dispatch.py EdxOAuth2Validator).
            "OAUTH2_VALIDATOR_CLASS": "openedx_standin.oauth_dispatch.EdxOAuth2Validator",
        },
        "SITE_ID": 1,
        "FEATURES": dict(env_tokens.get("FEATURES") or {}),
        "REGISTRATION_EXTRA_FIELDS": {},
        "IDA_LOGOUT_URI_LIST": [],
        "CORS_ORIGIN_WHITELIST": [],
        # lms/envs/common.py: the MFEs' authenticated client sends USE-JWT-COOKIE cross-origin.
        "CORS_ALLOW_HEADERS": (*cors_default_headers, "use-jwt-cookie"),
        # lms/envs/common.py defaults; Tutor's mfe plugin sets them in lms/envs/tutor/production.py.
        "ENABLE_CATALOG_MICROFRONTEND": False,
        "CATALOG_MICROFRONTEND_URL": None,
        "LEARNER_HOME_MICROFRONTEND_URL": None,
        "LEARNING_MICROFRONTEND_URL": None,
        "ENABLE_MFE_CONFIG_API": False,
        "MFE_CONFIG": {},
        "MFE_CONFIG_OVERRIDES": {},
        # lms/envs/production.py loads SESSION_COOKIE_DOMAIN from the YAML, and derive_settings
        # resolves common.py's SHARED_COOKIE_DOMAIN = Derived(SESSION_COOKIE_DOMAIN) there, BEFORE
        # Tutor's lms/envs/tutor/production.py runs: a later SESSION_COOKIE_DOMAIN leaves it as is.
        "SESSION_COOKIE_DOMAIN": env_tokens.get("SESSION_COOKIE_DOMAIN"),
        "SHARED_COOKIE_DOMAIN": env_tokens.get("SHARED_COOKIE_DOMAIN", env_tokens.get("SESSION_COOKIE_DOMAIN")),
        "CSRF_TRUSTED_ORIGINS": [],  # edx-platform's lms|cms/envs/common.py define it; tutor-mfe appends
        "LOGIN_REDIRECT_WHITELIST": [],
        "LMS_BASE": lms_base,
        "LMS_ROOT_URL": lms_root,
        "LMS_INTERNAL_ROOT_URL": lms_root,
        "CMS_BASE": env_tokens.get("CMS_BASE", ""),
        "SITE_NAME": env_tokens.get("SITE_NAME", lms_base),
        "PLATFORM_NAME": env_tokens.get("PLATFORM_NAME", "Open edX"),
        "LOG_DIR": log_dir,
        "STATIC_URL": "/static/",
        "STATIC_ROOT": os.environ.get(f"STATIC_ROOT_{variant.upper()}", "/openedx/staticfiles"),
        "MEDIA_ROOT": "/openedx/media/",
        "MODULESTORE": {"default": {"ENGINE": "stand-in", "OPTIONS": {"stores": []}}},
        "VIDEO_IMAGE_SETTINGS": {"STORAGE_KWARGS": {}},
        "VIDEO_TRANSCRIPTS_SETTINGS": {"STORAGE_KWARGS": {}},
        "PROFILE_IMAGE_BACKEND": {"class": "django.core.files.storage.FileSystemStorage", "options": {}},
        # lms/envs/common.py JWT_AUTH (the keys oauth_dispatch/jwt.py and user_authn/cookies.py read);
        # Tutor's rendered settings set the issuer, audience, secret and signing keys on top.
        "JWT_AUTH": {
            "JWT_ISSUER": "change-me",
            "JWT_AUDIENCE": "change-me",
            "JWT_SECRET_KEY": "SET-ME-PLEASE",
            "JWT_ALGORITHM": "HS256",
            "JWT_SIGNING_ALGORITHM": "RS512",
            "JWT_PRIVATE_SIGNING_JWK": None,
            "JWT_SUPPORTED_VERSION": "1.2.0",
            "JWT_EXPIRATION": 30,
            "JWT_IN_COOKIE_EXPIRATION": 60 * 60,
            "JWT_LOGIN_CLIENT_ID": "login-service-client-id",
            "JWT_AUTH_COOKIE_HEADER_PAYLOAD": "edx-jwt-cookie-header-payload",
            "JWT_AUTH_COOKIE_SIGNATURE": "edx-jwt-cookie-signature",
            # and what edx-drf-extensions' JwtAuthentication reads (openedx_standin/jwt_auth.py).
            "JWT_AUTH_HEADER_PREFIX": "JWT",
            "JWT_AUTH_COOKIE": "edx-jwt-cookie",
            "JWT_PUBLIC_SIGNING_JWK_SET": None,
        },
        "EDXMKTG_LOGGED_IN_COOKIE_NAME": "edxloggedin",
        "EDXMKTG_USER_INFO_COOKIE_NAME": "edx-user-info",
        "EDXMKTG_USER_INFO_COOKIE_VERSION": 1,
        # lms/envs/common.py: RegistrationView.post's limit per client IP (REAL_IP_KEY).
        "REGISTRATION_RATELIMIT": "60/7d",
        "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        # lms/envs/common.py EMAIL_BACKEND: Django's SMTP backend (Tutor's lms.env.yml names it too).
        "EMAIL_BACKEND": env_tokens.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
        "DEFAULT_FROM_EMAIL": env_tokens.get("DEFAULT_FROM_EMAIL", env_tokens.get("CONTACT_EMAIL", "webmaster@localhost")),
        "EMAIL_HOST": env_tokens.get("EMAIL_HOST", "localhost"),
        "EMAIL_PORT": env_tokens.get("EMAIL_PORT", 25),
        "EMAIL_USE_TLS": env_tokens.get("EMAIL_USE_TLS", False),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_DEFAULT_QUEUE": f"edx.{variant}.core.default",
        "USE_TZ": True,
        "TIME_ZONE": "UTC",
        "LANGUAGE_CODE": env_tokens.get("LANGUAGE_CODE", "en"),
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"standard": {"format": "%(asctime)s %(levelname)s %(process)d [%(name)s] %(message)s"}},
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "standard"}},
            "loggers": {
                "": {"handlers": ["console"], "level": "INFO"},
                "tracking": {"handlers": ["console"], "level": "DEBUG", "propagate": False},
            },
        },
    }
