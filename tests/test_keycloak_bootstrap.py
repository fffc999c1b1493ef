"""The bootstrap's Keycloak module against a small fake Keycloak (and fake APISIX) on 127.0.0.1.

The module runs in the stack as `odl_bootstrap.keycloak`, beside the bootstrap package's other modules
(the image gets them all); here it is `generator.bootstrap.keycloak`, the same files.
"""

from __future__ import annotations

import ast
import base64
import copy
import json
import subprocess
import sys
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from helpers import ROOT
from http_fakes import QuietHandler

from generator.bootstrap import keycloak as kcmod
from generator.bootstrap.verify import Check

REALM = "ol-local"
ADMIN_PASSWORD = "admin-pw"
SECRETS = {
    "keycloak_admin_password": ADMIN_PASSWORD,
    "apisix_client_secret": "planned-client-secret",
    "keycloak_student_password": "student-pw",
    "keycloak_prof_password": "prof-pw",
    "keycloak_admin_user_password": "admin-user-pw",
    "apisix_session_secret": "s" * 32,
}


class FakeKeycloak:
    """Just enough of Keycloak 26's discovery, token and admin endpoints."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.issuer = f"{self.url}/realms/{REALM}"
        self.realm_exists = True
        self.unavailable_for = 0  # answer 503 to this many discovery requests first
        self.calls: list[tuple[str, str]] = []
        self.scopes = [
            {"id": str(uuid.uuid4()), "name": n}
            for n in ("basic", "profile", "email", "roles", "web-origins", "acr", "ol-profile")
        ]
        self.clients: list[dict[str, Any]] = []
        self.secrets: dict[str, str] = {}
        self.default_scopes: dict[str, set[str]] = {}
        self.add_client("apisix", SECRETS["apisix_client_secret"], ["http://app.test:9080/*"])

    def add_client(self, client_id: str, secret: str, redirect_uris: list[str]) -> None:
        cid = str(uuid.uuid4())
        self.clients.append(
            {
                "id": cid,
                "clientId": client_id,
                "enabled": True,
                "protocol": "openid-connect",
                "publicClient": False,
                "clientAuthenticatorType": "client-secret",
                "standardFlowEnabled": True,
                "bearerOnly": False,
                "directAccessGrantsEnabled": True,
                "redirectUris": redirect_uris,
                "webOrigins": ["+"],
                "attributes": {"post.logout.redirect.uris": "http://app.test:9080/logout/complete", "other": "kept"},
            }
        )
        self.secrets[cid] = secret
        self.default_scopes[cid] = {s["id"] for s in self.scopes}

    def client(self, client_id: str = "apisix") -> dict[str, Any]:
        return next(c for c in self.clients if c["clientId"] == client_id)

    def writes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[0] != "GET" and "/token" not in c[1]]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(QuietHandler):
            def body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def admin_ok(self) -> bool:
                if self.headers.get("Authorization") != "Bearer admin-token":
                    self.reply(401, {"error": "HTTP 401 Unauthorized"})
                    return False
                return True

            def route(self, method: str) -> None:
                path, _, query = self.path.partition("?")
                fake.calls.append((method, path))
                base = f"/admin/realms/{REALM}"
                if path == f"/realms/{REALM}/.well-known/openid-configuration" and method == "GET":
                    if fake.unavailable_for > 0:
                        fake.unavailable_for -= 1
                        return self.reply(503)
                    if not fake.realm_exists:
                        return self.reply(404, {"error": "Realm does not exist"})
                    return self.reply(
                        200,
                        {
                            "issuer": fake.issuer,
                            "authorization_endpoint": f"{fake.issuer}/protocol/openid-connect/auth",
                            "token_endpoint": f"{fake.issuer}/protocol/openid-connect/token",
                        },
                    )
                if path == "/realms/master/protocol/openid-connect/token" and method == "POST":
                    form = urllib.parse.parse_qs(self.body().decode())
                    if form.get("client_id") == ["admin-cli"] and form.get("password") == [ADMIN_PASSWORD]:
                        return self.reply(200, {"access_token": "admin-token"})
                    return self.reply(401, {"error": "invalid_grant"})
                if path == f"/realms/{REALM}/protocol/openid-connect/token" and method == "POST":
                    form = {k: v[0] for k, v in urllib.parse.parse_qs(self.body().decode()).items()}
                    client = next((c for c in fake.clients if c["clientId"] == form.get("client_id")), None)
                    if not client or fake.secrets[client["id"]] != form.get("client_secret"):
                        return self.reply(401, {"error": "unauthorized_client"})
                    if (
                        form.get("username") != "student@odl.local"
                        or form.get("password") != SECRETS["keycloak_student_password"]
                    ):
                        return self.reply(401, {"error": "invalid_grant"})
                    claims = base64.urlsafe_b64encode(json.dumps({"iss": fake.issuer}).encode()).decode().rstrip("=")
                    return self.reply(200, {"access_token": f"e30.{claims}.sig"})
                if not path.startswith("/admin/"):
                    return self.reply(404)
                if not self.admin_ok():
                    return None
                if not fake.realm_exists:
                    return self.reply(404, {"error": "Realm not found."})
                if path == base and method == "GET":
                    return self.reply(200, {"realm": REALM})
                if path == f"{base}/client-scopes":
                    if method == "GET":
                        return self.reply(200, fake.scopes)
                    fake.scopes.append({"id": str(uuid.uuid4()), "name": json.loads(self.body())["name"]})
                    return self.reply(201)
                if path == f"{base}/clients":
                    if method == "GET":
                        wanted = urllib.parse.parse_qs(query).get("clientId", [None])[0]
                        return self.reply(200, [copy.deepcopy(c) for c in fake.clients if c["clientId"] == wanted])
                    rep = json.loads(self.body())
                    fake.add_client(rep["clientId"], rep["secret"], rep["redirectUris"])
                    return self.reply(201)
                parts = path[len(base) + 1 :].split("/")
                if parts[0] == "clients" and len(parts) >= 2:
                    client = next((c for c in fake.clients if c["id"] == parts[1]), None)
                    if client is None:
                        return self.reply(404)
                    if len(parts) == 2 and method == "PUT":
                        rep = json.loads(self.body())
                        if "secret" in rep:
                            fake.secrets[client["id"]] = rep.pop("secret")
                        client.update({k: v for k, v in rep.items() if k != "id"})
                        return self.reply(204)
                    if parts[2:] == ["client-secret"] and method == "GET":
                        return self.reply(200, {"type": "secret", "value": fake.secrets[client["id"]]})
                    if parts[2:3] == ["default-client-scopes"]:
                        if method == "GET":
                            names = [s for s in fake.scopes if s["id"] in fake.default_scopes[client["id"]]]
                            return self.reply(200, names)
                        if method == "PUT" and len(parts) == 4:
                            fake.default_scopes[client["id"]].add(parts[3])
                            return self.reply(204)
                return self.reply(404)

            def do_GET(self) -> None:
                self.route("GET")

            def do_POST(self) -> None:
                self.route("POST")

            def do_PUT(self) -> None:
                self.route("PUT")

        return Handler


class FakeGateway(BaseHTTPRequestHandler):
    """APISIX as the bootstrap sees it: the pass-through route answers, /login/ redirects to Keycloak."""

    issuer = ""
    app_url = ""

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/health/liveness/":
            self.send_response(200)
        elif self.path == "/login/":
            query = urllib.parse.urlencode(
                {"client_id": "apisix", "redirect_uri": f"{self.app_url}/login/.apisix/redirect", "response_type": "code"}
            )
            self.send_response(302)
            self.send_header("Location", f"{self.issuer}/protocol/openid-connect/auth?{query}")
        else:
            self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def keycloak() -> Iterator[FakeKeycloak]:
    fake = FakeKeycloak()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()


@pytest.fixture
def gateway(keycloak: FakeKeycloak) -> Iterator[str]:
    handler = type("Gateway", (FakeGateway,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.app_url = f"http://127.0.0.1:{server.server_address[1]}"
    handler.issuer = keycloak.issuer
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield handler.app_url
    server.shutdown()


def contract(keycloak: FakeKeycloak, app_url: str = "http://app.test:9080") -> dict[str, Any]:
    """The plan's keycloak section, as generator.plan writes it, pointed at the fakes."""
    from generator.plan import make_plan
    from generator.spec import make_spec

    kc = copy.deepcopy(make_plan(make_spec(app="mitxonline", apisix=True)).bootstrap["keycloak"])
    text = json.dumps(kc).replace("http://kc.odl.local:7080", keycloak.url).replace("http://mitxonline.odl.local:9080", app_url)
    kc = json.loads(text)
    assert kc["issuer"] == keycloak.issuer
    for client in keycloak.clients:  # as the realm file imported it
        if client["clientId"] == kc["client"]["client_id"]:
            client["redirectUris"] = list(kc["client"]["redirect_uris"])
            client["attributes"]["post.logout.redirect.uris"] = "##".join(kc["client"]["post_logout_redirect_uris"])
    return kc


