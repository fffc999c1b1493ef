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
# What Tutor's rendered settings give the LMS (partials/common_all.py JWT_AUTH): an RSA signing key,
# its public half as a one-key JWK set (as Tutor renders JWT_PUBLIC_SIGNING_JWK_SET).
import json as _json  # noqa: E402

from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from jwt.algorithms import RSAAlgorithm  # noqa: E402

_signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWT_AUTH["JWT_PRIVATE_SIGNING_JWK"] = RSAAlgorithm.to_jwk(_signing_key)  # noqa: F405
JWT_AUTH["JWT_PUBLIC_SIGNING_JWK_SET"] = _json.dumps({"keys": [RSAAlgorithm.to_jwk(_signing_key.public_key(), as_dict=True)]})  # noqa: F405
JWT_AUTH.update({"JWT_ISSUER": "http://testserver/oauth2", "JWT_AUDIENCE": "openedx"})  # noqa: F405
REGISTRATION_RATELIMIT = os.environ.get("ODL_TEST_REGISTRATION_RATELIMIT", REGISTRATION_RATELIMIT)  # noqa: F405
# What tutor-mfe's settings add (its LMS production settings).
MFE_HOST = "http://apps.testserver"
ENABLE_CATALOG_MICROFRONTEND = True
CATALOG_MICROFRONTEND_URL = MFE_HOST + "/catalog"
LEARNER_HOME_MICROFRONTEND_URL = MFE_HOST + "/learner-dashboard/"
LEARNING_MICROFRONTEND_URL = MFE_HOST + "/learning"
ENABLE_MFE_CONFIG_API = True
MFE_CONFIG = {"BASE_URL": "apps.testserver", "LMS_BASE_URL": "http://testserver"}
CORS_ALLOW_CREDENTIALS = True
CORS_ORIGIN_WHITELIST = [MFE_HOST]
