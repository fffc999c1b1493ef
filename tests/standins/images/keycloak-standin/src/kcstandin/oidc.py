"""Keycloak 26's OpenID Connect endpoints of a realm, on django-oauth-toolkit/oauthlib.

/realms/{realm}/.well-known/openid-configuration and /realms/{realm}/protocol/openid-connect/
{auth, token, userinfo, certs, logout}, plus the login form's /login-actions/authenticate.
Every URL written into a document or a redirect is built from --hostname (settings.KC_HOSTNAME),
never from the request's Host header, as Keycloak does with a fixed hostname.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import urllib.parse
from datetime import timedelta

from django.contrib.auth import authenticate
from django.core import signing
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.utils import timezone
from jwcrypto import jws
from oauth2_provider.models import get_refresh_token_model
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauthlib.oauth2.rfc6749 import errors as oauth_errors

from .context import set_current_realm
from .models import Client, Realm, UserSession

log = logging.getLogger("org.keycloak.events")

IDENTITY_COOKIE = "KEYCLOAK_IDENTITY"
LOGIN_SALT = "kcstandin.login"
LOGIN_MAX_AGE = 1800


# --- plumbing ------------------------------------------------------------------------------


def realm_endpoint(view):
    """Load the realm named in the URL (404 JSON as Keycloak when missing) and make it current."""

    @functools.wraps(view)
    def wrapper(request, realm, *args, **kwargs):
        found = Realm.objects.filter(name=realm).first()
        if found is None or not found.enabled:
            return JsonResponse({"error": "Realm does not exist"}, status=404)
        set_current_realm(found)
        return view(request, found, *args, **kwargs)

    return wrapper


def endpoint(realm: Realm, name: str) -> str:
    return f"{realm.issuer}/protocol/openid-connect/{name}"


def page(status: int, title: str, message: str, body_extra: str = "") -> HttpResponse:
    text = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head><body>'
        "<p><small>odl-stack Keycloak stand-in (Django + django-oauth-toolkit; NOT Keycloak)</small></p>"
        f'<h1 id="kc-page-title">{html.escape(title)}</h1><p id="instruction1" class="instruction">{html.escape(message)}</p>{body_extra}</body></html>'
    )
    response = HttpResponse(text, status=status, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store, must-revalidate, max-age=0"
    return response


def error_page(status: int, message: str) -> HttpResponse:
    log.warning('type="LOGIN_ERROR" error="%s"', message)
    return page(status, "We are sorry...", message)


def sso_session(request, realm: Realm) -> UserSession | None:
    token = request.COOKIES.get(IDENTITY_COOKIE)
    if not token:
        return None
    session = UserSession.objects.select_related("user").filter(realm=realm, token=token).first()
    if session is None or not session.user.is_active:
        return None
    idle = int(realm.setting("ssoSessionIdleTimeout", 1800))
    if session.last_access < timezone.now() - timedelta(seconds=idle):
        session.delete()
        return None
    session.save(update_fields=["last_access"])
    return session


def end_session(realm: Realm, session: UserSession) -> None:
    """Logout: the SSO session and the refresh tokens issued while it lasted stop working."""
    refresh_tokens = get_refresh_token_model().objects.filter(
        user=session.user, application__realm=realm, revoked__isnull=True, created__gte=session.started
    )
    for refresh_token in refresh_tokens:
        refresh_token.revoke()
    log.info('type="LOGOUT" realmId="%s" userId="%s" sessionId="%s"', realm.name, session.user_id, session.id)
    session.delete()


# --- discovery and keys --------------------------------------------------------------------


@realm_endpoint
def discovery(request, realm: Realm):
    issuer = realm.issuer
    scopes = ["openid", *sorted(realm.client_scopes.values_list("name", flat=True))]
    return JsonResponse(
        {
            "issuer": issuer,
            "authorization_endpoint": endpoint(realm, "auth"),
            "token_endpoint": endpoint(realm, "token"),
            "userinfo_endpoint": endpoint(realm, "userinfo"),
            "end_session_endpoint": endpoint(realm, "logout"),
            "jwks_uri": endpoint(realm, "certs"),
            "frontchannel_logout_session_supported": True,
            "frontchannel_logout_supported": True,
            "grant_types_supported": ["authorization_code", "refresh_token", "password", "client_credentials"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "scopes_supported": scopes,
            "claims_supported": [
                "aud",
                "sub",
                "iss",
                "auth_time",
                "name",
                "given_name",
                "family_name",
                "preferred_username",
                "email",
                "email_verified",
                "acr",
                "azp",
                "nonce",
            ],
        }
    )


@realm_endpoint
def certs(request, realm: Realm):
    key = realm.jwk
    public = json.loads(key.export_public())
    public.update(kid=key.thumbprint(), use="sig", alg="RS256")
    return JsonResponse({"keys": [public]})


# --- browser login -------------------------------------------------------------------------


def login_page(realm: Realm, client: Client, query: str, *, username: str = "", error: str = "") -> HttpResponse:
    session_code = signing.dumps({"realm": realm.name, "query": query}, salt=LOGIN_SALT)
    action = f"{realm.issuer}/login-actions/authenticate?" + urllib.parse.urlencode(
        {"session_code": session_code, "client_id": client.client_id}
    )
    alert = (
        (
            f'<div class="alert-error" role="alert"><span id="input-error" class="kc-feedback-text">'
            f"{html.escape(error)}</span></div>"
        )
        if error
        else ""
    )
    form = (
        f'{alert}<form id="kc-form-login" method="post" action="{html.escape(action)}">'
        f'<label for="username">Username or email</label>'
        f'<input id="username" name="username" type="text" autofocus autocomplete="username" value="{html.escape(username)}">'
        f'<label for="password">Password</label>'
        f'<input id="password" name="password" type="password" autocomplete="current-password">'
        f'<input type="hidden" id="id-hidden-input" name="credentialId" value="">'
        f'<input type="submit" id="kc-login" name="login" value="Sign In"></form>'
    )
    title = realm.setting("displayName") or realm.name
    return page(200, f"Sign in to {title}", error or "Sign in to your account", form)


def _client_and_redirect(realm: Realm, params) -> tuple[Client | None, HttpResponse | None]:
    client_id = params.get("client_id")
    client = Client.objects.select_related("realm").filter(realm=realm, client_id=client_id).first() if client_id else None
    if client is None:
        return None, error_page(400, "Client not found.")
    if not client.is_usable(None):
        return None, error_page(400, "Client disabled.")
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri or not client.redirect_uri_allowed(redirect_uri):
        return None, error_page(400, "Invalid parameter: redirect_uri")
    if params.get("response_mode", "query") != "query":
        return None, error_page(400, "Invalid parameter: response_mode (the stand-in supports query only)")
    return client, None


def _oauth_error_redirect(error: oauth_errors.OAuth2Error) -> HttpResponse:
    if isinstance(error, oauth_errors.FatalClientError) or not error.redirect_uri:
        return error_page(400, error.description or error.error)
    return HttpResponseRedirect(error.in_uri(error.redirect_uri))


def _validate(realm: Realm, query: str):
    uri = f"{endpoint(realm, 'auth')}?{query}"
    scopes, credentials = get_oauthlib_core().server.validate_authorization_request(uri, http_method="GET", body="", headers={})
    credentials.pop("request", None)
    return uri, scopes, credentials


def issue_code(realm: Realm, session: UserSession, query: str) -> HttpResponse:
    """django-oauth-toolkit's authorization response (a Grant row), consent skipped as in Keycloak."""
    try:
        uri, scopes, credentials = _validate(realm, query)
        user = session.user
        user.last_login = session.started  # id_token auth_time = when the SSO session logged in
        credentials["user"] = user
        headers, _, status = get_oauthlib_core().server.create_authorization_response(
            uri=uri, http_method="GET", body="", headers={}, scopes=scopes, credentials=credentials
        )
    except oauth_errors.OAuth2Error as error:
        return _oauth_error_redirect(error)
    location = headers.get("Location", "")
    parts = urllib.parse.urlsplit(location)
    query_items = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    values = dict(query_items)
    if "code" not in values:  # an error redirect from oauthlib
        return HttpResponseRedirect(location)
    items = [(k, v) for k, v in query_items if k not in ("code", "state")]
    if "state" in values:
        items.append(("state", values["state"]))
    items += [("session_state", str(session.id)), ("iss", realm.issuer), ("code", values["code"])]
    log.info(
        'type="LOGIN" realmId="%s" clientId="%s" userId="%s" username="%s"',
        realm.name,
        credentials.get("client_id"),
        user.pk,
        user.username,
    )
    return HttpResponseRedirect(urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(items))))


