"""The engine tier's LMS stand-in (tests/standins/images/lms-standin/edx-platform) on SQLite, for
the bootstrap tier's stand-in tests: its own settings base (openedx_standin/envs.py, reading the
YAML in $LMS_CFG as in the image), plus what the stack's Tutor patch adds (ol-social-auth's
backend first, the provider's client secret)."""
import os

from lms.envs.production import *  # noqa: F403

INSTALLED_APPS.remove("lms.djangoapps.coursewarehistoryextended")  # noqa: F405
DATABASE_ROUTERS = []
AUTHENTICATION_BACKENDS = ["ol_social_auth.backends.OLOAuth2"] + AUTHENTICATION_BACKENDS  # noqa: F405
SOCIAL_AUTH_OAUTH_SECRETS = {"ol-oauth2": os.environ.get("ODL_PROVIDER_CLIENT_SECRET", "")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
