from django.http import JsonResponse
from django.urls import path, re_path

from . import admin_api, oidc

OIDC = "realms/<str:realm>/protocol/openid-connect/"


def not_found(request, *args, **kwargs):
    return JsonResponse({"error": "Unable to find matching target resource method"}, status=404)


urlpatterns = [
    path("realms/<str:realm>/.well-known/openid-configuration", oidc.discovery),
    path(OIDC + "auth", oidc.auth),
    path(OIDC + "token", oidc.token),
    path(OIDC + "userinfo", oidc.userinfo),
    path(OIDC + "certs", oidc.certs),
    path(OIDC + "logout", oidc.logout),
    path("realms/<str:realm>/login-actions/authenticate", oidc.login_authenticate),
    path("admin/realms", admin_api.realms),
    re_path(r"^admin/realms/(?P<realm>[^/]+)/?$", admin_api.realm_api),
    re_path(r"^admin/realms/(?P<realm>[^/]+)/(?P<rest>.+)$", admin_api.realm_api),
    re_path(r"^.*$", not_found),
]
