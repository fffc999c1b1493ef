"""STAND-IN of edx-platform's registration (openedx/core/djangoapps/user_authn/views/register.py,
release/verawood.1): POST /user_api/v1/account/registration/ (RegistrationView.post), and the
legacy /register page it is submitted from (FEATURES ENABLE_AUTHN_MICROFRONTEND is False in the
stack). Behaviour mimicked, by upstream function:

- RegistrationView.post: rate-limited per client IP (`ratelimit(key=REAL_IP_KEY,
  rate=settings.REGISTRATION_RATELIMIT, method='POST', block=False)`, counted in the default cache;
  REAL_IP_KEY is openedx/core/djangoapps/util/ratelimit.py real_ip -> edx-django-utils
  ip.get_safest_client_ip, which without trusted-proxy settings is the rightmost address of the
  chain, REMOTE_ADDR), a limited request -> 403 {"error_code": "forbidden-request"};
  honor_code doubles as terms_of_service (_handle_terms_of_service); an existing email and/or
  username -> 409 {"email"/"username": [{"user_message"}], "error_code": "duplicate-email" |
  "duplicate-username" | "duplicate-email-username"} (_handle_duplicate_email_username); a
  ValidationError -> 400 with the field errors and its error_code (_create_account); success ->
  200 {"authenticated_user": {"username", "full_name", "user_id"}, "success": true, "redirect_url"}
  (_create_response) with the login cookies set (user_authn/cookies.py set_logged_in_cookies, see
  cookies.py), and the session is logged in;
- create_account_with_params: a third-party registration (`provider` in the params, or a
  running pipeline) gets a generated password; account creation and the social link happen in
  ONE transaction (outer_atomic), so a failed link leaves no user behind; the account is
  activated when FEATURES SKIP_EMAIL_VALIDATION is set or the pipeline's provider skips email
  verification with the same email (_skip_activation_email);
- _link_user_to_third_party_provider: `provider` names the social backend, `access_token` is
  required (400 tpa-missing-access-token); the session's auth_entry becomes register_api and
  `backend.do_auth(access_token, user=user)` runs the pipeline, so the backend (ol_social_auth)
  fetches the app's user data with that token and `associate_user` links uid -> user;
  AuthAlreadyAssociated -> 400 tpa-token-already-associated; HTTPError/AuthException -> 400
  tpa-invalid-access-token.
Field validation is reduced to what the apps' calls can trip: username of 2-30 characters matching
USERNAME_REGEX_PARTIAL (`[\\w .@_+-]+`, lms/envs/common.py) under FEATURES ENABLE_UNICODE_USERNAME
(set by the stack), else letters/digits/`_`/`-` (user_api/accounts USERNAME_INVALID_CHARS_*); a
valid email, a name, and the terms accepted only when create_account_with_params's `tos_required`
says so: REGISTRATION_EXTRA_FIELDS' terms_of_service OR honor_code is not "hidden" (Tutor's
common_lms.py hides both, so the stack's LMS does not require them).
"""

import re

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.decorators import ratelimit
from requests import HTTPError
from social_core.exceptions import AuthAlreadyAssociated, AuthException
from social_django import utils as social_utils

from openedx_standin import cookies, tpa_pipeline
from openedx_standin.tpa_strategy import current_provider

REAL_IP_KEY = "openedx_standin.registration.real_ip"


def real_ip(group, request):
    """util/ratelimit.py real_ip (edx-django-utils get_safest_client_ip, no trusted proxies configured)."""
    return request.META["REMOTE_ADDR"]


def _tos_required():
    fields = getattr(settings, "REGISTRATION_EXTRA_FIELDS", {})
    return fields.get("terms_of_service") != "hidden" or fields.get("honor_code") != "hidden"


USERNAME_RE = {True: re.compile(r"^[\w .@_+-]{2,30}$"), False: re.compile(r"^[-a-zA-Z0-9_]{2,30}$")}
NEW_USER_AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _tpa_enabled():
    return bool(settings.FEATURES.get("ENABLE_THIRD_PARTY_AUTH"))


def _field_errors(params):
    errors = {}
    username, email, name = params.get("username", ""), params.get("email", ""), params.get("name", "")
    if not USERNAME_RE[bool(settings.FEATURES.get("ENABLE_UNICODE_USERNAME"))].match(username):
        errors["username"] = ["Usernames can only contain letters, numerals, and @/./+/-/_ characters (2 to 30)."]
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["A properly formatted e-mail is required"]
    if not name:
        errors["name"] = ["Your legal name must be a minimum of one character long"]
    if _tos_required() and str(params.get("terms_of_service", "")).lower() not in ("true", "1", "on", "yes"):
        errors["terms_of_service"] = ["You must accept the terms of service."]
    return errors


