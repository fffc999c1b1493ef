"""mitodl/mitxpro@92a8dcb courseware/views.py:7: the landing page of the token dance's redirect."""

from django.http import HttpResponse


def openedx_private_auth_complete(request):
    return HttpResponse(status=200)
