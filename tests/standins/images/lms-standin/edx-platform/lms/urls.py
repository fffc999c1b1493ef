from openedx_standin.urls import urlpatterns  # noqa: F401
