"""The LMS endpoints the stack, the bootstrap and the engine tests use.

- /heartbeat: like edx-platform's heartbeat, checks the SQL database and answers JSON;
- the REST endpoints are in user_api.py, registration in registration.py;
- /dashboard: where the third-party-auth login lands (shows who is logged in).
"""
from django.db import connection
from django.http import HttpResponse, JsonResponse


def heartbeat(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status, code = "OK", 200
    except Exception as exc:  # noqa: BLE001
        status, code = f"ERROR: {exc}", 503
    return JsonResponse({"sql": {"status": code == 200, "message": status}, "standin": True}, status=code)


def dashboard(request):
    if not request.user.is_authenticated:
        return HttpResponse("not logged in (LMS stand-in)", status=401, content_type="text/plain")
    return HttpResponse(f"LMS stand-in dashboard: logged in as {request.user.username}", content_type="text/plain")


def auth_error(request):
    return HttpResponse("third-party auth error (LMS stand-in)", status=400, content_type="text/plain")
