"""The LMS endpoints the stack, the bootstrap and the engine tests use.

- /heartbeat: like edx-platform's heartbeat, checks the SQL database and answers JSON;
- the REST endpoints are in user_api.py, registration in registration.py;
- /dashboard: where the third-party-auth login lands. common/djangoapps/student/views/dashboard.py
  student_dashboard: with the waffle flag `learner_home_mfe.enabled` on (lms/djangoapps/learner_home/
  waffle.py learner_home_mfe_enabled; tutor-mfe's LMS init creates it for everyone) a signed-in
  user is sent (302) to settings.LEARNER_HOME_MICROFRONTEND_URL; else the stand-in's page naming
  who is logged in;
- /logout: edx-platform's LogoutView and its logout.html (the IDA logout iframes);
- /: the home page a logout ends on.
"""

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import waffle
from django.conf import settings
from django.contrib.auth import logout as auth_logout
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme

from openedx_standin.cookies import delete_logged_in_cookies


def heartbeat(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status, code = "OK", 200
    except Exception as exc:
        status, code = f"ERROR: {exc}", 503
    return JsonResponse({"sql": {"status": code == 200, "message": status}, "standin": True}, status=code)


def dashboard(request):
    if not request.user.is_authenticated:
        return HttpResponse("not logged in (LMS stand-in)", status=401, content_type="text/plain")
    if waffle.flag_is_active(request, "learner_home_mfe.enabled"):
        return redirect(settings.LEARNER_HOME_MICROFRONTEND_URL)
    return HttpResponse(f"LMS stand-in dashboard: logged in as {request.user.username}", content_type="text/plain")


def auth_error(request):
    return HttpResponse("third-party auth error (LMS stand-in)", status=400, content_type="text/plain")


def index(request):
    who = request.user.username if request.user.is_authenticated else "nobody"
    return HttpResponse(f"LMS stand-in home page (signed in: {who})", content_type="text/plain")


def _logout_uri(uri):
    """LogoutView._build_logout_url: the IDA's logout URL with `no_redirect=1` added."""
    scheme, netloc, path, query, fragment = urlsplit(uri)
    params = parse_qs(query)
    params["no_redirect"] = 1
    return urlunsplit((scheme, netloc, path, urlencode(params, doseq=True), fragment))


def logout(request):
    """edx-platform openedx/core/djangoapps/user_authn/views/logout.py `LogoutView` (GET and POST):
    `dispatch` logs the user out, `target` is `redirect_url` or `next` when it is a safe redirect
    (here: Django's own check against LOGIN_REDIRECT_WHITELIST + this host) else '/',
    `get_context_data` takes settings.IDA_LOGOUT_URI_LIST minus any URI the browser came from
    (Referer) through `_build_logout_url`. Its template lms/templates/logout.html shows "You have
    signed out." and one hidden iframe per URI in #iframeContainer[data-redirect-url]; its
    js/logout.js sends the browser to that URL once every iframe has loaded. Not mimicked: the
    DOT-client URIs from the session (the stand-in's OAuth clients have no logout URIs) and the
    third-party-auth IdP logout link."""
    target = request.GET.get("redirect_url") or request.GET.get("next")
    allowed = {request.get_host(), *settings.LOGIN_REDIRECT_WHITELIST}
    if not (target and url_has_allowed_host_and_scheme(target, allowed_hosts=allowed)):
        target = "/"
    referrer = request.META.get("HTTP_REFERER", "").strip("/")
    uris = [_logout_uri(uri) for uri in settings.IDA_LOGOUT_URI_LIST if not (referrer and uri.startswith(referrer))]
    auth_logout(request)
    frames = format_html_join("", '<iframe src="{}"></iframe>', ((uri,) for uri in uris))
    page = format_html(
        "<!DOCTYPE html><html><head><title>Signed Out | LMS stand-in</title></head><body>"
        "<h1>You have signed out.</h1>"
        '<p>If you are not redirected within 5 seconds, <a href="{target}">click here to go to the home page</a>.</p>'
        '<div id="iframeContainer" style="visibility: hidden" data-redirect-url="{target}">{frames}</div>'
        "<script>{script}</script></body></html>",
        target=target,
        frames=frames,
        script=_LOGOUT_JS,
    )
    # LogoutView.dispatch: user_authn/cookies.py delete_logged_in_cookies (the JWT ones too).
    return delete_logged_in_cookies(HttpResponse(page))


# js/logout.js's behaviour: once all iframes have loaded (or after 5 s), go to the target.
_LOGOUT_JS = format_html(
    "(function () {{"
    "var box = document.getElementById('iframeContainer'), frames = box.querySelectorAll('iframe'),"
    " left = frames.length, done = false;"
    "function go() {{ if (!done) {{ done = true; window.location = box.dataset.redirectUrl; }} }}"
    "frames.forEach(function (f) {{ f.addEventListener('load', function () {{ if (--left === 0) go(); }}); }});"
    "if (left === 0) go(); setTimeout(go, 5000);"
    "}})();"
)