def test_the_contract_is_what_the_plan_writes() -> None:
    from generator.plan import make_plan
    from generator.spec import make_spec

    kc = make_plan(make_spec(app="mitxonline", apisix=True)).bootstrap["keycloak"]
    assert kc["issuer"] == "http://kc.odl.local:7080/realms/ol-local"
    assert kc["discovery_url"] == kc["issuer"] + "/.well-known/openid-configuration"
    assert set(SECRETS) >= {kc["admin_password_secret"], kc["client"]["secret_secret"], kc["gateway"]["session_secret_secret"]}
    assert {u["password_secret"] for u in kc["users"]} <= set(SECRETS)


def test_waits_until_keycloak_serves_the_planned_issuer(keycloak: FakeKeycloak) -> None:
    keycloak.unavailable_for = 3
    lines: list[str] = []
    document = kcmod.wait_for_keycloak(contract(keycloak), timeout=30, interval=0.01, log=lines.append)
    assert document["issuer"] == keycloak.issuer
    assert lines == [f"Waiting for Keycloak: {keycloak.issuer}/.well-known/openid-configuration (up to 30 s)"]


def test_wait_gives_up_with_a_message_naming_the_url() -> None:
    now = [0.0]
    kc = {"discovery_url": "http://127.0.0.1:9/realms/ol-local/.well-known/openid-configuration", "issuer": "x"}
    with pytest.raises(
        kcmod.KeycloakError,
        match=r"did not serve http://127.0.0.1:9/realms/ol-local/.* within 5 s .*docker compose logs keycloak",
    ):
        kcmod.wait_for_keycloak(
            kc, timeout=5, log=lambda _: None, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s)
        )


