"""The OIDC relying party of the APISIX STAND-IN: what APISIX 3.17's openid-connect plugin
(apisix/plugins/openid-connect.lua on lua-resty-openidc 1.8 + lua-resty-session 4) does
for a browser session, redone in stdlib Python behind Debian's nginx `auth_request`.

Not APISIX, not lua-resty-openidc: written from reading their source. nginx reaches this
server on 127.0.0.1 only, and says which route and which step it wants through
X-Standin-Route / X-Standin-Action headers it always sets itself (a client cannot).

Steps (X-Standin-Action):
  auth      the auth_request subrequest of every openid-connect location: 200 with
            X-Userinfo / X-ID-Token / X-Access-Token when the session is logged in; else
            200 and no headers (unauth_action pass) or 401 (auth: nginx's error_page then
            asks for `login`; deny: the 401 is the answer).
  login     302 to the provider's authorization_endpoint (state + nonce kept in the session).
  callback  the `<path>/.apisix/redirect` answer from the provider: code -> tokens -> userinfo.
  logout    the logout_path: drop the session, 302 to end_session_endpoint.
  redirect  the redirect plugin's answer (run after authentication, as APISIX orders them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# lua-resty-session 4 defaults (APISIX's schema leaves them unset): cookie `session`,
# Path=/, HttpOnly, SameSite=Lax; 15 min idle, 24 h absolute.
COOKIE_NAME = "session"
IDLING_TIMEOUT = 900
ABSOLUTE_TIMEOUT = 86400
IAT_SLACK = 120  # lua-resty-openidc's default iat/exp slack
REDIRECT_SUFFIX = "/.apisix/redirect"


def log(message: str) -> None:
    print(f"apisix-standin oidc: {message}", file=sys.stderr, flush=True)


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def cjson(value: Any) -> bytes:
    """JSON as lua-cjson writes it: compact, UTF-8 kept, `/` escaped as `\\/`."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace("/", "\\/").encode()


def escape_uri(text: str) -> str:
    """ngx.escape_uri (component mode): everything but unreserved characters is %XX."""
    return urllib.parse.quote(text, safe="-._~")


def encode_args(params: dict[str, str]) -> str:
    """ngx.encode_args: key=value joined by &, escaped as ngx.escape_uri does."""
    return "&".join(f"{escape_uri(k)}={escape_uri(v)}" for k, v in params.items())


def combine_uri(uri: str, params: dict[str, str]) -> str:
    if not params:
        return uri
    return uri + ("&" if "?" in uri else "?") + encode_args(params)


def normalized_path(request_uri: str) -> str:
    """nginx's $uri for a request URI: path only, %-decoded, `//` merged, dot segments resolved."""
    segments = urllib.parse.unquote(request_uri.split("?", 1)[0]).split("/")
    out: list[str] = []
    for seg in segments[1:-1]:
        if seg == "..":
            if out:
                out.pop()
        elif seg not in ("", "."):
            out.append(seg)
    last = segments[-1] if len(segments) > 1 else ""
    if last == "..":
        if out:
            out.pop()
        last = ""
    elif last == ".":
        last = ""
    return "/" + "/".join([*out, last])


# --- RS256 verification, stdlib only (RSASSA-PKCS1-v1_5 with SHA-256) ------------------------
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def rs256_verify(signing_input: bytes, signature: bytes, n: int, e: int) -> bool:
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    em = pow(int.from_bytes(signature, "big"), e, n).to_bytes(k, "big")
    t = _SHA256_DIGEST_INFO + hashlib.sha256(signing_input).digest()
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return hmac.compare_digest(em, expected)


class OIDCError(Exception):
    """A failure APISIX answers with HTTP 500 (`OIDC authentication failed`)."""


