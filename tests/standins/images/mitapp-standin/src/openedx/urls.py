"""mitodl/mitxonline@b3c9730 openedx/urls.py:7-17 (both private complete URLs)."""

from django.urls import path

from openedx import views

urlpatterns = [
    path("login/_private/complete", views.openedx_private_auth_complete, name="openedx-private-oauth-complete"),
    path("_/auth/complete", views.openedx_private_auth_complete, name="openedx-private-oauth-complete-no-apisix"),
]
