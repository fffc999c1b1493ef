"""The HTTP calls both apps make to Open edX, shared by the stand-in's `openedx.api` (MITx
Online) and `courseware.api` (xPro), whose upstream copies are line-for-line alike here:

- registration: POST OPENEDX_API_BASE_URL + /user_api/v1/account/registration/ (form data, the
  user's fields + provider + access_token, optional X-Access-Token header); edX answers 200 on
  success (mitxonline openedx/api.py:61,107-123,365; mitxpro courseware/api.py:52-53,185-200);
- the token dance of `create_edx_auth_token` (mitxonline openedx/api.py:530-616, mitxpro
  courseware/api.py:218-297): the app's own session cookie, GET OPENEDX_SOCIAL_LOGIN_PATH on the
  LMS (the LMS logs the user in through the app's OAuth), GET /oauth2/authorize with the LMS
  app's client id and the app's private complete URL as redirect_uri, then POST the code to
  /oauth2/access_token (openedx/api.py:698-724, courseware/api.py:336-368).
"""

from datetime import timedelta
from urllib.parse import parse_qs, urljoin, urlparse

import requests
from authentication import api as auth_api
from django.conf import settings
from django.utils import timezone

OPENEDX_REGISTER_USER_PATH = "/user_api/v1/account/registration/"
OPENEDX_OAUTH2_AUTHORIZE_PATH = "/oauth2/authorize"
OPENEDX_OAUTH2_ACCESS_TOKEN_PATH = "/oauth2/access_token"
OPENEDX_OAUTH2_SCOPES = ["read", "write"]
OPENEDX_OAUTH2_ACCESS_TOKEN_PARAM = "code"
OPENEDX_OAUTH2_ACCESS_TOKEN_EXPIRY_MARGIN_SECONDS = 10
ACCESS_TOKEN_HEADER_NAME = "X-Access-Token"


class OpenEdXOAuth2Error(Exception):
    """Upstream: openedx.exceptions / courseware.exceptions OpenEdXOAuth2Error."""


def edx_url(path):
    """openedx/utils.py:10, courseware/utils.py: edx_url."""
    return urljoin(settings.OPENEDX_API_BASE_URL, path)


def register(fields, registration_access_token=None):
    """The registration POST; returns the response (callers read the status as upstream does)."""
    session = requests.Session()
    if registration_access_token is not None:
        session.headers.update({ACCESS_TOKEN_HEADER_NAME: registration_access_token})
    return session.post(edx_url(OPENEDX_REGISTER_USER_PATH), data=fields, timeout=60)


def authorization_code(user, redirect_uri):
    """Steps 1-5 of create_edx_auth_token: the code the LMS hands the app's private complete URL."""
    with requests.Session() as req_session:
        django_session = auth_api.create_user_session(user)
        req_session.cookies.set_cookie(
            requests.cookies.create_cookie(
                name=settings.SESSION_COOKIE_NAME,
                domain=urlparse(settings.SITE_BASE_URL).hostname,
                path=settings.SESSION_COOKIE_PATH,
                value=django_session.session_key,
            )
        )
        resp = req_session.get(edx_url(settings.OPENEDX_SOCIAL_LOGIN_PATH), timeout=60)
        resp.raise_for_status()
        params = {
            "client_id": settings.OPENEDX_API_CLIENT_ID,
            "scope": " ".join(OPENEDX_OAUTH2_SCOPES),
            "redirect_uri": redirect_uri,
            "response_type": "code",
        }
        resp = req_session.get(edx_url(OPENEDX_OAUTH2_AUTHORIZE_PATH), params=params, timeout=60)
        resp.raise_for_status()
    if not resp.url.startswith(redirect_uri):
        raise OpenEdXOAuth2Error(f"Redirected to '{resp.url}', expected: '{redirect_uri}'")
    qs = parse_qs(urlparse(resp.url).query)
    if not qs.get(OPENEDX_OAUTH2_ACCESS_TOKEN_PARAM):
        raise OpenEdXOAuth2Error("Did not receive access_token from Open edX")
    return qs[OPENEDX_OAUTH2_ACCESS_TOKEN_PARAM]


def code_grant_params(code, redirect_uri):
    return {
        "code": code,
        "grant_type": "authorization_code",
        "client_id": settings.OPENEDX_API_CLIENT_ID,
        "client_secret": settings.OPENEDX_API_CLIENT_SECRET,
        "redirect_uri": redirect_uri,
    }


def post_token(params):
    """POST /oauth2/access_token; the raw response (xPro and MITx Online treat failures differently)."""
    return requests.post(edx_url(OPENEDX_OAUTH2_ACCESS_TOKEN_PATH), data=params, timeout=60)


def store_tokens(auth, result):
    """Both apps: expiry shortened by a margin, then saved on the OpenEdxApiAuth row."""
    expires_in = result["expires_in"] - OPENEDX_OAUTH2_ACCESS_TOKEN_EXPIRY_MARGIN_SECONDS
    auth.refresh_token = result["refresh_token"]
    auth.access_token = result["access_token"]
    auth.access_token_expires_on = timezone.now() + timedelta(seconds=expires_in)
    auth.save()
    return auth


def private_complete_url(url_name):
    from django.urls import reverse

    return urljoin(settings.SITE_BASE_URL, reverse(url_name))


class NoEdxApiAuthError(Exception):
    """Upstream: openedx.exceptions / courseware.exceptions NoEdxApiAuthError."""


class OpenEdxUserMissingError(Exception):
    """Upstream: openedx.exceptions OpenEdxUserMissingError (MITx Online)."""


class EdxApiEnrollErrorException(Exception):
    """Upstream: openedx.exceptions / courseware.exceptions; keeps the HTTP error."""

    def __init__(self, user, course_run, http_error):
        self.user, self.course_run, self.http_error = user, course_run, http_error
        super().__init__(f"EdX API error enrolling user {user} in {course_run}: {http_error}")


class UnknownEdxApiEnrollException(Exception):
    """Upstream: openedx.exceptions / courseware.exceptions."""

    def __init__(self, user, course_run, base_exc):
        self.user, self.course_run, self.base_exc = user, course_run, base_exc
        super().__init__(f"Unexpected error enrolling user {user} in {course_run} ({type(base_exc).__name__}: {base_exc})")


def service_client():
    """get_edx_api_service_client (mitxonline openedx/api.py:973, mitxpro courseware/api.py:521):
    the real edx-api-client with the service-worker token."""
    from django.core.exceptions import ImproperlyConfigured
    from edx_api.client import EdxApi

    if settings.OPENEDX_SERVICE_WORKER_API_TOKEN is None:
        raise ImproperlyConfigured("OPENEDX_SERVICE_WORKER_API_TOKEN is not set")
    return EdxApi(
        {"access_token": settings.OPENEDX_SERVICE_WORKER_API_TOKEN},
        settings.OPENEDX_API_BASE_URL,
        timeout=settings.EDX_API_CLIENT_TIMEOUT,
    )