@realm_endpoint
def auth(request, realm: Realm):
    params = request.GET
    client, problem = _client_and_redirect(realm, params)
    if problem:
        return problem
    query = request.META.get("QUERY_STRING", "")
    try:
        _validate(realm, query)  # response_type, scope... are checked before any login page
    except oauth_errors.OAuth2Error as error:
        return _oauth_error_redirect(error)
    prompt = (params.get("prompt") or "").split()
    session = sso_session(request, realm)
    if session is not None and "login" not in prompt:
        return issue_code(realm, session, query)
    if "none" in prompt:
        return _oauth_error_redirect(oauth_errors.LoginRequired(state=params.get("state"), redirect_uri=params["redirect_uri"]))
    return login_page(realm, client, query)


@realm_endpoint
def login_authenticate(request, realm: Realm):
    if request.method != "POST":
        return error_page(405, "Method not allowed.")
    try:
        flow = signing.loads(request.GET.get("session_code", ""), salt=LOGIN_SALT, max_age=LOGIN_MAX_AGE)
        if flow.get("realm") != realm.name:
            raise signing.BadSignature("other realm")
    except signing.BadSignature:
        return error_page(400, "Your login attempt timed out. Login will start from the beginning.")
    query = flow["query"]
    client, problem = _client_and_redirect(realm, QueryDict(query))
    if problem:
        return problem
    username = request.POST.get("username", "")
    user = authenticate(None, username=username, password=request.POST.get("password", ""))
    if user is None:
        log.warning(
            'type="LOGIN_ERROR" realmId="%s" clientId="%s" error="invalid_user_credentials" username="%s"',
            realm.name,
            client.client_id,
            username,
        )
        return login_page(realm, client, query, username=username, error="Invalid username or password.")
    session = UserSession.objects.create(realm=realm, user=user)
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    response = issue_code(realm, session, query)
    response.set_cookie(IDENTITY_COOKIE, session.token, path=f"/realms/{realm.name}/", httponly=True, samesite="Lax")
    return response


