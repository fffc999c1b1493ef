"""mitodl/mitxonline@b3c9730 openedx/views.py:24: the landing page of the token dance's redirect."""

from django.http import HttpResponse


def openedx_private_auth_complete(request):
    return HttpResponse(status=200)