def _link_user_to_third_party_provider(request, user, params):
    backend_name = params["provider"]
    request.social_strategy = social_utils.load_strategy(request)
    redirect_uri = reverse("social:complete", args=(backend_name,))
    request.backend = social_utils.load_backend(request.social_strategy, backend_name, redirect_uri)
    social_access_token = params.get("access_token")
    if not social_access_token:
        raise ValidationError(
            {
                "access_token": [f"An access_token is required when passing value ({backend_name}) for provider."],
                "error_code": "tpa-missing-access-token",
            }
        )
    request.session[tpa_pipeline.AUTH_ENTRY_KEY] = tpa_pipeline.AUTH_ENTRY_REGISTER_API
    pipeline_user, error_message, error_code = None, "", None
    try:
        pipeline_user = request.backend.do_auth(social_access_token, user=user)
    except AuthAlreadyAssociated:
        error_message = "The provided access_token is already associated with another user."
        error_code = "tpa-token-already-associated"
    except (HTTPError, AuthException):
        error_message = "The provided access_token is not valid."
        error_code = "tpa-invalid-access-token"
    if not pipeline_user or not isinstance(pipeline_user, get_user_model()):
        request.social_strategy.clean_partial_pipeline(social_access_token)
        raise ValidationError({"access_token": [error_message], "error_code": error_code})


def _pipeline_details(request):
    token = request.session.get("partial_pipeline_token")
    if not token:
        return None, {}
    strategy = social_utils.load_strategy(request)
    partial = strategy.partial_load(token)
    if partial is None:
        return None, {}
    return partial.backend, partial.kwargs.get("details") or {}


def create_account_with_params(request, params):
    api_credentials = "provider" in params
    running = tpa_pipeline.running(request)
    if _tpa_enabled() and (running or api_credentials):
        params["password"] = get_random_string(32)
    errors = _field_errors(params)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            params["username"], params["email"], params.get("password") or None, is_active=False
        )
        user.first_name = params["name"][:150]
        user.save(update_fields=["first_name"])
        if _tpa_enabled() and api_credentials:
            _link_user_to_third_party_provider(request, user, params)
        login(request, user, backend=NEW_USER_AUTH_BACKEND)
        request.session.set_expiry(0)
    backend_name, details = _pipeline_details(request) if running else (None, {})
    provider = current_provider(backend_name) if backend_name else None
    if settings.FEATURES.get("SKIP_EMAIL_VALIDATION") or (
        provider and provider.skip_email_verification and details.get("email") == user.email
    ):
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


def _response(body, status, error_code=None, redirect_url=None):
    if status == 200:
        body["success"] = True
    if redirect_url:
        body["redirect_url"] = redirect_url
    if error_code:
        body["error_code"] = error_code
    return JsonResponse(body, status=status)


@csrf_exempt
@ratelimit(key=REAL_IP_KEY, rate=settings.REGISTRATION_RATELIMIT, method="POST", block=False)
def registration(request):
    if request.method != "POST":
        return HttpResponse(status=405)
    if getattr(request, "limited", False):
        return JsonResponse({"error_code": "forbidden-request"}, status=403)
    data = request.POST.dict()
    if data.get("honor_code") and "terms_of_service" not in data:
        data["terms_of_service"] = data["honor_code"]
    User = get_user_model()
    error_code, errors = "duplicate", {}
    if data.get("email") and User.objects.filter(email__iexact=data["email"]).exists():
        error_code += "-email"
        errors["email"] = [
            {
                "user_message": f"It looks like {data['email']} belongs to an existing account. Try again with a different email address."
            }
        ]
    if data.get("username") and User.objects.filter(username__iexact=data["username"]).exists():
        error_code += "-username"
        errors["username"] = [
            {
                "user_message": f"It looks like {data['username']} belongs to an existing account. Try again with a different username."
            }
        ]
    if errors:
        return _response(errors, 409, error_code)
    try:
        user = create_account_with_params(request, data)
    except ValidationError as err:
        code = err.message_dict.get("error_code", ["validation-error"])[0]
        fields = {k: [{"user_message": m} for m in v] for k, v in err.message_dict.items() if k != "error_code"}
        return _response(fields, 400, code)
    authenticated_user = {"username": user.username, "full_name": user.first_name, "user_id": user.id}
    response = _response({"authenticated_user": authenticated_user}, 200, redirect_url=request.build_absolute_uri("/dashboard"))
    return cookies.set_logged_in_cookies(request, response, user)


def register_page(request):
    """/register: the legacy combined login/registration page (student_account views +
    user_authn/views/login_form.py _third_party_auth_context). With a running pipeline the form
    is pre-filled from the provider's details, and the page's JS submits it by itself when the
    provider row has skip_registration_form (`autoSubmitRegForm`), then goes to the pipeline's
    complete URL (`finishAuthUrl`). The stand-in marks those as data attributes; a test acting
    as the browser does what the JS would."""
    backend_name, details = _pipeline_details(request)
    provider = current_provider(backend_name) if backend_name else None
    context = {
        "details": details,
        "auto_submit": bool(provider and provider.skip_registration_form),
        "finish_auth_url": tpa_pipeline.get_complete_url(backend_name) if backend_name else "",
    }
    return render(request, "openedx_standin/register.html", context)


def login_page(request):
    """/login: the legacy login page (no password login is used by the stack). Its provider buttons
    are user_authn/views/login_form.py _third_party_auth_context's: provider.py
    Registry.displayed_for_login() (ProviderConfig.display_for_login: enabled on this Site and
    `visible`), so rendering it reads, and caches, the config-models provider list."""
    from third_party_auth.provider import Registry

    backend_name, details = _pipeline_details(request)
    providers = [p for p in Registry.enabled() if p.visible]
    return render(
        request, "openedx_standin/login.html", {"backend_name": backend_name, "details": details, "providers": providers}
    )
