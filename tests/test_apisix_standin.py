"""The APISIX stand-in (tests/standins/images/apisix-standin): its entrypoint run on loopback
with Debian's real nginx, against the generated mitxonline-apisix files, a fake OIDC provider
(RS256-signed id_tokens, stdlib-only RSA) and a fake upstream that echoes what it received."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import ROOT, stack_secrets
from http_fakes import QuietHandler

STANDIN = ROOT / "tests" / "standins" / "images" / "apisix-standin" / "standin" / "apisix_standin.py"
HOST = "mitxonline.odl.local:9080"  # the Host header a browser sends to the gateway


def _nginx() -> str:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    assert nginx, "nginx is not installed: run `bash tests/system-deps.sh` (Debian: nginx-light)"
    return nginx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _load_module() -> Any:
    spec = importlib.util.spec_from_file_location("apisix_standin_under_test", STANDIN)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# --- a fake OIDC provider --------------------------------------------------------------------


def _prime(bits: int, rng: random.Random) -> int:
    def probable(n: int) -> bool:
        d, r = n - 1, 0
        while d % 2 == 0:
            d, r = d // 2, r + 1
        for _ in range(24):
            x = pow(rng.randrange(2, n - 1), d, n)
            if x in (1, n - 1):
                continue
            for _ in range(r - 1):
                x = pow(x, 2, n)
                if x == n - 1:
                    break
            else:
                return False
        return True

    while True:
        n = rng.getrandbits(bits) | (1 << (bits - 1)) | 1
        if all(n % p for p in (3, 5, 7, 11, 13, 17, 19, 23, 29, 31)) and probable(n):
            return n


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class FakeProvider:
    """Discovery, authorize (answers the code at once: the user is logged in), token with
    client_secret_basic, userinfo, JWKS and end_session, as Keycloak 26 lays them out."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        rng = random.Random(7)
        e = 65537
        while True:
            p, q = _prime(512, rng), _prime(512, rng)
            phi = (p - 1) * (q - 1)
            if p != q and phi % e:
                break
        self.n, self.e, self.d = p * q, e, pow(e, -1, phi)
        self.client_id, self.client_secret = client_id, client_secret
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.issuer = f"{self.url}/realms/ol-local"
        self.codes: dict[str, dict[str, str]] = {}
        self.token_requests: list[dict[str, Any]] = []
        self.userinfo = {
            "sub": "0b6c2f0e-user",
            "email": "student@odl.local",
            "preferred_username": "student@odl.local",
            "name": "Stu Dent",
            "given_name": "Stu",
            "family_name": "Dent",
            "profile": "https://x.test/p/é",
        }
        self.down = False

    def sign(self, claims: dict[str, Any]) -> str:
        head = _b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "k1"}).encode())
        body = _b64url(json.dumps(claims).encode())
        digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(f"{head}.{body}".encode()).digest()
        k = (self.n.bit_length() + 7) // 8
        em = b"\x00\x01" + b"\xff" * (k - len(digest_info) - 3) + b"\x00" + digest_info
        sig = pow(int.from_bytes(em, "big"), self.d, self.n).to_bytes(k, "big")
        return f"{head}.{body}.{_b64url(sig)}"

    def discovery(self) -> dict[str, Any]:
        base = f"{self.issuer}/protocol/openid-connect"
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{base}/auth",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/certs",
            "end_session_endpoint": f"{base}/logout",
            "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic", "client_secret_post"],
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                args = {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}
                if fake.down:
                    return self.reply(503, {"error": "starting"})
                if path == "/realms/ol-local/.well-known/openid-configuration":
                    return self.reply(200, fake.discovery())
                if path.endswith("/certs"):
                    return self.reply(
                        200,
                        {
                            "keys": [
                                {
                                    "kty": "RSA",
                                    "kid": "k1",
                                    "use": "sig",
                                    "alg": "RS256",
                                    "n": _b64url(fake.n.to_bytes(128, "big")),
                                    "e": _b64url(fake.e.to_bytes(3, "big")),
                                }
                            ]
                        },
                    )
                if path.endswith("/auth"):
                    code = os.urandom(8).hex()
                    fake.codes[code] = args
                    target = f"{args['redirect_uri']}?state={args['state']}&session_state=x&iss={urllib.parse.quote(fake.issuer)}&code={code}"
                    return self.reply(302, None, {"Location": target})
                if path.endswith("/userinfo"):
                    if self.headers.get("Authorization") != "Bearer access-1":
                        return self.reply(401, {"error": "invalid_token"})
                    return self.reply(200, fake.userinfo)
                return self.reply(404, {"error": path})

            def do_POST(self) -> None:
                form = {
                    k: v[0]
                    for k, v in urllib.parse.parse_qs(
                        self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                    ).items()
                }
                fake.token_requests.append({"form": form, "authorization": self.headers.get("Authorization")})
                expected = "Basic " + base64.b64encode(f"{fake.client_id}:{fake.client_secret}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self.reply(401, {"error": "unauthorized_client"})
                grant = fake.codes.pop(form.get("code", ""), None)
                if (
                    form.get("grant_type") != "authorization_code"
                    or grant is None
                    or grant["redirect_uri"] != form.get("redirect_uri")
                ):
                    return self.reply(400, {"error": "invalid_grant"})
                now = int(time.time())
                claims = {
                    "iss": fake.issuer,
                    "sub": fake.userinfo["sub"],
                    "aud": fake.client_id,
                    "azp": fake.client_id,
                    "nonce": grant["nonce"],
                    "iat": now,
                    "exp": now + 300,
                    "typ": "ID",
                }
                return self.reply(
                    200,
                    {
                        "access_token": "access-1",
                        "expires_in": 300,
                        "refresh_token": "refresh-1",
                        "token_type": "Bearer",
                        "id_token": fake.sign(claims),
                        "scope": grant["scope"],
                    },
                )

        return Handler


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Security-Policy", "default-src 'none'")  # replaced by response-rewrite's set
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _request(
    port: int, path: str, cookies: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, list[str]], bytes]:
    """One HTTP/1.0 request to the gateway (raw socket, nothing followed)."""
    lines = [f"GET {path} HTTP/1.0", f"Host: {HOST}"]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed: dict[str, list[str]] = {}
    for line in header_lines:
        key, _, value = line.partition(":")
        parsed.setdefault(key.strip().lower(), []).append(value.strip())
    return int(status_line.split()[1]), parsed, body