class Provider:
    """One discovery URL: the document (fetched with backoff until the provider is up) and JWKS."""

    def __init__(self, url: str, timeout: float, ssl_verify: bool) -> None:
        self.url, self.timeout, self.ssl_verify = url, timeout, ssl_verify
        self.doc: dict[str, Any] | None = None
        self.jwks: dict[str, Any] | None = None
        self.lock = threading.Lock()

    def _context(self) -> Any:
        if self.ssl_verify:
            return None
        import ssl

        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        return ctx

    def request(
        self, method: str, url: str, form: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
        if data is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=self._context()) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()

    def discovery(self) -> dict[str, Any]:
        with self.lock:
            if self.doc is None:
                try:
                    status, _, body = self.request("GET", self.url)
                except OSError as exc:
                    raise OIDCError(f"accessing discovery url ({self.url}) failed: {exc}") from exc
                if status != 200:
                    raise OIDCError(f"discovery url {self.url} answered HTTP {status}")
                doc = json.loads(body)
                if not isinstance(doc, dict):
                    raise OIDCError(f"discovery url {self.url} did not answer a JSON object")
                self.doc = doc
                log(f"discovery loaded from {self.url} (issuer {doc.get('issuer')})")
            return self.doc

    def prefetch(self) -> None:
        """Retry with backoff (1 s .. 30 s) until the provider is up, as a start-up warm-up."""
        delay = 1.0
        while True:
            try:
                self.discovery()
                return
            except (OIDCError, ValueError) as exc:
                log(f"provider not ready ({exc}); retrying in {delay:.0f}s")
                time.sleep(delay)
                delay = min(delay * 2, 30)

    def jwk(self, kid: str | None, force: bool = False) -> dict[str, Any] | None:
        with self.lock:
            if self.jwks is None or force:
                uri = (self.doc or {}).get("jwks_uri")
                if not uri:
                    return None
                status, _, body = self.request("GET", uri)
                if status != 200:
                    raise OIDCError(f"jwks_uri {uri} answered HTTP {status}")
                self.jwks = json.loads(body)
            keys = [k for k in self.jwks.get("keys", []) if k.get("kty") == "RSA" and k.get("use", "sig") == "sig"]
        if kid is not None:
            found = [k for k in keys if k.get("kid") == kid]
            if not found and not force:
                return self.jwk(kid, force=True)
            return found[0] if found else None
        return keys[0] if len(keys) == 1 else None


