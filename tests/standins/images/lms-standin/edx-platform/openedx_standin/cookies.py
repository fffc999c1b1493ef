"""STAND-IN of the LMS's "logged in" cookies (edx-platform release/verawood.1
openedx/core/djangoapps/user_authn/cookies.py) and the third-party-auth pipeline step that sets
them (common/djangoapps/third_party_auth/pipeline.py `set_logged_in_cookies`). The MFEs
authenticate to the LMS with the JWT these cookies carry (frontend-platform's
AxiosJwtAuthService reads the header-payload cookie and sends `USE-JWT-COOKIE`).

- set_logged_in_cookies(request, response, user): `edxloggedin` = "true", `edx-user-info` (JSON:
  version, username, email, header_urls), then the JWT split in two: `edx-jwt-cookie-header-payload`
  (readable by the MFEs' script) and `edx-jwt-cookie-signature` (HttpOnly); every cookie on
  Domain=settings.SHARED_COOKIE_DOMAIN, path /, Secure only over https (standard_cookie_settings),
  the JWT ones expiring after JWT_AUTH["JWT_IN_COOKIE_EXPIRATION"] (_create_and_set_jwt_cookies);
- the JWT (_create_jwt -> oauth_dispatch/api.py create_dot_access_token + oauth_dispatch/jwt.py
  create_jwt_from_token, use_asymmetric_key=True): a DOT access token of the login service's
  application (client id JWT_AUTH["JWT_LOGIN_CLIENT_ID"]; none -> AuthFailedError, as upstream's
  _get_login_oauth_client) with scopes user_id, email, profile, turned into a JWT signed with
  JWT_AUTH["JWT_PRIVATE_SIGNING_JWK"] (JWT_SIGNING_ALGORITHM), claims as _create_jwt and its
  user_id/email/profile handlers write them;
- delete_logged_in_cookies(response): every one of them deleted (LogoutView.dispatch calls it);
- set_logged_in_cookies_step (@partial, pipeline.py set_logged_in_cookies): not for the API entry
  points; a user whose password is unusable is logged out and answered 403 "Your account is
  disabled"; when the cookies are not set yet, a redirect back to the pipeline's complete URL that
  sets them (the browser re-enters the pipeline, which then goes on).
Not mimicked: the CREATE_LOGON_COOKIE signal, the resume_block and profile image URLs of the user
info cookie, role claims (create_role_auth_claim_for_user), `sub` is the user id rather than the
anonymous id.
"""
import json
import secrets
import time
from datetime import timedelta

import jwt
from django.conf import settings
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import http_date
from oauth2_provider.models import AccessToken, Application
from social_core.pipeline.partial import partial

JWT_DELIMITER = "."  # edx_rest_framework_extensions/auth/jwt/constants.py
JWT_SCOPES = ["user_id", "email", "profile"]  # cookies.py _create_jwt


class AuthFailedError(Exception):
    """user_authn/exceptions.py AuthFailedError."""


def jwt_cookie_header_payload_name():
    return settings.JWT_AUTH["JWT_AUTH_COOKIE_HEADER_PAYLOAD"]


def jwt_cookie_signature_name():
    return settings.JWT_AUTH["JWT_AUTH_COOKIE_SIGNATURE"]


def all_logged_in_cookie_names():
    return (jwt_cookie_header_payload_name(), jwt_cookie_signature_name(),
            settings.EDXMKTG_LOGGED_IN_COOKIE_NAME, settings.EDXMKTG_USER_INFO_COOKIE_NAME)


def are_logged_in_cookies_set(request):
    return all(name in request.COOKIES for name in all_logged_in_cookie_names()) and \
        request.COOKIES[settings.EDXMKTG_LOGGED_IN_COOKIE_NAME]


def delete_logged_in_cookies(response):
    for name in all_logged_in_cookie_names():
        response.delete_cookie(name, path="/", domain=settings.SHARED_COOKIE_DOMAIN)
    return response


