"""STAND-IN of edx-platform's third-party-auth pipeline (common/djangoapps/third_party_auth/
settings.py `_SOCIAL_AUTH_PIPELINE`, pipeline.py, utils.py), the steps that decide what a login or a
registration through `ol-oauth2` does; the social_core steps between them are the real ones. By
upstream function:

- parse_query_params: the session's `auth_entry`, `login` when there is none ("a non-standard
  workflow"), AuthEntryError when it is not one of upstream's entry points;
- associate_by_email_if_login_api: only for auth_entry=login_api, only an active user
  (utils.py get_associated_user_by_email_response over social_core's associate_by_email);
- associate_by_email_if_oauth: for a provider whose provider_id starts with `oa2`
  (utils.py is_oauth_provider), an ACTIVE user whose email equals the provider's is linked;
- ensure_user_information (@partial):
  * a user is known (already linked, matched by email, or passed in by the registration API) -> continue;
  * no user, and the details name an existing account (utils.py user_exists: the email when there
    is one, else the username, case-insensitively) -> /login;
  * no user, API entry -> 400; auth_entry=login -> /register when the provider row has
    skip_email_verification or send_to_registration_first, else /login; auth_entry=register ->
    /register (the registration page then creates the account and resumes this pipeline);
- user_details_force_sync: with the provider's sync_learner_profile_data, a details value that
  differs from the user's own (username excepted) overwrites it, unless another account already
  holds it (email); the notification mail to the old and new address is not sent, and the
  UserProfile fields (fullname, country) are not there (no UserProfile in the stand-in);
- set_id_verification_status: with the provider's enable_sso_id_verification, an approved
  SSOVerification of the user for this provider (type = the provider's full class name, its slug)
  is made unless one newer than earliest_allowed_verification_date exists (see
  lms/djangoapps/verify_student/models.py); send_approval_signal is not mimicked;
- set_logged_in_cookies (@partial): outside the API entries, a user with an UNUSABLE password is
  logged out and answered 403 "Your account is disabled"; else, when the login cookies are not
  set yet, a redirect back to the complete URL sets them (user_authn/cookies.py, see cookies.py).
Left out (tests/engine/README.md): set_pipeline_timeout, login_analytics, ensure_redirect_url_is_safe, the enterprise and SAML steps.
"""

import logging

from django.contrib.auth import get_user_model, logout
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from social_core.exceptions import AuthException
from social_core.pipeline.partial import partial
from social_core.pipeline.social_auth import associate_by_email
from third_party_auth.models import OAuth2ProviderConfig
from third_party_auth.provider import Registry

from openedx_standin import cookies

logger = logging.getLogger(__name__)

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
    """pipeline.py AuthEntryError: an unknown auth_entry."""


def is_api(auth_entry):
    return auth_entry in (AUTH_ENTRY_LOGIN_API, AUTH_ENTRY_REGISTER_API)


def parse_query_params(strategy, response, *args, **kwargs):
    auth_entry = strategy.request.session.get(AUTH_ENTRY_KEY) or AUTH_ENTRY_LOGIN
    if auth_entry not in _AUTH_ENTRY_CHOICES:
        raise AuthEntryError(strategy.request.backend, "auth_entry invalid")
    return {"auth_entry": auth_entry}


def _associated_user_by_email(backend, details, user, *args, **kwargs):
    """utils.py get_associated_user_by_email_response: (association, the user is active)."""
    association = associate_by_email(backend, details, user, *args, **kwargs)
    if association and association.get("user"):
        return association, association["user"].is_active
    return None, False


def associate_by_email_if_login_api(auth_entry, backend, details, user, *args, **kwargs):
    if auth_entry == AUTH_ENTRY_LOGIN_API:
        association, active = _associated_user_by_email(backend, details, user, *args, **kwargs)
        if active:
            return association
    return None


def is_oauth_provider(backend_name, **kwargs):
    provider = Registry.get_from_pipeline({"backend": backend_name, "kwargs": kwargs})
    return bool(provider) and provider.provider_id.startswith(OAuth2ProviderConfig.prefix)


def associate_by_email_if_oauth(auth_entry, backend, details, user, strategy, *args, **kwargs):
    if is_oauth_provider(backend.name, **kwargs):
        association, active = _associated_user_by_email(backend, details, user, *args, **kwargs)
        if active:
            return association
    return None


