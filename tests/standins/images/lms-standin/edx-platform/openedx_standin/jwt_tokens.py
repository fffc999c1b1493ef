"""STAND-IN of edx-platform's openedx/core/djangoapps/oauth_dispatch/jwt.py, on the PyJWT of the
stand-in's pins:

- _create_jwt: claims aud/iss/version from settings.JWT_AUTH, exp/iat (expires_in, else
  JWT_AUTH['JWT_EXPIRATION']), grant_type, preferred_username, scopes (default email, profile),
  sub, filters, is_restricted, email_verified (= user.is_active), and per scope: user_id -> user_id,
  email -> email, profile -> name/family_name/given_name/administrator/superuser;
- _encode_and_sign: asymmetric -> json.loads(JWT_AUTH['JWT_PRIVATE_SIGNING_JWK']) with
  JWT_AUTH['JWT_SIGNING_ALGORITHM']; else JWT_AUTH['JWT_SECRET_KEY'] as an `oct` key with
  JWT_AUTH['JWT_ALGORITHM'] (PyJWK, as upstream); a missing or bad key fails here, as upstream;
- create_jwt_token_dict: the JWT of an opaque DOT token's user, `token_type` "JWT", expires_in
  JWT_ACCESS_TOKEN_EXPIRE_SECONDS (60 * 60), user_id added to the scopes of a password grant.
Not mimicked: `sub` is not anonymous_id_for_user (no AnonymousUserId table; a hash of the user id
stands in), role claims (edx-rbac), `name` is the Django user's full name (no UserProfile).
"""

import hashlib
import json
from time import time

import jwt
from django.conf import settings
from jwt import PyJWK
from jwt.utils import base64url_encode


def _encode_and_sign(payload, use_asymmetric_key):
    auth = settings.JWT_AUTH
    if use_asymmetric_key:
        key, algorithm = json.loads(auth["JWT_PRIVATE_SIGNING_JWK"]), auth["JWT_SIGNING_ALGORITHM"]
    else:
        key = {"k": base64url_encode(auth["JWT_SECRET_KEY"].encode("utf-8")).decode(), "kty": "oct"}
        algorithm = auth["JWT_ALGORITHM"]
    return jwt.encode(payload, PyJWK(key, algorithm).key, algorithm=algorithm)


def create_jwt(user, scopes=None, expires_in=None, is_restricted=False, filters=None, use_asymmetric_key=False, grant_type=None):
    auth = settings.JWT_AUTH
    scopes = scopes or ["email", "profile"]
    iat = int(time())
    payload = {
        "aud": auth["JWT_AUDIENCE"],
        "exp": iat + (expires_in or auth["JWT_EXPIRATION"]),
        "grant_type": grant_type or "",
        "iat": iat,
        "iss": auth["JWT_ISSUER"],
        "preferred_username": user.username,
        "scopes": scopes,
        "version": auth["JWT_SUPPORTED_VERSION"],
        "sub": hashlib.md5(f"{settings.SECRET_KEY}{user.id}".encode()).hexdigest(),
        "filters": filters or [],
        "is_restricted": is_restricted,
        "email_verified": user.is_active,
    }
    if "user_id" in scopes:
        payload["user_id"] = user.id
    if "email" in scopes:
        payload["email"] = user.email
    if "profile" in scopes:
        payload.update(
            {
                "name": user.get_full_name() or None,
                "family_name": user.last_name,
                "given_name": user.first_name,
                "administrator": user.is_staff,
                "superuser": user.is_superuser,
            }
        )
    return _encode_and_sign(payload, use_asymmetric_key or is_restricted)


def create_jwt_token_dict(token_dict, access_token, use_asymmetric_key=None):
    grant_type = access_token.application.authorization_grant_type if access_token.application else "unknown-error"
    scopes = token_dict["scope"].split() or ["email", "profile"]
    if grant_type == "password" and "user_id" not in scopes:
        scopes.append("user_id")
    expires_in = getattr(settings, "JWT_ACCESS_TOKEN_EXPIRE_SECONDS", 60 * 60)
    token = create_jwt(
        access_token.user, scopes=scopes, expires_in=expires_in, use_asymmetric_key=use_asymmetric_key, grant_type=grant_type
    )
    return dict(token_dict, access_token=token, token_type="JWT", expires_in=expires_in, scope=" ".join(scopes))