def test_wait_stops_at_once_on_a_wrong_issuer(keycloak: FakeKeycloak) -> None:
    kc = contract(keycloak)
    kc["issuer"] = "http://kc.odl.local:7080/realms/ol-local"
    with pytest.raises(kcmod.KeycloakError, match="announces issuer"):
        kcmod.wait_for_keycloak(kc, timeout=600, interval=0.01, log=lambda _: None)


def test_reconcile_on_a_wired_realm_changes_nothing(keycloak: FakeKeycloak) -> None:
    kc = contract(keycloak)
    lines: list[str] = []
    assert kcmod.reconcile(kc, SECRETS, log=lines.append) == []
    assert keycloak.writes() == []
    assert lines == ["Keycloak: realm ol-local, client apisix already as planned"]


def test_reconcile_repairs_a_drifted_client_then_is_idempotent(keycloak: FakeKeycloak) -> None:
    kc = contract(keycloak)
    client = keycloak.client()
    keycloak.secrets[client["id"]] = "secret-from-an-older-import"
    client["redirectUris"] = ["*"]
    client["publicClient"] = True
    keycloak.default_scopes[client["id"]].discard(next(s["id"] for s in keycloak.scopes if s["name"] == "ol-profile"))

    changes = kcmod.reconcile(kc, SECRETS, log=lambda _: None)
    assert changes == [
        "updated client apisix: publicClient, redirectUris, secret",
        "client apisix: added default scope ol-profile",
    ]
    assert keycloak.secrets[client["id"]] == SECRETS["apisix_client_secret"]
    assert client["redirectUris"] == ["http://app.test:9080/*"] and client["publicClient"] is False
    assert client["attributes"]["other"] == "kept"  # fields the plan doesn't own are left alone
    keycloak.calls.clear()
    assert kcmod.reconcile(kc, SECRETS, log=lambda _: None) == []
    assert keycloak.writes() == []


def test_reconcile_creates_a_missing_client_and_scope(keycloak: FakeKeycloak) -> None:
    keycloak.clients.clear()
    keycloak.scopes = [s for s in keycloak.scopes if s["name"] != "ol-profile"]
    kc = contract(keycloak)
    changes = kcmod.reconcile(kc, SECRETS, log=lambda _: None)
    assert changes[:2] == ["created client scope ol-profile", "created client apisix"]
    client = keycloak.client()
    assert keycloak.secrets[client["id"]] == SECRETS["apisix_client_secret"]
    assert kcmod.reconcile(kc, SECRETS, log=lambda _: None) == []


def test_reconcile_refuses_without_the_realm(keycloak: FakeKeycloak) -> None:
    keycloak.realm_exists = False
    with pytest.raises(kcmod.KeycloakError, match="realm 'ol-local' does not exist.*ol-local-realm.json"):
        kcmod.reconcile(contract(keycloak), SECRETS, log=lambda _: None)


