"""Endpoints of the MIT apps that the LMS, the bootstrap and the tests call."""

from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from oauth2_provider.oauth2_backends import get_oauthlib_core


def liveness(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "up", "standin": settings.STANDIN_APP})


def _user(request):
    if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer "):
        valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
        return oauth_request.user if valid else None
    return request.user if request.user.is_authenticated else None


def users_me(request):
    """/api/users/me (both apps): the user behind the session or the DOT bearer token."""
    user = _user(request)
    if user is None:
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=403)
    return JsonResponse({"id": user.id, "username": user.username, "email": user.email, "name": user.name})


def userinfo(request):
    """/api/v0/userinfo/ (MITx Online, the discovery doc's userinfo_endpoint)."""
    return users_me(request)


def openid_configuration(request):
    """MITx Online: authorization on the browser URL, token/userinfo on the container URL."""
    return JsonResponse(
        {
            "issuer": settings.SITE_BASE_URL,
            "authorization_endpoint": f"{settings.SITE_BASE_URL}/oauth2/authorize/",
            "token_endpoint": f"{settings.DOCKER_BASE_URL}/oauth2/token/",
            "userinfo_endpoint": f"{settings.DOCKER_BASE_URL}/api/v0/userinfo/",
            "response_types_supported": ["code"],
            "scopes_supported": list(settings.OAUTH2_PROVIDER["SCOPES"]),
        }
    )


def gateway_logout(request):
    """MITx Online's /logout (authentication/api_gateway/views.py:145-170,
    `OpenedxAndApiGatewayLogoutView`): from the LMS logout page's iframe (`?no_redirect=1`) it sends a
    signed-in user on to APISIX's /logout/oidc (anyone else to the site root); otherwise it sends
    the browser to the LMS's logout page, which frames this URL, then comes back here."""
    if request.GET.get("no_redirect", "")[:1] == "1":
        if request.user.is_authenticated:
            return HttpResponseRedirect(f"{settings.SITE_BASE_URL}/logout/oidc")
        return HttpResponseRedirect(settings.SITE_BASE_URL)
    return HttpResponseRedirect(f"{settings.LOGOUT_REDIRECT_URL}?{urlencode({'redirect_url': settings.SITE_BASE_URL})}")


def dashboard(request):
    """MITx Online's /dashboard (APISIX's login route lands here): who the app thinks you are."""
    user = request.user if request.user.is_authenticated else None
    return JsonResponse(
        {
            "page": "dashboard",
            "username": user.username if user else None,
            "email": user.email if user else None,
            "global_id": getattr(user, "global_id", None),
        }
    )


def logged_out(request):
    """The post-logout page APISIX sends the browser to after Keycloak's end-session."""
    return JsonResponse({"page": "logged out", "authenticated": request.user.is_authenticated})