def _store_cookies(jar: dict[str, str], headers: dict[str, list[str]]) -> None:
    for line in headers.get("set-cookie", []):
        name, _, value = line.split(";", 1)[0].partition("=")
        if "Max-Age=0" in line:
            jar.pop(name, None)
        else:
            jar[name] = value


class Running:
    def __init__(self, proc: subprocess.Popen[str], port: int, log: Path, provider: FakeProvider, env: dict[str, str]) -> None:
        self.proc, self.port, self.log, self.provider, self.env = proc, port, log, provider, env


@pytest.fixture(scope="module")
def files(stacks: dict[str, Path]) -> dict[str, Any]:
    stack = stacks["mitxonline-apisix"]
    compose = yaml.safe_load((stack / "docker-compose.yml").read_text())["services"]["apisix"]
    assert compose["volumes"] == [
        "./apisix/config.yaml:/usr/local/apisix/conf/config.yaml:ro",
        "./apisix/apisix.yaml:/usr/local/apisix/conf/apisix.yaml:ro",
    ]
    return {
        "config": (stack / "apisix/config.yaml").read_text(),
        "routes": (stack / "apisix/apisix.yaml").read_text(),
        "env": dict(compose["environment"]),
        "secrets": stack_secrets(stack),
    }


def _start(tmp: Path, config: str, routes: str, env: dict[str, str]) -> subprocess.Popen[str]:
    (tmp / "config.yaml").write_text(config)
    (tmp / "apisix.yaml").write_text(routes)
    log = tmp / "standin.log"
    return subprocess.Popen(
        [
            sys.executable,
            str(STANDIN),
            "--prefix",
            str(tmp / "run"),
            "--config",
            str(tmp / "config.yaml"),
            "--routes",
            str(tmp / "apisix.yaml"),
            "--listen-address",
            "127.0.0.1",
            "--nginx",
            _nginx(),
        ],
        env={"PATH": os.environ.get("PATH", ""), **env},
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(scope="module")
def gateway(files: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    env = files["env"]
    provider = FakeProvider(env["KEYCLOAK_CLIENT_ID"], env["KEYCLOAK_CLIENT_SECRET"])
    provider.down = True  # the gateway must come up and pass traffic while the provider does not answer
    threading.Thread(target=provider.server.serve_forever, daemon=True).start()
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = _free_port()
    tmp = tmp_path_factory.mktemp("apisix-standin")
    config = files["config"].replace("- 9080", f"- {port}")
    routes = files["routes"].replace('"app-nginx:8013"', f'"127.0.0.1:{upstream.server_address[1]}"')
    assert f"- {port}" in config and '"app-nginx:8013"' not in routes
    run_env = {**env, "KEYCLOAK_DISCOVERY_URL": f"{provider.issuer}/.well-known/openid-configuration"}
    proc = _start(tmp, config, routes, run_env)
    try:
        for _ in range(200):
            assert proc.poll() is None, (tmp / "standin.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield Running(proc, port, tmp / "standin.log", provider, run_env)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, (tmp / "standin.log").read_text()
        upstream.shutdown()
        provider.server.shutdown()


def _echo(body: bytes) -> dict[str, Any]:
    return json.loads(body)


def test_pass_through_without_session_adds_no_identity(gateway: Running) -> None:
    """Provider still down: the unauth_action `pass` route answers anyway (APISIX does not need
    discovery to pass an anonymous request), and drops a forged X-Userinfo as APISIX 3.17 does."""
    status, headers, body = _request(
        gateway.port,
        "/health/liveness/?x=1",
        headers={"X-Userinfo": "eyJzdWIiOiAiZm9yZ2VkIn0=", "X-Forwarded-Host": "evil.test", "X-Forwarded-For": "10.9.9.9"},
    )
    assert status == 200
    got = _echo(body)
    assert got["path"] == "/health/liveness/?x=1"
    h = got["headers"]
    assert "x-userinfo" not in h and "x-access-token" not in h and "x-id-token" not in h
    assert h["host"] == HOST and h["x-forwarded-host"] == HOST and h["x-forwarded-port"] == "9080"
    assert h["x-forwarded-proto"] == "http" and h["x-forwarded-for"] == "127.0.0.1" and h["x-real-ip"] == "127.0.0.1"
    # response-rewrite headers.set replaces the upstream's own header.
    assert headers["content-security-policy"] == ["frame-ancestors 'self' http://openedx.odl.local:8000"]


def test_routes_match_as_apisix_would(gateway: Running, files: dict[str, Any]) -> None:
    """nginx's location choice (logged per request) equals APISIX's radixtree rule, emulated."""
    gateway.provider.down = False
    module = _load_module()
    gw = module.load(gateway.log.parent / "config.yaml", gateway.log.parent / "apisix.yaml", gateway.env)
    paths = [
        "/",
        "/login",
        "/login/",
        "/loginx",
        "/login/x",
        "/admin/login",
        "/admin/login/",
        "/admin/login/?next=/admin/",
        "/admin/loginfoo",
        "/admin/logi",
        "/checkout/anonymous",
        "/checkout/anonymous/",
        "/checkout/anonymous/x",
        "/checkout/anonymou",
        "/dashboard",
        "/logout/oidc",
        "/logout/oidc/",
        "/login/.apisix/redirect",
        "/admin/login/.apisix/redirect",
        "/checkout/anonymous/.apisix/redirect",
        "/static/x.css",
    ]
    expected = {p: gw.match(module.oidc_rp.normalized_path(p)) for p in paths}
    assert expected["/login"].name == "app-login" and expected["/admin/login/.apisix/redirect"].name == "app-login"
    assert expected["/login/x"].name == "app-wildcard" and expected["/checkout/anonymous/"].name == "app-checkout-anonymous"
    assert expected["/login/.apisix/redirect"].name == "app-wildcard"
    for path in paths:
        before = gateway.log.read_text().count("\n")
        _request(gateway.port, path)
        for _ in range(50):
            lines = gateway.log.read_text().splitlines()[before:]
            mine = [line for line in lines if f'"GET {path} HTTP/1.0"' in line]
            if mine:
                break
            time.sleep(0.05)
        assert mine, f"no access-log line for {path}"
        route = expected[path]
        assert f'route="{route.id} {route.name}"' in mine[-1], (path, mine[-1])


def test_login_redirects_to_the_provider(gateway: Running) -> None:
    gateway.provider.down = False
    status, headers, _ = _request(gateway.port, "/login/")
    assert status == 302
    location = headers["location"][0]
    authorize = gateway.provider.discovery()["authorization_endpoint"]
    assert location.startswith(authorize + "?")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert query["client_id"] == ["apisix"] and query["response_type"] == ["code"]
    assert query["scope"] == ["openid profile ol-profile"]
    assert query["redirect_uri"] == [f"http://{HOST}/login/.apisix/redirect"]
    assert re.fullmatch(r"[0-9a-f]{32}", query["state"][0]) and re.fullmatch(r"[0-9a-f]{32}", query["nonce"][0])
    assert headers["cache-control"] == ["no-cache, no-store, max-age=0"]
    cookie = headers["set-cookie"][0]
    assert cookie.startswith("session=") and "HttpOnly" in cookie and "Path=/" in cookie
    assert headers["content-security-policy"] == ["frame-ancestors 'self' http://openedx.odl.local:8000"]
    # /admin/login...: its own path + the suffix; the unauth_action `pass` route never redirects.
    _, headers, _ = _request(gateway.port, "/admin/login/?next=/admin/")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(headers["location"][0]).query)
    assert query["redirect_uri"] == [f"http://{HOST}/admin/login/.apisix/redirect"]
    status, _, _ = _request(gateway.port, "/dashboard")
    assert status == 200


def _follow_login(gateway: Running, jar: dict[str, str], start: str) -> tuple[int, dict[str, list[str]]]:
    status, headers, _ = _request(gateway.port, start, jar)
    assert status == 302, status
    _store_cookies(jar, headers)
    # The browser at the provider (logged in there already): straight back with a code.
    provider_status, provider_headers, _ = _provider_get(headers["location"][0])
    assert provider_status == 302
    callback = urllib.parse.urlsplit(provider_headers["location"])
    assert callback.netloc == HOST
    status, headers, body = _request(gateway.port, f"{callback.path}?{callback.query}", jar)
    assert status == 302, body
    _store_cookies(jar, headers)
    return status, headers


def _provider_get(url: str) -> tuple[int, dict[str, str], bytes]:
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(f"GET {parts.path}?{parts.query} HTTP/1.0\r\nHost: {parts.netloc}\r\n\r\n".encode())
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode().split("\r\n")
    return int(status_line.split()[1]), {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}, body


def test_full_code_flow_session_headers_and_logout(gateway: Running) -> None:
    gateway.provider.down = False
    jar: dict[str, str] = {}
    _, headers = _follow_login(gateway, jar, "/login")
    assert headers["location"] == ["/login"]  # back where the login started
    token_call = gateway.provider.token_requests[-1]
    assert token_call["form"]["grant_type"] == "authorization_code"
    assert token_call["form"]["redirect_uri"] == f"http://{HOST}/login/.apisix/redirect"
    assert "client_secret" not in token_call["form"]  # client_secret_basic, lua-resty-openidc's default

    # Logged in: /login now runs the redirect plugin after openid-connect.
    status, headers, _ = _request(gateway.port, "/login", jar)
    assert status == 302 and headers["location"] == ["/dashboard"]
    assert headers["content-security-policy"] == ["frame-ancestors 'self' http://openedx.odl.local:8000"]

    status, _, body = _request(gateway.port, "/dashboard", jar, {"X-Userinfo": "forged"})
    assert status == 200
    h = _echo(body)["headers"]
    assert json.loads(base64.b64decode(h["x-userinfo"])) == gateway.provider.userinfo
    assert "\\/" in base64.b64decode(h["x-userinfo"]).decode()  # lua-cjson escapes `/`
    id_token = json.loads(base64.b64decode(h["x-id-token"]))
    assert id_token["sub"] == gateway.provider.userinfo["sub"] and id_token["aud"] == "apisix"
    assert h["x-access-token"] == "access-1"
    status, _, body = _request(gateway.port, "/checkout/anonymous/", jar)
    assert status == 200 and "x-userinfo" in _echo(body)["headers"]

    # A cookie signed with another secret is no session.
    sid = jar["session"].split(".", 1)[0]
    status, _, body = _request(gateway.port, "/dashboard", {"session": f"{sid}.AAAA"})
    assert status == 200 and "x-userinfo" not in _echo(body)["headers"]

    # Logout: session gone, to the provider's end_session_endpoint with the hint and the return URL.
    status, headers, _ = _request(gateway.port, "/logout/oidc", jar)
    assert status == 302
    location = urllib.parse.urlsplit(headers["location"][0])
    assert f"{location.scheme}://{location.netloc}{location.path}" == gateway.provider.discovery()["end_session_endpoint"]
    query = urllib.parse.parse_qs(location.query)
    assert query["post_logout_redirect_uri"] == [gateway.env["APP_LOGOUT_URL"]]
    assert query["id_token_hint"][0].count(".") == 2
    status, _, body = _request(gateway.port, "/dashboard", jar)
    assert status == 200 and "x-userinfo" not in _echo(body)["headers"]
    status, headers, _ = _request(gateway.port, "/checkout/anonymous", jar)
    assert status == 302 and headers["location"][0].startswith(gateway.provider.discovery()["authorization_endpoint"])


def test_admin_login_callback_and_forged_callback(gateway: Running) -> None:
    gateway.provider.down = False
    jar: dict[str, str] = {}
    _, headers = _follow_login(gateway, jar, "/admin/login/?next=/admin/")
    assert headers["location"] == ["/admin/login/?next=/admin/"]
    status, headers, _ = _request(gateway.port, "/admin/login/?next=/admin/", jar)
    assert status == 302 and headers["location"] == ["/dashboard"]
    # A callback with a state the session never issued fails, as lua-resty-openidc fails it (500).
    status, _, _ = _request(gateway.port, "/login/.apisix/redirect?code=x&state=nope", jar)
    assert status == 500
    status, _, _ = _request(gateway.port, "/login/.apisix/redirect?code=x&state=nope")
    assert status == 500


@pytest.mark.parametrize("case", ["no-end", "unset-var", "unknown-plugin", "admin-on"])
def test_bad_files_exit_1_with_a_clear_message(files: dict[str, Any], tmp_path: Path, case: str) -> None:
    config, routes, env = files["config"], files["routes"], dict(files["env"])
    expected = {
        "no-end": "missing valid end flag",
        "unset-var": "can't find environment variable OPENEDX_API_BASE_URL",
        "unknown-plugin": "limit-count not supported",
        "admin-on": "enable_admin must be false",
    }[case]
    if case == "no-end":
        routes = routes.replace("#END", "")
    elif case == "unset-var":
        del env["OPENEDX_API_BASE_URL"]
    elif case == "unknown-plugin":
        routes = routes.replace("      redirect:\n", "      limit-count:\n        count: 1\n      redirect:\n", 1)
    elif case == "admin-on":
        config = config.replace("enable_admin: false", "enable_admin: true")
    proc = _start(tmp_path, config, routes, env)
    assert proc.wait(timeout=30) == 1
    output = (tmp_path / "standin.log").read_text()
    assert "apisix-standin: error:" in output and expected in output, output


def test_default_substitution_and_end_flag_rule(files: dict[str, Any]) -> None:
    module = _load_module()
    assert module.substitute("a: ${{ NOPE:= fallback }}", {}) == "a: fallback"
    assert module.substitute('a: "${{X}}"', {"X": "1"}) == 'a: "1"'
    assert module.substitute("a: ${{X:=}}", {}) == "a: "
    with pytest.raises(module.Unsupported, match="can't find environment variable Y"):
        module.substitute("# even in a comment: ${{Y}}", {})
