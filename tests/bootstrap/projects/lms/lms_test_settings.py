"""Minimal LMS-like settings: real DOT 1.7.1, django.contrib.sites, the third_party_auth stand-in."""

import os

SECRET_KEY = "test-only-not-a-secret"
DEBUG = False
USE_TZ = True
SITE_ID = 1
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sites",
    "oauth2_provider",
    "social_django",
    "third_party_auth",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["ODL_TEST_DB"]}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
# Fast hashing: the tests create users with passwords on every run.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A cache the test can read across processes (the bootstrap clears config-models keys in it).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("ODL_TEST_CACHE_DIR", os.environ["ODL_TEST_DB"] + ".cache"),
    }
}
# Mail as files (Django's file backend) in the directory the test's fake Mailpit reads; the LMS
# stand-in's password reset (openedx.core..., on sys.path: see manage.py) sends it.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ.get("ODL_TEST_MAIL_DIR", os.environ["ODL_TEST_DB"] + ".mail")
DEFAULT_FROM_EMAIL = "contact@lms.test"
SITE_NAME = "lms.test:8000"
PLATFORM_NAME = "Open edX (test)"
ALLOWED_HOSTS = ["*"]  # the tests resolve Sites from a request Host (third_party_auth/sites.py)
# As the stack's Tutor patch: the provider's backend first (third_party_auth's Registry lists only
# providers whose backend_name is an OAuth backend in AUTHENTICATION_BACKENDS).
AUTHENTICATION_BACKENDS = ["ol_social_auth.backends.OLOAuth2", "django.contrib.auth.backends.ModelBackend"]
