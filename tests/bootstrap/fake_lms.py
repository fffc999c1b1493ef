"""A fake LMS for the bootstrap tier's learner step: the REST calls the app's functions and the
checklist make, answered from memory (the engine tier's LMS stand-in does them for real).

Shapes follow edx-platform: POST /user_api/v1/account/registration/ (200, or 409 when the user
exists), /oauth2/access_token, /api/user/v1/me and /api/user/v1/accounts/<username>
(openedx/core/djangoapps/user_api/urls.py), /api/mobile/v0.5/my_user_info (302 to users/<username>,
lms/djangoapps/mobile_api/users/views.py), /api/third_party_auth/v0/users/<username>
({"active": [{"provider_id", "name", "remote_id"}]}, third_party_auth/api/views.py UserView).
The course steps (issue 13): the course list /api/courses/v1/courses/?course_keys= (course_api
CourseListView, {"results", "pagination"}), POST /api/enrollment/v1/enrollment (JSON, staff may
name the `user`; only `audit` offered, other modes 400 with edx-platform's message),
GET /api/enrollment/v1/enrollments/?course_id=&username= (staff; {"results": [...]}) and the
learning MFE's course home metadata /api/course_home/course_metadata/<key> (course_home_api
CourseHomeMetadataView: is_enrolled, course_access of the session's user), answered for the courses in `courses`.
/auth/login/<slug>/ stands for the whole provider round trip: it asks the app's database which
user the app session cookie belongs to, then signs that user in on the "LMS" -> /dashboard;
/oauth2/authorize then hands the app's redirect_uri a code (the LMS username).
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

LMS_SESSION_COOKIE = "lms_sessionid"


def _session_user_id(cookie: str) -> int | None:
    """Both apps keep sessions in signed cookies (mitxonline main/settings.py:337, mitxpro
    mitxpro/settings.py:247): the value is base64(zlib(JSON)) before its signature."""
    payload = cookie.split(":", 1)[0]
    body = payload.lstrip(".")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        data = json.loads(zlib.decompress(raw) if payload.startswith(".") else raw)
        return int(data["_auth_user_id"])
    except (ValueError, KeyError, zlib.error):
        return None


class FakeLMS:
    def __init__(
        self,
        app_db: Path,
        service_worker_token: str,
        client_credentials: tuple[str, str] | None,
        app_cookie: str = "mitxonline_sessionid",
    ) -> None:
        self.app_db = app_db
        self.service_worker_token = service_worker_token
        self.client_credentials = client_credentials
        self.users: dict[str, dict] = {}  # username -> {"links": {provider: uid}}
        self.tokens: dict[str, str] = {}  # bearer token -> username
        self.refresh: dict[str, str] = {}  # refresh token -> username
        self.app_cookie = app_cookie
        self.sessions: dict[str, str] = {}  # LMS session cookie -> username
        self.calls: list[str] = []
        self.courses: dict[str, dict] = {}  # course key -> {"name", "start", "enrollment_end"}
        self.enrollments: dict[tuple[str, str], dict] = {}  # (username, course key) -> {"mode", "is_active"}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeLMS:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def user_of_app_session(self, key: str) -> str | None:
        """The LMS user the app session's user is (by email, as registration made it): what the
        real provider round trip (LMS -> app /oauth2/authorize -> LMS) would sign in."""
        user_id = _session_user_id(key)
        with sqlite3.connect(self.app_db) as db:
            row = db.execute("SELECT email FROM users_user WHERE id = ?", (user_id,)).fetchone()
        found = [name for name, user in self.users.items() if row and user["email"] == row[0]]
        return found[0] if found else None

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

            def _service(self) -> bool:
                return self.headers.get("Authorization") == "Bearer " + lms.service_worker_token

            def _enroll(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                lms.calls.append("POST /api/enrollment/v1/enrollment " + body.get("mode", ""))
                if not self._service():
                    return self.reply(401)
                course_id, user = (body.get("course_details") or {}).get("course_id"), body.get("user")
                if course_id not in lms.courses:
                    return self.reply(400, {"message": f"No course '{course_id}' found for enrollment"})
                if user not in lms.users:
                    return self.reply(406, {"message": f"The user {user} does not exist."})
                if body.get("mode", "audit") != "audit":
                    return self.reply(
                        400,
                        {
                            "message": f"The [{body['mode']}] course mode is expired or otherwise unavailable for course run [{course_id}]."
                        },
                    )
                lms.enrollments[(user, course_id)] = {"mode": "audit", "is_active": True}
                self.reply(200, {"mode": "audit", "is_active": True, "user": user, "course_details": {"course_id": course_id}})

            def do_POST(self) -> None:
                if urlparse(self.path).path == "/api/enrollment/v1/enrollment":
                    return self._enroll()
                path, form = urlparse(self.path).path, self._form()
                lms.calls.append("POST " + path + " " + form.get("grant_type", ""))
                if path == "/user_api/v1/account/registration/":
                    if form["username"] in lms.users:
                        return self.reply(409, {"username": [{"user_message": "exists"}]})
                    lms.users[form["username"]] = {"email": form["email"], "links": {form["provider"]: form["username"]}}
                    return self.reply(200, {"success": True})
                if path == "/oauth2/access_token":
                    grant = form.get("grant_type")
                    if grant == "client_credentials" and lms.client_credentials == (
                        form.get("client_id"),
                        form.get("client_secret"),
                    ):
                        return self.reply(200, {"access_token": secrets.token_hex(8), "token_type": "JWT", "expires_in": 3600})
                    who = form.get("code") if grant == "authorization_code" else lms.refresh.get(form.get("refresh_token", ""))
                    if grant in ("authorization_code", "refresh_token") and who in lms.users:
                        token, refresh = secrets.token_hex(8), secrets.token_hex(8)
                        lms.tokens[token], lms.refresh[refresh] = who, who
                        return self.reply(200, {"access_token": token, "refresh_token": refresh, "expires_in": 3600})
                    return self.reply(401, {"error": "invalid_client"})
                self.reply(404)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                lms.calls.append("GET " + url.path)
                if url.path == "/api/user/v1/me":
                    who = self._bearer() or lms.sessions.get(self._cookie(LMS_SESSION_COOKIE) or "")
                    return self.reply(200, {"username": who}) if who else self.reply(401)
                # lms/djangoapps/mobile_api/users/views.py my_user_info -> UserDetail (the token's own user).
                if url.path == "/api/mobile/v0.5/my_user_info":
                    who = self._bearer()
                    return self.reply(302, headers={"Location": f"/api/mobile/v0.5/users/{who}"}) if who else self.reply(401)
                if url.path.startswith("/api/mobile/v0.5/users/"):
                    who, name = self._bearer(), url.path.rsplit("/", 1)[1]
                    if who is None:
                        return self.reply(401)
                    return (
                        self.reply(200, {"username": who, "email": lms.users[who]["email"]}) if who == name else self.reply(404)
                    )
                if url.path.startswith("/api/user/v1/accounts"):
                    if self.headers.get("Authorization") != "Bearer " + lms.service_worker_token:
                        return self.reply(401)
                    if url.path == "/api/user/v1/accounts":  # ?email=: the list xPro's get_existing_openedx_user reads
                        email = parse_qs(url.query).get("email", [""])[0]
                        return self.reply(
                            200, [{"username": n, "email": u["email"]} for n, u in lms.users.items() if u["email"] == email]
                        )
                    name = url.path.rsplit("/", 1)[1]
                    found = lms.users.get(name)
                    return self.reply(200, {"username": name, "email": found["email"]}) if found else self.reply(404)
                if url.path.startswith("/api/third_party_auth/v0/users/"):
                    name = url.path.rsplit("/", 1)[1]
                    if self._bearer() != name or name not in lms.users:
                        return self.reply(403)
                    links = lms.users[name]["links"]
                    return self.reply(
                        200, {"active": [{"provider_id": f"oa2-{p}", "name": p, "remote_id": uid} for p, uid in links.items()]}
                    )
                if url.path.startswith("/auth/login/"):
                    name = lms.user_of_app_session(self._cookie(lms.app_cookie) or "")
                    slug = url.path.strip("/").split("/")[-1]
                    if name is None or slug not in lms.users[name]["links"]:
                        return self.reply(302, headers={"Location": "/register"})
                    session = secrets.token_hex(8)
                    lms.sessions[session] = name
                    return self.reply(
                        302, headers={"Location": "/dashboard", "Set-Cookie": f"{LMS_SESSION_COOKIE}={session}; Path=/"}
                    )
                query = parse_qs(url.query)
                if url.path in ("/api/courses/v1/courses/", "/api/enrollment/v1/enrollments", "/api/enrollment/v1/enrollments/"):
                    if not self._service():
                        return self.reply(401)
                    if url.path.startswith("/api/courses/"):
                        keys = [k for v in query.get("course_keys", []) for k in v.split(",")]
                        found = [
                            {
                                "id": k,
                                "name": c["name"],
                                "start": c["start"],
                                "enrollment_end": c.get("enrollment_end"),
                                "pacing": "self",
                            }
                            for k, c in lms.courses.items()
                            if k in keys
                        ]
                        return self.reply(200, {"results": found, "pagination": {"next": None}})
                    names = query.get("username", [""])[0].split(",")
                    course_id = query.get("course_id", [None])[0]
                    found = [
                        {"user": u, "course_id": c, **e}
                        for (u, c), e in lms.enrollments.items()
                        if u in names and course_id in (None, c)
                    ]
                    return self.reply(200, {"next": None, "previous": None, "results": found})
                signed_in = lms.sessions.get(self._cookie(LMS_SESSION_COOKIE) or "")
                # course_home_api CourseHomeMetadataView: the learner enrolled (an active enrollment) or not.
                if url.path.startswith("/api/course_home/course_metadata/"):
                    key = url.path.rsplit("/", 1)[1]
                    if key not in lms.courses:
                        return self.reply(404)
                    enrolled = bool(signed_in) and bool(lms.enrollments.get((signed_in, key), {}).get("is_active"))
                    code = None if enrolled else ("enrollment_required" if signed_in else "authentication_required")
                    return self.reply(
                        200,
                        {
                            "course_id": key,
                            "username": signed_in,
                            "is_enrolled": enrolled,
                            "course_access": {"has_access": code is None, "error_code": code},
                        },
                    )
                if url.path == "/dashboard":
                    return self.reply(200) if signed_in else self.reply(302, headers={"Location": "/login"})
                if url.path == "/oauth2/authorize":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    if not signed_in:
                        return self.reply(302, headers={"Location": "/login"})
                    return self.reply(302, headers={"Location": f"{query['redirect_uri']}?code={signed_in}"})
                if "complete" in url.path:
                    return self.reply(200)  # the app's private complete URL: upstream's view does nothing
                self.reply(404)

        return Handler