def _cookie_settings(request, expires_in):
    return {"domain": settings.SHARED_COOKIE_DOMAIN, "path": "/", "secure": request.is_secure(),
            "max_age": expires_in, "expires": http_date(time.time() + expires_in)}


def set_logged_in_cookies(request, response, user):
    if not user.is_authenticated or user.is_anonymous:
        return response
    cookie_settings = _cookie_settings(request, request.session.get_expiry_age())
    response.set_cookie(settings.EDXMKTG_LOGGED_IN_COOKIE_NAME, "true", httponly=None, **cookie_settings)
    user_info = {
        "version": settings.EDXMKTG_USER_INFO_COOKIE_VERSION, "username": user.username, "email": user.email,
        "header_urls": {"logout": request.build_absolute_uri("/logout")}, "user_image_urls": {},
    }
    response.set_cookie(settings.EDXMKTG_USER_INFO_COOKIE_NAME, json.dumps(user_info), httponly=None, **cookie_settings)
    expires_in = settings.JWT_AUTH["JWT_IN_COOKIE_EXPIRATION"]
    header_and_payload, signature = create_jwt(user, expires_in).rsplit(JWT_DELIMITER, 1)
    cookie_settings = _cookie_settings(request, expires_in)
    response.set_cookie(jwt_cookie_header_payload_name(), header_and_payload, httponly=None, **cookie_settings)
    response.set_cookie(jwt_cookie_signature_name(), signature, httponly=True, **cookie_settings)
    return response


def _login_oauth_client():
    client_id = settings.JWT_AUTH["JWT_LOGIN_CLIENT_ID"]
    try:
        return Application.objects.get(client_id=client_id)
    except Application.DoesNotExist:
        raise AuthFailedError(f"OAuth Client for the Login service, '{client_id}', is not configured.") from None


def create_jwt(user, expires_in):
    """cookies.py _create_jwt: a DOT access token for the login service, then its JWT."""
    application = _login_oauth_client()
    AccessToken.objects.create(user=user, application=application, token=secrets.token_urlsafe(30),
                               expires=timezone.now() + timedelta(seconds=expires_in), scope=" ".join(JWT_SCOPES))
    now = int(time.time())
    auth = settings.JWT_AUTH
    payload = {
        "aud": auth["JWT_AUDIENCE"], "exp": now + expires_in, "grant_type": "", "iat": now, "iss": auth["JWT_ISSUER"],
        "preferred_username": user.username, "scopes": JWT_SCOPES, "version": auth["JWT_SUPPORTED_VERSION"],
        "sub": str(user.id), "filters": [], "is_restricted": False, "email_verified": user.is_active,
        # _attach_user_id_claim, _attach_email_claim, _attach_profile_claim (UserProfile.name: the
        # stand-in keeps the registration's name in first_name, see registration.py).
        "user_id": user.id, "email": user.email, "name": user.get_full_name() or user.first_name or None,
        "family_name": user.last_name, "given_name": user.first_name,
        "administrator": user.is_staff, "superuser": user.is_superuser,
    }
    key = jwt.PyJWK(json.loads(auth["JWT_PRIVATE_SIGNING_JWK"]), auth["JWT_SIGNING_ALGORITHM"])
    return jwt.encode(payload, key.key, algorithm=auth["JWT_SIGNING_ALGORITHM"])


@partial
def set_logged_in_cookies_step(backend=None, user=None, strategy=None, auth_entry=None, current_partial=None, *args, **kwargs):
    from openedx_standin.tpa_pipeline import get_complete_url, is_api

    if is_api(auth_entry) or user is None or not user.is_authenticated:
        return None
    request = strategy.request if strategy else None
    if not user.has_usable_password():
        logout(request)
        return JsonResponse("Your account is disabled", status=403, safe=False)
    if request is not None and not are_logged_in_cookies_set(request):
        return set_logged_in_cookies(request, redirect(get_complete_url(current_partial.backend)), user)
    return None