def test_reconcile_explains_a_refused_admin_login(keycloak: FakeKeycloak) -> None:
    with pytest.raises(kcmod.KeycloakError, match="refused the admin login of 'admin' \\(HTTP 401\\)"):
        kcmod.reconcile(contract(keycloak), {**SECRETS, "keycloak_admin_password": "wrong"}, log=lambda _: None)


def _local_exec(argv: list[str]) -> tuple[int, bytes]:
    """A container whose network is this host's loopback: runs the argv right here."""
    done = subprocess.run(argv, capture_output=True, timeout=30)
    return done.returncode, done.stdout + done.stderr


def _bash_only_exec(argv: list[str]) -> tuple[int, bytes]:
    """Like APISIX's and Keycloak's images: no Python, but bash."""
    if argv[0] == "sh":
        return 127, b""
    return _local_exec(argv)


def test_container_get_with_python_and_with_bash_only(keycloak: FakeKeycloak) -> None:
    url = f"{keycloak.issuer}/.well-known/openid-configuration"
    for run in (_local_exec, _bash_only_exec):
        status, body, _ = kcmod.container_get(run, url)
        assert status == 200 and json.loads(body)["issuer"] == keycloak.issuer
    assert kcmod.container_get(_local_exec, "http://127.0.0.1:9/nothing")[0] == 0
    assert kcmod.container_get(_bash_only_exec, "http://127.0.0.1:9/nothing")[0] == 0
    assert kcmod.container_get(lambda argv: (127, b""), url)[0] == 0  # neither Python nor bash


def test_verify_all_green(keycloak: FakeKeycloak, gateway: str) -> None:
    kc = contract(keycloak, app_url=gateway)
    checks = kcmod.verify(kc, SECRETS, exec_in={"apisix": _bash_only_exec, "lms": _local_exec})
    assert [c.label for c in checks] == [
        "Keycloak discovery from the bootstrap",
        "Keycloak discovery from apisix",
        "Keycloak discovery from lms",
        "Keycloak client apisix",
        "Keycloak login of student@odl.local",
        "APISIX pass-through route",
        "APISIX login route sends the browser to Keycloak",
    ]
    assert all(c.ok for c in checks), checks
    assert checks[1] == Check("Keycloak discovery from apisix", True, f"issuer {keycloak.issuer}")


def test_verify_names_what_is_wrong(keycloak: FakeKeycloak, gateway: str) -> None:
    kc = contract(keycloak, app_url=gateway)
    keycloak.secrets[keycloak.client()["id"]] = "drifted"

    def other_keycloak(argv: list[str]) -> tuple[int, bytes]:  # this container resolves kc.odl.local elsewhere
        return 0, b'ODL-HTTP 200\n{"issuer": "http://localhost:8080/realms/ol-local"}'

    checks = {c.label: c for c in kcmod.verify(kc, SECRETS, exec_in={"lms": other_keycloak, "apisix": lambda argv: 1 / 0})}
    assert (
        not checks["Keycloak discovery from lms"].ok and "http://localhost:8080" in checks["Keycloak discovery from lms"].reason
    )
    assert (
        not checks["Keycloak discovery from apisix"].ok and "ZeroDivisionError" in checks["Keycloak discovery from apisix"].reason
    )
    assert not checks["Keycloak client apisix"].ok
    assert not checks["Keycloak login of student@odl.local"].ok  # the gateway's secret no longer works
    assert checks["Keycloak discovery from the bootstrap"].ok


def test_run_waits_reconciles_and_verifies(keycloak: FakeKeycloak, gateway: str) -> None:
    keycloak.secrets[keycloak.client()["id"]] = "drifted"
    changes, checks = kcmod.run(contract(keycloak, app_url=gateway), SECRETS, timeout=10, log=lambda _: None)
    assert changes == ["updated client apisix: secret"]
    assert all(c.ok for c in checks), checks


def test_module_uses_the_standard_library_only() -> None:
    """keycloak.py and the sibling modules it imports (followed to the end) load nothing else."""
    package = ROOT / "generator" / "bootstrap"
    seen, todo, imported = set(), ["keycloak"], set()
    while todo:
        name = todo.pop()
        seen.add(name)
        for node in ast.walk(ast.parse((package / f"{name}.py").read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                siblings = [node.module] if node.module else [alias.name for alias in node.names]
                todo += [sibling for sibling in siblings if sibling not in seen]
            elif isinstance(node, ast.ImportFrom):
                imported.add(str(node.module).split(".")[0])
            elif isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
    assert seen == {"keycloak", "probes", "verify", "engine", "plan"}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported - set(sys.stdlib_module_names)
