"""Minimal MIT-app-like settings: Django 5.2, real DOT 3.x (hashed secrets), a user model with `name`."""
import os

SECRET_KEY = "test-only-not-a-secret"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "users",
    "oauth2_provider",
    "openedx",
]
AUTH_USER_MODEL = "users.User"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["ODL_TEST_DB"]}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The learner step's Open edX calls go to the tier's fake LMS; the app's own URL is the same
# host so its session cookie reaches the fake's stand-in for the app's /oauth2/authorize.
OPENEDX_API_BASE_URL = os.environ.get("ODL_TEST_LMS_URL", "http://127.0.0.1:9")
SITE_BASE_URL = OPENEDX_API_BASE_URL
SESSION_COOKIE_NAME = "mitxonline_sessionid"
SESSION_COOKIE_PATH = "/"
OPENEDX_OAUTH_PROVIDER = "ol-oauth2"
OPENEDX_API_CLIENT_ID = "test-client"
OPENEDX_API_CLIENT_SECRET = "test-secret"
OPENEDX_COURSES_SERVICE_WORKER_CLIENT_ID = os.environ.get("ODL_TEST_CC_ID")
OPENEDX_COURSES_SERVICE_WORKER_CLIENT_SECRET = os.environ.get("ODL_TEST_CC_SECRET")
