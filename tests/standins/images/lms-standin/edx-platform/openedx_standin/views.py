"""The LMS endpoints the stack, the bootstrap and the engine tests use.

- /heartbeat: like edx-platform's heartbeat, checks the SQL database and answers JSON;
- /api/user/v1/me: edx-platform's "me" endpoint, authenticating a django-oauth-toolkit
  bearer token for real (DOT's OAuthLibCore, as edx-drf-extensions' BearerAuthentication
  does) or a session; answers {"username": ...}, 401 otherwise;
- /dashboard: where the third-party-auth login lands (shows who is logged in).
"""
from django.db import connection
from django.http import HttpResponse, JsonResponse
from oauth2_provider.oauth2_backends import get_oauthlib_core


def heartbeat(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status, code = "OK", 200
    except Exception as exc:  # noqa: BLE001
        status, code = f"ERROR: {exc}", 503
    return JsonResponse({"sql": {"status": code == 200, "message": status}, "standin": True}, status=code)


def me(request):
    user = None
    if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer "):
        valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
        if valid and oauth_request.user.is_active:
            user = oauth_request.user
        else:
            return JsonResponse({"detail": "Invalid or expired bearer token."}, status=401)
    elif request.user.is_authenticated:
        user = request.user
    if user is None:
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    return JsonResponse({"username": user.username})


def dashboard(request):
    if not request.user.is_authenticated:
        return HttpResponse("not logged in (LMS stand-in)", status=401, content_type="text/plain")
    return HttpResponse(f"LMS stand-in dashboard: logged in as {request.user.username}", content_type="text/plain")


def auth_error(request):
    return HttpResponse("third-party auth error (LMS stand-in)", status=400, content_type="text/plain")
