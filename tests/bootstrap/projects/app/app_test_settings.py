"""The MIT app side of the bootstrap tier: the engine tier's app stand-in modules (users, and the
app's Open edX module: xPro `courseware`, MITx Online `openedx`, chosen by $ODL_TEST_APP) on
SQLite, with real Django 5.2 + DOT 3.x (hashed secrets). One copy of the stand-in's code serves
both tiers (tests/standins/images/mitapp-standin/src is on sys.path, see manage.py)."""

import os

SECRET_KEY = "test-only-not-a-secret"
DEBUG = False
USE_TZ = True
STANDIN_APP = os.environ.get("ODL_TEST_APP", "xpro")
# Each app's own course models (courses/models.py), so each its own migrations.
MIGRATION_MODULES = {
    "courses": f"courses.migrations_{STANDIN_APP}",
    "ecommerce": f"ecommerce.migrations_{STANDIN_APP}",
    "users": f"users.migrations_{STANDIN_APP}",
}
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
    "users",
    {"xpro": "courseware", "mitxonline": "openedx"}[STANDIN_APP],
    "courses",
    "ecommerce",
    "localdev.seed",
    "mail",
]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
# Mail as files (Django's file backend) in the directory the test's fake Mailpit reads.
EMAIL_BACKEND = NOTIFICATION_EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ.get("ODL_TEST_MAIL_DIR", os.environ["ODL_TEST_DB"] + ".mail")
MAILGUN_FROM_EMAIL = "no-reply@app.test"
SITE_NAME = "MIT app (test)"
PASSWORD_RESET_CONFIRM_URL = "password_reset/confirm/{uid}/{token}/"
AUTH_USER_MODEL = "users.User"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["ODL_TEST_DB"]}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ROOT_URLCONF = {"xpro": "courseware.urls", "mitxonline": "openedx.urls"}[STANDIN_APP]
SITE_BASE_URL = os.environ.get("ODL_TEST_APP_URL", "http://app.test:8053")
# What the apps' Open edX functions read (see mitapp_standin/settings.py); the LMS URL is
# whatever the test points them at.
OPENEDX_OAUTH_APP_NAME = "edx-oauth-app"
OPENEDX_API_BASE_URL = os.environ.get("ODL_TEST_LMS_URL", "http://lms.test:8000")
OPENEDX_OAUTH_PROVIDER = "ol-oauth2"
OPENEDX_SOCIAL_LOGIN_PATH = "/auth/login/ol-oauth2/?auth_entry=login"
OPENEDX_API_CLIENT_ID = "test-client-id"
OPENEDX_API_CLIENT_SECRET = "test-client-secret"
OPENEDX_TOKEN_EXPIRES_HOURS = 1000
OPENEDX_SERVICE_WORKER_API_TOKEN = os.environ.get("ODL_TEST_SERVICE_WORKER_TOKEN", "test-service-worker-token")
OPENEDX_SERVICE_WORKER_USERNAME = "mitserviceworker"
EDX_API_CLIENT_TIMEOUT = 30
OPENEDX_BASE_REDIRECT_URL = OPENEDX_API_BASE_URL
OPENEDX_COURSE_BASE_URL = OPENEDX_API_BASE_URL
MITXPRO_REGISTRATION_ACCESS_TOKEN = None
MITX_ONLINE_REGISTRATION_ACCESS_TOKEN = None
FEATURES = {}
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_NAME = {"mitxonline": "mitxonline_sessionid", "xpro": "sessionid"}[STANDIN_APP]
# MITx Online's service-to-service client (main/settings.py:1314-1323), as the test sets it.
OPENEDX_COURSES_SERVICE_WORKER_CLIENT_ID = os.environ.get("ODL_TEST_CC_ID")
OPENEDX_COURSES_SERVICE_WORKER_CLIENT_SECRET = os.environ.get("ODL_TEST_CC_SECRET")
# MITx Online's "redis" cache (main/settings.py:1102), where its registration lock lives: shared by
# every process on the test's database, as Redis is by the app's processes.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "redis": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": os.environ["ODL_TEST_DB"] + ".cache"},
}
# As both apps (mitxonline main/settings.py:337, mitxpro mitxpro/settings.py:247).
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
