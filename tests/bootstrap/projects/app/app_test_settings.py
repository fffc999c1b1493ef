"""Minimal MIT-app-like settings: Django 5.2, real DOT 3.x (hashed secrets), a user model with `name`."""
import os

SECRET_KEY = "test-only-not-a-secret"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "users",
    "oauth2_provider",
]
AUTH_USER_MODEL = "users.User"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["ODL_TEST_DB"]}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
