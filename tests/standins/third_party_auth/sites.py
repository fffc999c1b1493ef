"""STAND-IN of how edx-platform finds the current request and its Site.

- get_current_request: openedx/core/djangoapps/theming/helpers.py get_current_request, which is
  crum's (django-crum CurrentRequestUserMiddleware keeps the request in a thread local);
- get_current_site: `Site.objects.get_current(request)` as edx-django-sites-extensions patches it
  (django_sites_extensions/models.py patched_get_current): the Site whose domain is the request's
  Host header (port included), else settings.SITE_ID. Without a request (a `manage.py shell`, the
  bootstrap) that is SITE_ID, Django's default Site `example.com`.
"""

import threading

from django.conf import settings
from django.contrib.sites.models import Site

_local = threading.local()


def get_current_request():
    return getattr(_local, "request", None)


class CurrentRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _local.request = request
        try:
            return self.get_response(request)
        finally:
            _local.request = None


def get_current_site(request=None):
    request = request or get_current_request()
    if request is not None:
        site = Site.objects.filter(domain__iexact=request.get_host()).first()
        if site is not None:
            return site
    return Site.objects.get(pk=settings.SITE_ID)
