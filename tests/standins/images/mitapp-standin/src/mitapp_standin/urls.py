from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path

from mitapp_standin import signin, views

urlpatterns = [
    path("health/liveness/", views.liveness),
    path("api/users/me", views.users_me),
    path("api/users/me/", views.users_me),
    path("oauth2/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("admin/", admin.site.urls),
]
if settings.STANDIN_APP == "xpro":
    urlpatterns += [
        path("", include("courseware.urls")),
        path("signin/", signin.signin, name="login"),
        # mitodl/mitxpro authentication/urls.py:39: `CustomLogoutView(LogoutView)` (views.py:143-154).
        # Its one override, `get_next_page`, is a hook Django 5.2's LogoutView no longer calls
        # (none in django/contrib/auth/views.py at 5.2.17), so it acts as Django's own view:
        # POST only (:130 `http_method_names = ["post", "options"]`, a GET is 405), CSRF-checked
        # (:134), then logged out and sent to `next` or LOGOUT_REDIRECT_URL, the LMS's /logout (:139-155).
        path("logout/", LogoutView.as_view(), name="logout"),
    ]
if settings.STANDIN_APP == "mitxonline":
    urlpatterns += [
        path("", include("openedx.urls")),
        path("login/", signin.gateway_login, name="gateway-login"),
        path("logout", views.gateway_logout),
        path(".well-known/openid-configuration", views.openid_configuration),
        path("api/v0/userinfo/", views.userinfo),
        path("dashboard", views.dashboard),
        path("dashboard/", views.dashboard),
        path("logout/complete", views.logged_out),
    ]