class Sessions:
    """Server-side sessions: the cookie holds a random id signed (HMAC-SHA256) with the route's
    session.secret; a cookie signed with another secret is no session at all."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    @staticmethod
    def sign(sid: str, secret: str) -> str:
        mac = hmac.new(secret.encode(), sid.encode(), hashlib.sha256).digest()
        return f"{sid}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    def load(self, cookie_header: str | None, secret: str) -> tuple[str | None, dict[str, Any] | None]:
        value = None
        for part in (cookie_header or "").split(";"):
            name, _, val = part.strip().partition("=")
            if name == COOKIE_NAME:
                value = val
        if not value or "." not in value:
            return None, None
        sid = value.split(".", 1)[0]
        if not hmac.compare_digest(self.sign(sid, secret), value):
            return None, None
        now = time.time()
        with self.lock:
            session = self.data.get(sid)
            if session is None or now - session["_last"] > IDLING_TIMEOUT or now - session["_created"] > ABSOLUTE_TIMEOUT:
                self.data.pop(sid, None)
                return None, None
            session["_last"] = now
            return sid, session

    def new(self) -> tuple[str, dict[str, Any]]:
        sid = secrets.token_urlsafe(32)
        now = time.time()
        session: dict[str, Any] = {"_created": now, "_last": now}
        with self.lock:
            self.data[sid] = session
        return sid, session

    def drop(self, sid: str | None) -> None:
        if sid:
            with self.lock:
                self.data.pop(sid, None)

    def cookie(self, sid: str, secret: str) -> str:
        return f"{COOKIE_NAME}={self.sign(sid, secret)}; Path=/; SameSite=Lax; HttpOnly"

    @staticmethod
    def expired_cookie() -> str:
        return f"{COOKIE_NAME}=; Path=/; SameSite=Lax; HttpOnly; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0"


class RelyingParty:
    """Routes (id -> openid-connect conf, redirect conf) and the steps nginx asks for."""

    def __init__(self, routes: dict[str, dict[str, Any]]) -> None:
        self.routes = routes
        self.providers: dict[str, Provider] = {}
        self.sessions = Sessions()
        for route in routes.values():
            conf = route.get("oidc")
            if conf and conf["discovery"] not in self.providers:
                self.providers[conf["discovery"]] = Provider(conf["discovery"], conf["timeout"], conf["ssl_verify"])

    def warm_up(self) -> None:
        for provider in self.providers.values():
            threading.Thread(target=provider.prefetch, daemon=True).start()

    # --- helpers -----------------------------------------------------------------------------
    @staticmethod
    def redirect_uri(conf: dict[str, Any], host: str | None, uri: str) -> str:
        """openid-connect.lua's default redirect_uri (path) made absolute as lua-resty-openidc
        does: scheme and host from X-Forwarded-Proto/-Host, which APISIX has reset to its own
        scheme and the Host header (the client is not a trusted address)."""
        if conf.get("redirect_uri"):
            path = conf["redirect_uri"]
            if not path.startswith("/"):
                return path
        elif uri.endswith(REDIRECT_SUFFIX):
            path = uri
        elif uri.endswith("/"):
            path = uri[:-1] + REDIRECT_SUFFIX
        else:
            path = uri + REDIRECT_SUFFIX
        if not host:
            raise _Reply(400)
        return f"http://{host}{path}"

    def token_call(self, conf: dict[str, Any], provider: Provider, body: dict[str, str]) -> dict[str, Any]:
        doc = provider.discovery()
        endpoint = doc.get("token_endpoint")
        if not endpoint:
            raise OIDCError("no endpoint URI for token")
        method = conf["token_endpoint_auth_method"]
        supported = doc.get("token_endpoint_auth_methods_supported")
        if supported is not None and method not in supported:
            log(
                f"token_endpoint_auth_method {method} is not in the provider's token_endpoint_auth_methods_supported; "
                "sending no client authentication, as lua-resty-openidc does"
            )
            method = None
        headers: dict[str, str] = {}
        if method == "client_secret_basic":
            raw = f"{escape_uri(conf['client_id'])}:{escape_uri(conf.get('client_secret') or '')}"
            headers["Authorization"] = "Basic " + base64.b64encode(raw.encode()).decode()
        elif method == "client_secret_post":
            body = {**body, "client_id": conf["client_id"], "client_secret": conf.get("client_secret") or ""}
        try:
            status, _, raw_body = provider.request("POST", endpoint, form=body, headers=headers)
        except OSError as exc:
            raise OIDCError(f"accessing token endpoint ({endpoint}) failed: {exc}") from exc
        if status != 200:
            raise OIDCError(f"response indicates failure, status={status}, body={raw_body[:200]!r}")
        return json.loads(raw_body)

    def id_token_claims(self, conf: dict[str, Any], provider: Provider, jwt: str, nonce: str | None) -> dict[str, Any]:
        try:
            head_b64, payload_b64, sig_b64 = jwt.split(".")
            header, claims = json.loads(b64url_decode(head_b64)), json.loads(b64url_decode(payload_b64))
            signature = b64url_decode(sig_b64)
        except ValueError as exc:
            raise OIDCError(f"id_token is not a JWT: {exc}") from exc
        alg = header.get("alg")
        signing_input = f"{head_b64}.{payload_b64}".encode()
        if alg == "RS256":
            key = provider.jwk(header.get("kid"))
            if key is None:
                raise OIDCError("id_token signature verification failed: no matching RSA key in the provider's JWKS")
            n, e = (int.from_bytes(b64url_decode(key[p]), "big") for p in ("n", "e"))
            if not rs256_verify(signing_input, signature, n, e):
                raise OIDCError("id_token 'RS256' signature verification failed")
        elif alg == "HS256":
            mac = hmac.new((conf.get("client_secret") or "").encode(), signing_input, hashlib.sha256).digest()
            if not hmac.compare_digest(mac, signature):
                raise OIDCError("id_token 'HS256' signature verification failed")
        else:
            # lua-resty-openidc's accept_unsupported_alg defaults to true: warn, go on.
            log(f"ignored id_token signature as algorithm '{alg}' is not supported by the stand-in")
        doc = provider.discovery()
        now = time.time()
        problems = []
        if doc.get("issuer") != claims.get("iss"):
            problems.append(f"issuer {claims.get('iss')!r} is not the discovery issuer {doc.get('issuer')!r}")
        if not claims.get("sub"):
            problems.append("no sub claim")
        if nonce and nonce != claims.get("nonce"):
            problems.append("nonce differs from the one sent")
        if not isinstance(claims.get("iat"), (int, float)) or claims["iat"] > now + IAT_SLACK:
            problems.append("iat missing or in the future")
        if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] + IAT_SLACK < now:
            problems.append("exp missing or expired")
        aud = claims.get("aud")
        if not aud or conf["client_id"] not in (aud if isinstance(aud, list) else [aud]):
            problems.append(f"aud {aud!r} does not contain client_id {conf['client_id']!r}")
        if problems:
            raise OIDCError("id_token validation failed: " + "; ".join(problems))
        return claims

    def refreshed(self, conf: dict[str, Any], session: dict[str, Any]) -> bool:
        """lua-resty-openidc's openidc_access_token: a still-valid access token, or a refresh."""
        if session.get("access_token") is None:
            return True
        if time.time() < session.get("access_token_expiration", 0):
            return True
        if not session.get("refresh_token"):
            return False
        provider = self.providers[conf["discovery"]]
        try:
            tokens = self.token_call(
                conf, provider, {"grant_type": "refresh_token", "refresh_token": session["refresh_token"], "scope": conf["scope"]}
            )
            claims = self.id_token_claims(conf, provider, tokens["id_token"], None) if tokens.get("id_token") else None
        except (OIDCError, ValueError, KeyError) as exc:
            log(f"lost access token: {exc}")
            return False
        session["access_token"] = tokens.get("access_token")
        session["access_token_expiration"] = time.time() + (tokens.get("expires_in") or 3600) - 1
        if tokens.get("refresh_token"):
            session["refresh_token"] = tokens["refresh_token"]
        if claims is not None:
            session["id_token"], session["enc_id_token"] = claims, tokens["id_token"]
        return True

    # --- the steps -----------------------------------------------------------------------------
    def handle(self, action: str, route_id: str, headers: Any, request_uri: str) -> _Reply:
        route = self.routes.get(route_id)
        if route is None:
            return _Reply(500, body=f"unknown route {route_id}\n")
        conf = route.get("oidc")
        if action == "redirect":
            return _Reply(route["redirect"]["ret_code"], [("Location", route["redirect"]["uri"])])
        assert conf is not None
        try:
            return getattr(self, f"do_{action}")(conf, headers, request_uri)
        except _Reply as reply:
            return reply
        except (OIDCError, ValueError, KeyError) as exc:
            log(f"OIDC authentication failed: {exc}")
            return _Reply(500, body="500 Internal Server Error (stand-in: OIDC authentication failed)\n")

    def do_auth(self, conf: dict[str, Any], headers: Any, request_uri: str) -> _Reply:
        sid, session = self.sessions.load(headers.get("Cookie"), conf["session_secret"])
        if session and (session.get("authenticated") or session.get("id_token")) and self.refreshed(conf, session):
            out = []
            if conf["set_access_token_header"] and session.get("access_token"):
                out.append(("X-Access-Token", session["access_token"]))
            if conf["set_id_token_header"] and session.get("id_token"):
                out.append(("X-ID-Token", base64.b64encode(cjson(session["id_token"])).decode()))
            if conf["set_userinfo_header"] and session.get("user"):
                out.append(("X-Userinfo", base64.b64encode(cjson(session["user"])).decode()))
            return _Reply(200, out)
        if conf["unauth_action"] == "pass":
            return _Reply(200)
        return _Reply(401)

    def do_login(self, conf: dict[str, Any], headers: Any, request_uri: str) -> _Reply:
        provider = self.providers[conf["discovery"]]
        doc = provider.discovery()
        redirect_uri = self.redirect_uri(conf, headers.get("Host"), normalized_path(request_uri))
        sid, session = self.sessions.load(headers.get("Cookie"), conf["session_secret"])
        if session is None:
            sid, session = self.sessions.new()
        state, nonce = secrets.token_hex(16), secrets.token_hex(16)
        session.update(original_url=request_uri, state=state, nonce=nonce, last_authenticated=time.time())
        params = {
            "client_id": conf["client_id"],
            "response_type": "code",
            "scope": conf["scope"],
            "redirect_uri": redirect_uri,
            "state": state,
            "nonce": nonce,
        }
        location = combine_uri(doc["authorization_endpoint"], params)
        return _Reply(
            302,
            [
                ("Location", location),
                ("Cache-Control", "no-cache, no-store, max-age=0"),
                ("Set-Cookie", self.sessions.cookie(sid, conf["session_secret"])),
            ],
        )

    def do_callback(self, conf: dict[str, Any], headers: Any, request_uri: str) -> _Reply:
        sid, session = self.sessions.load(headers.get("Cookie"), conf["session_secret"])
        if session is None:
            raise OIDCError("request to the redirect_uri path but there's no session state found")
        args = {k: v[0] for k, v in urllib.parse.parse_qs(request_uri.partition("?")[2]).items()}
        if not args.get("code") or not args.get("state"):
            raise OIDCError(f"unhandled request to the redirect_uri: {request_uri}")
        if args["state"] != session.get("state"):
            raise OIDCError("state from argument does not match state restored from session")
        provider = self.providers[conf["discovery"]]
        doc = provider.discovery()
        if args.get("iss") and args["iss"] != doc.get("issuer"):
            raise OIDCError("iss from argument does not match expected issuer")
        if args.get("client_id") and args["client_id"] != conf["client_id"]:
            raise OIDCError("client_id from argument does not match expected client_id")
        redirect_uri = self.redirect_uri(conf, headers.get("Host"), normalized_path(request_uri))
        tokens = self.token_call(
            conf,
            provider,
            {"grant_type": "authorization_code", "code": args["code"], "redirect_uri": redirect_uri, "state": session["state"]},
        )
        claims = self.id_token_claims(conf, provider, tokens.get("id_token") or "", session.get("nonce"))
        user = None
        if doc.get("userinfo_endpoint"):
            status, resp_headers, body = provider.request(
                "GET", doc["userinfo_endpoint"], headers={"Authorization": f"Bearer {tokens.get('access_token')}"}
            )
            if status != 200:
                log(f"error calling userinfo endpoint: HTTP {status}")
            elif "application/jwt" in resp_headers.get("content-type", ""):
                log("userinfo answered a signed JWT, which the stand-in does not read")
            else:
                user = json.loads(body)
                if user.get("sub") != claims.get("sub"):
                    log(f'"sub" claim in id_token ({claims.get("sub")}) is not equal to the userinfo\'s ({user.get("sub")})')
                    user = None
        original_url = session.get("original_url") or "/"
        # A fresh session id at login; the pre-session's id stops working.
        self.sessions.drop(sid)
        sid, fresh = self.sessions.new()
        fresh.update(
            authenticated=True,
            id_token=claims,
            enc_id_token=tokens.get("id_token"),
            user=user,
            access_token=tokens.get("access_token"),
            access_token_expiration=time.time() + (tokens.get("expires_in") or 3600) - 1,
            refresh_token=tokens.get("refresh_token"),
            original_url=original_url,
        )
        return _Reply(302, [("Location", original_url), ("Set-Cookie", self.sessions.cookie(sid, conf["session_secret"]))])

    def do_logout(self, conf: dict[str, Any], headers: Any, request_uri: str) -> _Reply:
        provider = self.providers[conf["discovery"]]
        try:
            doc = provider.discovery()
        except (OIDCError, ValueError) as exc:
            log(f"OIDC access discovery url failed : {exc}")
            return _Reply(503)
        sid, session = self.sessions.load(headers.get("Cookie"), conf["session_secret"])
        enc_id_token = (session or {}).get("enc_id_token")
        self.sessions.drop(sid)
        cookie = ("Set-Cookie", self.sessions.expired_cookie())
        end_session = doc.get("end_session_endpoint")
        # openid-connect.lua: without end_session_endpoint, redirect_after_logout_uri is the
        # post_logout_redirect_uri; lua-resty-openidc then adds id_token_hint only when it goes
        # to end_session_endpoint, and post_logout_redirect_uri as a parameter either way.
        after_logout = None if end_session else conf.get("post_logout_redirect_uri")
        if after_logout or end_session:
            params = {}
            if not after_logout and enc_id_token:
                params["id_token_hint"] = enc_id_token
            if conf.get("post_logout_redirect_uri"):
                params["post_logout_redirect_uri"] = conf["post_logout_redirect_uri"]
            return _Reply(302, [("Location", combine_uri(after_logout or end_session, params)), cookie])
        return _Reply(200, [cookie, ("Content-Type", "text/html")], "<html><body>Logged Out</body></html>\n")


class _Reply(Exception):
    def __init__(self, status: int, headers: list[tuple[str, str]] | None = None, body: str = "") -> None:
        self.status, self.headers, self.body = status, headers or [], body


def make_server(rp: RelyingParty, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            action = self.headers.get("X-Standin-Action", "")
            route_id = self.headers.get("X-Standin-Route", "")
            request_uri = self.headers.get("X-Standin-Request-URI") or self.path
            if action not in ("auth", "login", "callback", "logout", "redirect"):
                reply = _Reply(400, body="not a stand-in step\n")
            else:
                reply = rp.handle(action, route_id, self.headers, request_uri)
            data = reply.body.encode()
            self.send_response(reply.status)
            for key, value in reply.headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
