"""A fake LMS for the bootstrap tier's learner step: the REST calls the app's functions and the
checklist make, answered from memory (the engine tier's LMS stand-in does them for real).

Shapes follow edx-platform: POST /user_api/v1/account/registration/ (200, or 409 when the user
exists), /oauth2/access_token, /api/user/v1/me and /api/user/v1/accounts/<username>
(openedx/core/djangoapps/user_api/urls.py), /api/third_party_auth/v0/users/<username>
({"active": [{"provider_id", "name", "remote_id"}]}, third_party_auth/api/views.py UserView).
/auth/login/<slug>/ stands for the whole provider round trip: it asks the app's database which
user the app session cookie belongs to, then signs that user in on the "LMS" -> /dashboard.
"""

from __future__ import annotations

import base64
import json
import secrets
import sqlite3
import threading
import zlib
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from http_fakes import QuietHandler

APP_SESSION_COOKIE = "mitxonline_sessionid"
LMS_SESSION_COOKIE = "lms_sessionid"


def _session_user_id(app_db: Path, key: str) -> int | None:
    """Django's signed session payload is base64(zlib(JSON)) before its signature."""
    with sqlite3.connect(app_db) as db:
        row = db.execute("SELECT session_data FROM django_session WHERE session_key = ?", (key,)).fetchone()
    if row is None:
        return None
    payload = row[0].split(":", 1)[0]
    compressed = payload.startswith(".")
    raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
    data = json.loads(zlib.decompress(raw) if compressed else raw)
    return int(data["_auth_user_id"])


class FakeLMS:
    def __init__(self, app_db: Path, service_worker_token: str, client_credentials: tuple[str, str] | None) -> None:
        self.app_db = app_db
        self.service_worker_token = service_worker_token
        self.client_credentials = client_credentials
        self.users: dict[str, dict] = {}  # username -> {"links": {provider: uid}}
        self.tokens: dict[str, str] = {}  # bearer token -> username
        self.sessions: dict[str, str] = {}  # LMS session cookie -> username
        self.calls: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeLMS":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def forget(self, username: str) -> None:
        """The LMS lost the user (a reset database): its tokens go too."""
        self.users.pop(username, None)
        self.tokens = {t: u for t, u in self.tokens.items() if u != username}

    def _handler(self) -> type:
        lms = self

        class Handler(QuietHandler):
            def _form(self) -> dict[str, str]:
                length = int(self.headers.get("Content-Length") or 0)
                return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}

            def _bearer(self) -> str | None:
                auth = self.headers.get("Authorization", "")
                return lms.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None

            def _cookie(self, name: str) -> str | None:
                for part in (self.headers.get("Cookie") or "").split(";"):
                    key, _, value = part.strip().partition("=")
                    if key == name:
                        return value
                return None

            def do_POST(self) -> None:
                path, form = urlparse(self.path).path, self._form()
                lms.calls.append("POST " + path + " " + form.get("grant_type", ""))
                if path == "/user_api/v1/account/registration/":
                    if form["username"] in lms.users:
                        return self.reply(409, {"username": [{"user_message": "exists"}]})
                    lms.users[form["username"]] = {"links": {form["provider"]: form["username"]}}
                    return self.reply(200, {"success": True})
                if path == "/oauth2/access_token":
                    grant = form.get("grant_type")
                    if grant == "client_credentials" and lms.client_credentials == (form.get("client_id"), form.get("client_secret")):
                        return self.reply(200, {"access_token": secrets.token_hex(8), "token_type": "JWT", "expires_in": 3600})
                    if grant == "authorization_code" and form.get("code") in lms.users:
                        token = secrets.token_hex(8)
                        lms.tokens[token] = form["code"]
                        return self.reply(200, {"access_token": token, "refresh_token": secrets.token_hex(8), "expires_in": 3600})
                    return self.reply(401, {"error": "invalid_client"})
                self.reply(404)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                lms.calls.append("GET " + url.path)
                if url.path == "/api/user/v1/me":
                    who = self._bearer() or lms.sessions.get(self._cookie(LMS_SESSION_COOKIE) or "")
                    return self.reply(200, {"username": who}) if who else self.reply(401)
                if url.path.startswith("/api/user/v1/accounts/"):
                    name = url.path.rsplit("/", 1)[1]
                    if self.headers.get("Authorization") != "Bearer " + lms.service_worker_token:
                        return self.reply(401)
                    return self.reply(200, {"username": name}) if name in lms.users else self.reply(404)
                if url.path.startswith("/api/third_party_auth/v0/users/"):
                    name = url.path.rsplit("/", 1)[1]
                    if self._bearer() != name or name not in lms.users:
                        return self.reply(403)
                    links = lms.users[name]["links"]
                    return self.reply(200, {"active": [{"provider_id": f"oa2-{p}", "name": p, "remote_id": uid} for p, uid in links.items()]})
                if url.path.startswith("/auth/login/"):
                    user_id = _session_user_id(lms.app_db, self._cookie(APP_SESSION_COOKIE) or "")
                    with sqlite3.connect(lms.app_db) as db:
                        row = db.execute("SELECT username FROM users_user WHERE id = ?", (user_id,)).fetchone()
                    slug = url.path.strip("/").split("/")[-1]
                    if row is None or slug not in lms.users.get(row[0], {}).get("links", {}):
                        return self.reply(302, headers={"Location": "/register"})
                    session = secrets.token_hex(8)
                    lms.sessions[session] = row[0]
                    return self.reply(302, headers={"Location": "/dashboard", "Set-Cookie": f"{LMS_SESSION_COOKIE}={session}; Path=/"})
                if url.path == "/dashboard":
                    return self.reply(200 if self._cookie(LMS_SESSION_COOKIE) in lms.sessions else 302, headers={} if self._cookie(LMS_SESSION_COOKIE) in lms.sessions else {"Location": "/login"})
                self.reply(404)

        return Handler
