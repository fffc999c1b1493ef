from django.contrib import admin
from django.urls import include, path, re_path

from openedx_standin import views

urlpatterns = [
    re_path(r"^heartbeat/?$", views.heartbeat),
    path("api/user/v1/me", views.me),
    path("dashboard", views.dashboard),
    path("auth/error", views.auth_error),
    path("auth/", include("social_django.urls", namespace="social")),
    path("oauth2/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("admin/", admin.site.urls),
    path("api/courses/", include("courses_standin.urls")),
]
