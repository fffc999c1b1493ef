"""STAND-IN of edx-platform's openedx/core/djangoapps/user_authn/cookies.py, the login cookies the
registration view and the pipeline's set_logged_in_cookies set:

- set_logged_in_cookies: for an authenticated user, settings.EDXMKTG_LOGGED_IN_COOKIE_NAME = "true",
  EDXMKTG_USER_INFO_COOKIE_NAME = JSON {version, username, email, header_urls, user_image_urls}
  (standard_cookie_settings: domain SHARED_COOKIE_DOMAIN, path /, the session's expiry), and the
  JWT split in two cookies (_create_and_set_jwt_cookies / _parse_jwt / _set_jwt_cookies):
  JWT_AUTH['JWT_AUTH_COOKIE_HEADER_PAYLOAD'] = "header.payload", JWT_AUTH['JWT_AUTH_COOKIE_SIGNATURE']
  = the signature (httponly), both for JWT_AUTH['JWT_IN_COOKIE_EXPIRATION'] seconds; the JWT is
  asymmetric (use_asymmetric_key=True) with scopes user_id, email, profile;
- are_logged_in_cookies_set: all four cookies present and the logged-in one non-empty;
- delete_logged_in_cookies: all four deleted (LogoutView.dispatch calls it).
Not mimicked (tests/engine/README.md): upstream makes a DOT access token for the login service's
application (JWT_AUTH['JWT_LOGIN_CLIENT_ID']) and builds the JWT from it (AuthFailedError without
that application); the stand-in builds the same JWT for the user directly. header_urls holds only
`logout`; user_image_urls is empty.
"""

import json
import time

from django.conf import settings
from django.utils.http import http_date

from openedx_standin.jwt_tokens import create_jwt


def _names():
    auth = settings.JWT_AUTH
    return (
        auth["JWT_AUTH_COOKIE_HEADER_PAYLOAD"],
        auth["JWT_AUTH_COOKIE_SIGNATURE"],
        settings.EDXMKTG_LOGGED_IN_COOKIE_NAME,
        settings.EDXMKTG_USER_INFO_COOKIE_NAME,
    )


JWT_DELIMITER = "."  # edx_rest_framework_extensions/auth/jwt/constants.py


def jwt_cookie_header_payload_name():
    return settings.JWT_AUTH["JWT_AUTH_COOKIE_HEADER_PAYLOAD"]


def jwt_cookie_signature_name():
    return settings.JWT_AUTH["JWT_AUTH_COOKIE_SIGNATURE"]


def delete_logged_in_cookies(response):
    for name in _names():
        response.delete_cookie(name, path="/", domain=getattr(settings, "SHARED_COOKIE_DOMAIN", None))
    return response


def are_logged_in_cookies_set(request):
    return all(name in request.COOKIES for name in _names()) and bool(request.COOKIES[settings.EDXMKTG_LOGGED_IN_COOKIE_NAME])


def _expires(cookie_settings, expires_in):
    cookie_settings.update({"max_age": expires_in, "expires": http_date(time.time() + expires_in)})


def set_logged_in_cookies(request, response, user):
    if not (user.is_authenticated and not user.is_anonymous):
        return response
    cookie_settings = {
        "domain": getattr(settings, "SHARED_COOKIE_DOMAIN", None),
        "path": "/",
        "httponly": None,
        "secure": request.is_secure(),
    }
    _expires(cookie_settings, request.session.get_expiry_age())
    response.set_cookie(settings.EDXMKTG_LOGGED_IN_COOKIE_NAME, "true", **cookie_settings)
    user_info = {
        "version": settings.EDXMKTG_USER_INFO_COOKIE_VERSION,
        "username": user.username,
        "email": user.email,
        "header_urls": {"logout": request.build_absolute_uri("/logout")},
        "user_image_urls": {},
    }
    response.set_cookie(settings.EDXMKTG_USER_INFO_COOKIE_NAME, json.dumps(user_info), **cookie_settings)
    expires_in = settings.JWT_AUTH["JWT_IN_COOKIE_EXPIRATION"]
    _expires(cookie_settings, expires_in)
    token = create_jwt(user, scopes=["user_id", "email", "profile"], expires_in=expires_in, use_asymmetric_key=True)
    header_payload, signature = token.rsplit(".", 1)
    response.set_cookie(settings.JWT_AUTH["JWT_AUTH_COOKIE_HEADER_PAYLOAD"], header_payload, **cookie_settings)
    cookie_settings["httponly"] = True
    response.set_cookie(settings.JWT_AUTH["JWT_AUTH_COOKIE_SIGNATURE"], signature, **cookie_settings)
    return response
