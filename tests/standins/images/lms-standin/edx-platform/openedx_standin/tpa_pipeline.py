"""STAND-IN of edx-platform's third-party-auth pipeline (common/djangoapps/third_party_auth/
settings.py `_SOCIAL_AUTH_PIPELINE`, pipeline.py), the steps that decide what a login or a
registration through `ol-oauth2` does; the social_core steps between them are the real ones.

- parse_query_params: the session's `auth_entry` must be one of upstream's entry points;
- associate_by_email_if_login_api: only for auth_entry=login_api, only an active user;
- ensure_user_information (@partial):
  * a user is known (already linked, or passed in by the registration API) -> continue;
  * no user, and the details name an existing account (username or email) -> /login;
  * no user, API entry -> 400; auth_entry=login -> /register when the provider row has
    skip_email_verification or send_to_registration_first, else /login; auth_entry=register ->
    /register (the registration page then creates the account and resumes this pipeline).
Left out: set_pipeline_timeout, user_details_force_sync (sync_learner_profile_data),
set_id_verification_status, login_analytics, ensure_redirect_url_is_safe,
the enterprise and SAML steps. set_logged_in_cookies is in cookies.py (set_logged_in_cookies_step).
"""
from django.contrib.auth import get_user_model
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from social_core.exceptions import AuthException
from social_core.pipeline.partial import partial
from social_core.pipeline.social_auth import associate_by_email

from openedx_standin.tpa_strategy import current_provider

AUTH_ENTRY_KEY = "auth_entry"
AUTH_ENTRY_LOGIN = "login"
AUTH_ENTRY_REGISTER = "register"
AUTH_ENTRY_ACCOUNT_SETTINGS = "account_settings"
AUTH_ENTRY_LOGIN_API = "login_api"
AUTH_ENTRY_REGISTER_API = "register_api"
AUTH_DISPATCH_URLS = {AUTH_ENTRY_LOGIN: "/login", AUTH_ENTRY_REGISTER: "/register"}
_AUTH_ENTRY_CHOICES = frozenset(
    [AUTH_ENTRY_LOGIN, AUTH_ENTRY_REGISTER, AUTH_ENTRY_ACCOUNT_SETTINGS, AUTH_ENTRY_LOGIN_API, AUTH_ENTRY_REGISTER_API]
)


class AuthEntryError(AuthException):
    """pipeline.py AuthEntryError: a missing or unknown auth_entry."""


def is_api(auth_entry):
    return auth_entry in (AUTH_ENTRY_LOGIN_API, AUTH_ENTRY_REGISTER_API)


def parse_query_params(strategy, response, *args, **kwargs):
    auth_entry = strategy.request.session.get(AUTH_ENTRY_KEY)
    if auth_entry not in _AUTH_ENTRY_CHOICES:
        raise AuthEntryError(strategy.request.backend, "auth_entry missing or invalid")
    return {"auth_entry": auth_entry}


def associate_by_email_if_login_api(auth_entry, backend, details, user, *args, **kwargs):
    if auth_entry == AUTH_ENTRY_LOGIN_API:
        association = associate_by_email(backend, details, user, *args, **kwargs)
        if association and association.get("user") and association["user"].is_active:
            return association
    return None


def user_exists(details):
    """pipeline.py user_exists: an account with the details' username, else with its email."""
    User = get_user_model()
    query = {}
    if details.get("username"):
        query["username"] = details["username"]
    elif details.get("email"):
        query["email"] = details["email"]
    return bool(query) and User.objects.filter(**query).exists()


@partial
def ensure_user_information(strategy, auth_entry, backend=None, user=None, social=None, current_partial=None,
                            allow_inactive_user=False, details=None, *args, **kwargs):
    if user:
        return None  # inactive users go on too (SOCIAL_AUTH_INACTIVE_USER_LOGIN)
    if user_exists(details or {}):
        return redirect(AUTH_DISPATCH_URLS[AUTH_ENTRY_LOGIN])
    if is_api(auth_entry):
        return HttpResponseBadRequest()
    if auth_entry == AUTH_ENTRY_LOGIN:
        provider = current_provider(current_partial.backend)
        if provider and (provider.skip_email_verification or provider.send_to_registration_first):
            return redirect(AUTH_DISPATCH_URLS[AUTH_ENTRY_REGISTER])
        return redirect(AUTH_DISPATCH_URLS[AUTH_ENTRY_LOGIN])
    if auth_entry == AUTH_ENTRY_REGISTER:
        return redirect(AUTH_DISPATCH_URLS[AUTH_ENTRY_REGISTER])
    raise AuthEntryError(backend, "auth_entry invalid")




def running(request):
    """pipeline.running: a partial pipeline is stored in this session."""
    return bool(request.session.get("partial_pipeline_token"))


def get_complete_url(backend_name):
    return f"/auth/complete/{backend_name}/"
