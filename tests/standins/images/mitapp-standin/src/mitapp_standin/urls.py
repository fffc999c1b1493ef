from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from mitapp_standin import signin, views

urlpatterns = [
    path("health/liveness/", views.liveness),
    path("api/users/me", views.users_me),
    path("api/users/me/", views.users_me),
    path("oauth2/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("admin/", admin.site.urls),
    path("logout", views.logout),
]
if settings.STANDIN_APP == "xpro":
    urlpatterns += [
        path("", include("courseware.urls")),
        path("signin/", signin.signin, name="login"),
    ]
if settings.STANDIN_APP == "mitxonline":
    urlpatterns += [
        path("", include("openedx.urls")),
        path("login/", signin.gateway_login, name="gateway-login"),
        path(".well-known/openid-configuration", views.openid_configuration),
        path("api/v0/userinfo/", views.userinfo),
        path("dashboard", views.dashboard),
        path("dashboard/", views.dashboard),
        path("logout/complete", views.logged_out),
    ]