def user_exists(details):
    User = get_user_model()
    email, username = details.get("email"), details.get("username")
    if email:
        return User.objects.filter(email=email).exists()  # student/models.py email_exists_or_retired
    if username:
        return User.objects.filter(username__iexact=username).exists()
    return False


@partial
def ensure_user_information(
    strategy,
    auth_entry,
    backend=None,
    user=None,
    social=None,
    current_partial=None,
    allow_inactive_user=False,
    details=None,
    *args,
    **kwargs,
):
    if user:
        return None  # inactive users go on too (SOCIAL_AUTH_INACTIVE_USER_LOGIN)
    if user_exists(details or {}):
        return redirect(AUTH_DISPATCH_URLS[AUTH_ENTRY_LOGIN])
    if is_api(auth_entry):
        return HttpResponseBadRequest()
    if auth_entry == AUTH_ENTRY_LOGIN:
        provider = Registry.get_from_pipeline({"backend": current_partial.backend, "kwargs": kwargs})
        if provider and (provider.skip_email_verification or provider.send_to_registration_first):
            return redirect(AUTH_DISPATCH_URLS[AUTH_ENTRY_REGISTER])
        return redirect(AUTH_DISPATCH_URLS[AUTH_ENTRY_LOGIN])
    if auth_entry == AUTH_ENTRY_REGISTER:
        return redirect(AUTH_DISPATCH_URLS[AUTH_ENTRY_REGISTER])
    raise AuthEntryError(backend, "auth_entry invalid")


def user_details_force_sync(auth_entry, strategy, details, user=None, *args, **kwargs):
    provider = Registry.get_from_pipeline({"backend": strategy.request.backend.name, "kwargs": kwargs})
    if not (user and provider and provider.sync_learner_profile_data):
        return
    User = get_user_model()
    changed = {}
    for field in [f for f in details if hasattr(user, f) and f != "username"]:
        value, current = details.get(field), getattr(user, field)
        if value is None or value == current:
            continue
        if field == "email" and User.objects.filter(email=value).exists():
            logger.warning("[THIRD_PARTY_AUTH] Profile data synchronization conflict. UserId: %s, ConflictField: email", user.id)
            continue
        changed[field] = current
        setattr(user, field, value)
    if changed:
        strategy.storage.user.changed(user)


def set_id_verification_status(auth_entry, strategy, details, user=None, *args, **kwargs):
    from lms.djangoapps.verify_student.models import SSOVerification, earliest_allowed_verification_date

    provider = Registry.get_from_pipeline({"backend": strategy.request.backend.name, "kwargs": kwargs})
    if user and provider and provider.enable_sso_id_verification:
        kind = f"{type(provider).__module__}.{type(provider).__name__}"  # ProviderConfig.full_class_name
        found = SSOVerification.objects.filter(
            user=user,
            status="approved",
            created_at__gte=earliest_allowed_verification_date(),
            identity_provider_type=kind,
            identity_provider_slug=provider.slug,
        )
        if not found:
            SSOVerification.objects.create(
                user=user,
                status="approved",
                name=user.get_full_name() or user.first_name,
                identity_provider_type=kind,
                identity_provider_slug=provider.slug,
            )


@partial
def set_logged_in_cookies(backend=None, user=None, strategy=None, auth_entry=None, current_partial=None, *args, **kwargs):
    if not is_api(auth_entry) and user is not None and user.is_authenticated:
        request = strategy.request if strategy else None
        if not user.has_usable_password():
            logout(request)
            return JsonResponse("Your account is disabled", status=403, safe=False)
        if request is not None and not cookies.are_logged_in_cookies_set(request):
            try:
                redirect_url = get_complete_url(current_partial.backend)
            except ValueError:
                return None
            return cookies.set_logged_in_cookies(request, redirect(redirect_url), user)
    return None


def running(request):
    """pipeline.running: a partial pipeline is stored in this session."""
    return bool(request.session.get("partial_pipeline_token"))


def get_complete_url(backend_name):
    """pipeline.py get_complete_url: ValueError unless a provider of that backend is enabled here."""
    if not any(Registry.get_enabled_by_backend_name(backend_name)):
        raise ValueError(f"Provider with backend {backend_name} not enabled")
    return f"/auth/complete/{backend_name}/"