# --- token, userinfo -----------------------------------------------------------------------


def _oauthlib_response(body, status, headers) -> HttpResponse:
    response = HttpResponse(body or "", status=status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


@realm_endpoint
def token(request, realm: Realm):
    if request.method != "POST":
        return JsonResponse(
            {"error": "RESTEASY003650: No resource method found for GET, return 405 with Allow header"}, status=405
        )
    _, headers, body, status = get_oauthlib_core().create_token_response(request)
    try:
        data = json.loads(body or "{}")
    except ValueError:
        return _oauthlib_response(body, status, headers)
    grant_type = request.POST.get("grant_type")
    if status == 200 and "access_token" in data:
        data.setdefault("refresh_expires_in", 1800 if "refresh_token" in data else 0)
        data["not-before-policy"] = 0
        data["token_type"] = "Bearer"
    elif data.get("error") == "invalid_grant" and grant_type == "password":
        status = 401  # Keycloak: 401 invalid_grant "Invalid user credentials"
        data["error_description"] = "Invalid user credentials"
    if status != 200:
        log.warning(
            'type="CODE_TO_TOKEN_ERROR" realmId="%s" grant_type="%s" error="%s"', realm.name, grant_type, data.get("error")
        )
    response = JsonResponse(data, status=status)
    for key, value in (headers or {}).items():
        if key.lower() != "content-type":
            response[key] = value
    return response


@realm_endpoint
def userinfo(request, realm: Realm):
    _, headers, body, status = get_oauthlib_core().create_userinfo_response(request)
    if isinstance(body, dict):
        body = json.dumps(body)
    response = _oauthlib_response(body, status, headers)
    if status == 200:
        response["Content-Type"] = "application/json"
    return response


# --- logout --------------------------------------------------------------------------------


def _id_token_client(realm: Realm, hint: str) -> str | None:
    """The client an id_token_hint of this realm was issued to (signature checked, expiry not)."""
    try:
        token = jws.JWS()
        token.deserialize(hint)
        token.verify(realm.jwk)
        claims = json.loads(token.payload.decode())
    except Exception:
        return None
    if claims.get("iss") != realm.issuer:
        return None
    aud = claims.get("azp") or claims.get("aud")
    return aud[0] if isinstance(aud, list) and aud else aud


@realm_endpoint
def logout(request, realm: Realm):
    params = request.POST if request.method == "POST" else request.GET
    redirect_uri = params.get("post_logout_redirect_uri")
    hint, client_id = params.get("id_token_hint"), params.get("client_id")
    if hint:
        hinted = _id_token_client(realm, hint)
        if hinted is None:
            return error_page(400, "Invalid IDToken")
        if client_id and client_id != hinted:
            return error_page(400, "Parameter client_id different than the client for which ID Token was issued")
        client_id = hinted
    client = None
    if redirect_uri:
        if not client_id:
            return error_page(400, "Missing parameters: id_token_hint")
        client = Client.objects.filter(realm=realm, client_id=client_id).first()
        if client is None:
            return error_page(400, "Invalid parameter: client_id")
        if not client.post_logout_redirect_uri_allowed(redirect_uri):
            return error_page(400, "Invalid redirect uri")
    session = sso_session(request, realm)
    if session is not None:
        end_session(realm, session)
    if redirect_uri:
        if params.get("state"):
            redirect_uri = f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}" + urllib.parse.urlencode(
                {"state": params["state"]}
            )
        response = HttpResponseRedirect(redirect_uri)
    else:
        response = page(200, "You are logged out", "You are logged out")
    response.delete_cookie(IDENTITY_COOKIE, path=f"/realms/{realm.name}/")
    return response
