"""Runs INSIDE the stack's LMS container (python of the LMS stand-in, `requests`), fed a JSON
object on stdin: {"app_url", "lms_url", "username", "password", "login": "admin"|"gateway"}.

A browser's authorization-code round trip through the real `ol_social_auth.backends.OLOAuth2`
backend, with only hostnames of the stack (aliases on its network):
  1. log in to the MIT app:
     - "admin": Django admin login form (session + CSRF), as on a stack without a gateway;
     - "gateway" (--apisix): GET the app's /login/ through APISIX -> 302 to Keycloak's
       authorization endpoint -> its login form (form#kc-form-login), POSTed with the user's
       credentials -> 302 to APISIX's /.apisix/redirect callback (code exchange) -> 302 /login/
       -> 302 /dashboard, where the app names the user it made from APISIX's X-Userinfo;
  2. GET the LMS's /auth/login/ol-oauth2/?auth_entry=login -> 302 to the app's
     /oauth2/authorize/ (URL from the provider row) -> skip_authorization -> 302 back to
     /auth/complete/ol-oauth2/?code=... -> the LMS exchanges the code at the app's token URL
     server-side, reads the user from the app's userinfo URL; a user already linked is logged
     in; a new one is sent to /register (edX's ensure_user_information, the provider skipping
     email verification), whose form the legacy page's JS submits by itself (skip_registration_form):
     this script does what that JS does (POST the pre-filled form to the registration API, then
     GET the pipeline's finish URL), and the resumed pipeline links and logs the user in;
  3. GET the LMS's /api/user/v1/me with the LMS session -> the app user's username.
Prints one JSON line: {"ok": bool, "hops": [...], "app_user": {...}, "me": {...}, "error": "..."}."""

import html
import json
import re
import sys
from urllib.parse import urljoin, urlsplit

import requests

cfg = json.load(sys.stdin)
out = {"ok": False, "hops": []}
s = requests.Session()


def follow(url, method="GET", data=None, limit=12):
    """Request `url` and follow redirects by hand, recording each hop; the last response."""
    for _ in range(limit):
        r = s.request(method, url, data=data, timeout=60, allow_redirects=False)
        parts = urlsplit(url)
        out["hops"].append(f"{r.status_code} {parts.scheme}://{parts.netloc}{parts.path}")
        if r.status_code not in (301, 302, 303, 307):
            return r
        url, method, data = urljoin(url, r.headers["Location"]), "GET", None
    raise RuntimeError(f"more than {limit} redirects")


def login_admin():
    login = f"{cfg['app_url']}/admin/login/"
    r = s.get(login, timeout=30)
    r.raise_for_status()
    token = s.cookies.get("csrftoken")
    r = s.post(
        login,
        data={"username": cfg["username"], "password": cfg["password"], "csrfmiddlewaretoken": token, "next": "/admin/"},
        headers={"Referer": login},
        timeout=30,
        allow_redirects=False,
    )
    if r.status_code != 302:
        raise RuntimeError(f"app login failed: HTTP {r.status_code}")
    me = s.get(f"{cfg['app_url']}/api/users/me", timeout=30)
    return me.json()


def login_gateway():
    r = follow(f"{cfg['app_url']}/login/")
    form = re.search(r'<form[^>]*id="kc-form-login"[^>]*>(.*?)</form>', r.text, re.S)
    if r.status_code != 200 or not form:
        raise RuntimeError(f"no Keycloak login form after {out['hops']}: HTTP {r.status_code} {r.text[:300]}")
    action = html.unescape(re.search(r'action="([^"]+)"', form.group(0)).group(1))
    fields = {
        html.unescape(n): html.unescape(v) for n, v in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(1))
    }
    fields.update({"username": cfg["username"], "password": cfg["password"]})
    r = follow(urljoin(r.url, action), "POST", fields)
    if r.status_code != 200:
        raise RuntimeError(f"gateway login ended with HTTP {r.status_code}: {r.text[:300]}")
    page = r.json()
    if page.get("page") != "dashboard" or not page.get("username"):
        raise RuntimeError(f"the app's dashboard does not know the user after the gateway login: {page}")
    return page


def register_like_the_page(r):
    """The legacy /register page with a running pipeline: submit its pre-filled form (as its JS
    does when the provider skips the registration form), then resume at the finish URL."""
    form = re.search(r'<form[^>]*id="register"[^>]*>(.*?)</form>', r.text, re.S)
    if not form or 'data-auto-submit="true"' not in form.group(0):
        raise RuntimeError(f"/register has no self-submitting form: {r.text[:300]}")
    attr = lambda name: html.unescape(re.search(name + r'="([^"]*)"', form.group(0)).group(1))  # noqa: E731
    fields = {
        html.unescape(n): html.unescape(v) for n, v in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(1))
    }
    reg = s.post(urljoin(r.url, attr("action")), data=fields, timeout=60, allow_redirects=False)
    parts = urlsplit(reg.url)
    out["hops"].append(f"{reg.status_code} {parts.scheme}://{parts.netloc}{parts.path} (POST)")
    if reg.status_code != 200:
        raise RuntimeError(f"registration from /register answered HTTP {reg.status_code}: {reg.text[:300]}")
    return follow(urljoin(r.url, attr("data-finish-auth-url")))


try:
    out["app_user"] = login_gateway() if cfg.get("login") == "gateway" else login_admin()
    r = follow(f"{cfg['lms_url']}/auth/login/ol-oauth2/?auth_entry=login")
    if r.status_code == 200 and urlsplit(r.url).path == "/register":
        r = register_like_the_page(r)
    if r.status_code != 200:
        raise RuntimeError(f"round trip ended with HTTP {r.status_code}: {r.text[:300]}")
    me = s.get(f"{cfg['lms_url']}/api/user/v1/me", timeout=30)
    out["me"] = me.json() if me.headers.get("Content-Type", "").startswith("application/json") else me.text[:200]
    out["ok"] = me.status_code == 200 and out["me"].get("username") == out["app_user"].get("username")
    if not out["ok"]:
        out["error"] = f"/api/user/v1/me answered HTTP {me.status_code}: {out['me']}"
except Exception as exc:
    out["error"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
