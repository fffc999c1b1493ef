"""Runs INSIDE the stack's LMS container (python of the LMS stand-in, `requests`), fed a JSON
object on stdin: {"app_url", "lms_url", "username", "password"}.

A browser's authorization-code round trip through the real `ol_social_auth.backends.OLOAuth2`
backend, with only hostnames of the stack (aliases on its network):
  1. log in to the MIT app (Django admin login form: session + CSRF);
  2. GET the LMS's /auth/login/ol-oauth2/?auth_entry=login -> 302 to the app's
     /oauth2/authorize/ (URL from the provider row) -> skip_authorization -> 302 back to
     /auth/complete/ol-oauth2/?code=... -> the LMS exchanges the code at the app's token URL
     server-side, reads the user from the app's userinfo URL, logs the user in;
  3. GET the LMS's /api/user/v1/me with the LMS session -> the app's username.
Prints one JSON line: {"ok": bool, "hops": [...], "me": {...}, "error": "..."}."""
import json
import sys
from urllib.parse import urlsplit

import requests

cfg = json.load(sys.stdin)
out = {"ok": False, "hops": []}
s = requests.Session()
try:
    login = f"{cfg['app_url']}/admin/login/"
    r = s.get(login, timeout=30)
    r.raise_for_status()
    token = s.cookies.get("csrftoken")
    r = s.post(login, data={"username": cfg["username"], "password": cfg["password"], "csrfmiddlewaretoken": token,
                            "next": "/admin/"}, headers={"Referer": login}, timeout=30, allow_redirects=False)
    if r.status_code != 302:
        raise RuntimeError(f"app login failed: HTTP {r.status_code}")
    url = f"{cfg['lms_url']}/auth/login/ol-oauth2/?auth_entry=login"
    for _ in range(10):
        r = s.get(url, timeout=60, allow_redirects=False)
        parts = urlsplit(url)
        out["hops"].append(f"{r.status_code} {parts.scheme}://{parts.netloc}{parts.path}")
        if r.status_code not in (301, 302, 303, 307):
            break
        url = requests.compat.urljoin(url, r.headers["Location"])
    if r.status_code != 200:
        raise RuntimeError(f"round trip ended with HTTP {r.status_code}: {r.text[:300]}")
    me = s.get(f"{cfg['lms_url']}/api/user/v1/me", timeout=30)
    out["me"] = me.json() if me.headers.get("Content-Type", "").startswith("application/json") else me.text[:200]
    out["ok"] = me.status_code == 200 and out["me"].get("username") == cfg["username"]
    if not out["ok"]:
        out["error"] = f"/api/user/v1/me answered HTTP {me.status_code}: {out['me']}"
except Exception as exc:  # noqa: BLE001
    out["error"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
