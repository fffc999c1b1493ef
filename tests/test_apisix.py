"""APISIX + Keycloak stacks: the realm file, the gateway's config and routes, the compose
services, and the app's nginx keeping forged X-Userinfo headers out."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import ROOT, masked, run_cli, stack_secrets

from generator import apisix

GOLDEN = ROOT / "tests" / "golden" / "mitxonline-apisix"
PLACEHOLDER_LEFTOVERS = ("{{", "{%", "{#", "<secret", "None", "undefined")


@pytest.fixture(scope="module")
def stack(stacks: dict[str, Path]) -> Path:
    return stacks["mitxonline-apisix"]


@pytest.fixture(scope="module")
def plan(stack: Path) -> dict[str, Any]:
    return json.loads((stack / "plan.json").read_text())


@pytest.fixture(scope="module")
def services(stack: Path) -> dict[str, Any]:
    return yaml.safe_load((stack / "docker-compose.yml").read_text())["services"]


def apisix_substituted(text: str, env: dict[str, str]) -> str:
    """What APISIX 3.17 does to apisix.yaml before parsing it: ${{VAR}} -> the variable's value."""

    def value(match: re.Match[str]) -> str:
        assert match.group(1) in env, f"apisix.yaml uses ${{{{{match.group(1)}}}}}, which the apisix service does not set"
        return env[match.group(1)]

    return apisix.APISIX_VARIABLE.sub(value, text)


def keycloak_substituted(text: str, env: dict[str, str]) -> str:
    """What Keycloak does to an imported realm file: ${NAME} -> the variable's value."""

    def value(match: re.Match[str]) -> str:
        assert match.group(1) in env, f"the realm file uses ${{{match.group(1)}}}, which the keycloak service does not set"
        return env[match.group(1)]

    return apisix.KEYCLOAK_PLACEHOLDER.sub(value, text)


def test_generated_files_match_their_golden_files(stack: Path) -> None:
    """Set ODL_UPDATE_GOLDEN=1 to rewrite them (test_render.py's golden test covers the rest)."""
    secrets = stack_secrets(stack)
    for relative in apisix.FILES:
        actual = masked((stack / relative).read_text(), secrets)
        expected = GOLDEN / relative
        if os.environ.get("ODL_UPDATE_GOLDEN"):
            expected.parent.mkdir(parents=True, exist_ok=True)
            expected.write_text(actual)
        assert actual == expected.read_text(), f"{relative} differs from its golden file"


def test_files_hold_no_secret_and_no_template_leftover(stack: Path) -> None:
    secrets = stack_secrets(stack)
    for relative in apisix.FILES:
        text = (stack / relative).read_text()
        assert not [name for name, value in secrets.items() if value in text], relative
        # APISIX's own ${{VAR}} aside, no template syntax or placeholder text is left.
        assert not [bad for bad in PLACEHOLDER_LEFTOVERS if bad in apisix.APISIX_VARIABLE.sub("", text)], relative
        # Readable by the containers' own users (Keycloak uid 1000, APISIX uid 636).
        assert (stack / relative).stat().st_mode & 0o777 == 0o644, relative


def test_realm(stack: Path, plan: dict[str, Any], services: dict[str, Any]) -> None:
    kc = plan["keycloak"]
    text = (stack / apisix.REALM_FILE).read_text()
    realm = json.loads(keycloak_substituted(text, services["keycloak"]["environment"]))
    secrets = json.loads((stack / "secrets/secrets.json").read_text())
    assert realm["realm"] == "ol-local" and realm["enabled"] and realm["sslRequired"] == "none"
    assert realm["registrationEmailAsUsername"] and realm["loginWithEmailAllowed"]

    # Declared scopes replace Keycloak's built-ins: all the client uses must be declared.
    scopes = {s["name"]: s for s in realm["clientScopes"]}
    assert "ol-profile" in scopes
    assert {"basic", "profile", "email", "roles", "web-origins", "acr"} <= set(scopes)
    mappers = {m["protocolMapper"] for s in scopes.values() for m in s["protocolMappers"]}
    assert "oidc-sub-mapper" in mappers  # `sub`, which MITx Online stores as global_id
    claims = {m["config"].get("claim.name") for m in scopes["profile"]["protocolMappers"] + scopes["email"]["protocolMappers"]}
    assert {"preferred_username", "email", "given_name", "family_name"} <= claims
    assert "oidc-full-name-mapper" in {m["protocolMapper"] for m in scopes["profile"]["protocolMappers"]}
    assert set(realm["defaultDefaultClientScopes"]) <= set(scopes)

    (client,) = [c for c in realm["clients"] if c["clientId"] == "apisix"]
    assert client["publicClient"] is False and client["clientAuthenticatorType"] == "client-secret"
    assert client["standardFlowEnabled"] and client["enabled"]
    assert client["secret"] == secrets["apisix_client_secret"]
    assert client["redirectUris"] == ["http://mitxonline.odl.local:9080/*"] == kc["client"]["redirect_uris"]
    assert client["attributes"]["post.logout.redirect.uris"] == "http://mitxonline.odl.local:9080/logout/complete"
    assert set(client["defaultClientScopes"]) <= set(scopes) and "ol-profile" in client["defaultClientScopes"]

    groups = {g["path"] for g in realm["groups"]}
    users = {u["username"]: u for u in realm["users"]}
    assert set(users) == {"student@odl.local", "prof@odl.local", "admin@odl.local"}
    for entry in kc["users"]:
        user = users[entry["username"]]
        (credential,) = user["credentials"]
        assert credential == {"type": "password", "value": secrets[entry["password_secret"]], "temporary": False}
        assert user["enabled"] and user["emailVerified"] and user["firstName"] and user["lastName"]
        assert set(user["groups"]) <= groups and user["requiredActions"] == []


def test_credentials_file_lists_the_realm_users(stack: Path) -> None:
    text = (stack / "secrets/credentials.txt").read_text()
    secrets = json.loads((stack / "secrets/secrets.json").read_text())
    for user, secret in (
        ("student", "keycloak_student_password"),
        ("prof", "keycloak_prof_password"),
        ("admin", "keycloak_admin_user_password"),
    ):
        assert f"{user}@odl.local / {secrets[secret]}" in text


def test_apisix_config_is_standalone_without_admin_api(stack: Path) -> None:
    config = yaml.safe_load((stack / apisix.APISIX_CONFIG_FILE).read_text())
    assert config["apisix"]["enable_admin"] is False
    assert config["apisix"]["node_listen"] == [9080]
    assert config["deployment"] == {"role": "data_plane", "role_data_plane": {"config_provider": "yaml"}}
    assert "etcd" not in config


def test_apisix_routes(stack: Path, plan: dict[str, Any], services: dict[str, Any]) -> None:
    env = services["apisix"]["environment"]
    raw = (stack / apisix.APISIX_ROUTES_FILE).read_text()
    assert raw.rstrip("\n").splitlines()[-1] == "#END"  # APISIX ignores the file without it
    routes_file = yaml.safe_load(apisix_substituted(raw, env))
    assert routes_file["upstreams"] == [{"id": 1, "name": "app", "type": "roundrobin", "nodes": {"app-nginx:8013": 1}}]
    routes = {r["name"]: r for r in routes_file["routes"]}
    assert set(routes) == {"app-wildcard", "app-login", "app-checkout-anonymous"}
    assert routes["app-wildcard"]["uris"] == ["/*"] and routes["app-wildcard"]["priority"] == 0
    assert routes["app-login"]["uris"] == ["/login", "/login/", "/admin/login*"]
    assert routes["app-checkout-anonymous"]["uris"] == ["/checkout/anonymous", "/checkout/anonymous/"]
    assert routes["app-login"]["priority"] > routes["app-checkout-anonymous"]["priority"] > 0
    assert routes["app-login"]["plugins"]["redirect"] == {"uri": "/dashboard"}
    expected_action = {"app-wildcard": "pass", "app-login": "auth", "app-checkout-anonymous": "auth"}
    kc = plan["keycloak"]
    secrets = json.loads((stack / "secrets/secrets.json").read_text())
    for name, route in routes.items():
        assert route["upstream_id"] == 1
        oidc = route["plugins"]["openid-connect"]
        assert oidc["unauth_action"] == expected_action[name]
        assert oidc["client_id"] == "apisix"
        assert oidc["client_secret"] == secrets["apisix_client_secret"]
        assert (
            oidc["discovery"]
            == kc["discovery_url"]
            == "http://kc.odl.local:7080/realms/ol-local/.well-known/openid-configuration"
        )
        assert oidc["realm"] == "ol-local"
        assert oidc["scope"] == "openid profile ol-profile"
        assert oidc["bearer_only"] is False and oidc["ssl_verify"] is False
        assert oidc["introspection_endpoint_auth_method"] == "client_secret_post"
        assert oidc["session"]["secret"] == secrets["apisix_session_secret"] and len(oidc["session"]["secret"]) >= 16
        assert oidc["logout_path"] == "/logout/oidc"
        assert oidc["post_logout_redirect_uri"] == "http://mitxonline.odl.local:9080/logout/complete"
        csp = route["plugins"]["response-rewrite"]["headers"]["set"]["Content-Security-Policy"]
        assert csp == "frame-ancestors 'self' http://openedx.odl.local:8000"


def test_compose_services(services: dict[str, Any], plan: dict[str, Any]) -> None:
    kc, apisix_service, db = services["keycloak"], services["apisix"], services["keycloak-db"]
    assert not kc["image"].endswith(":latest") and ":26." in kc["image"]
    assert apisix_service["image"].endswith(":3.17.0-debian")
    assert kc["command"][:2] == ["start-dev", "--import-realm"]
    assert "--hostname=http://kc.odl.local:7080" in kc["command"] and "--http-port=7080" in kc["command"]
    assert kc["ports"] == ["127.0.0.1:7080:7080"] and apisix_service["ports"] == ["127.0.0.1:9080:9080"]
    assert kc["networks"]["odl"]["aliases"] == ["kc.odl.local"]
    assert apisix_service["networks"]["odl"]["aliases"] == ["mitxonline.odl.local"]
    assert "aliases" not in services["app-nginx"]["networks"]["odl"]  # the app's name belongs to the gateway
    assert kc["volumes"] == ["./keycloak/import:/opt/keycloak/data/import:ro"]
    assert sorted(apisix_service["volumes"]) == [
        "./apisix/apisix.yaml:/usr/local/apisix/conf/apisix.yaml:ro",
        "./apisix/config.yaml:/usr/local/apisix/conf/config.yaml:ro",
    ]
    assert kc["environment"]["KC_DB_URL"] == "jdbc:postgresql://keycloak-db:5432/keycloak"
    assert kc["environment"]["KC_DB_PASSWORD"] == db["environment"]["POSTGRES_PASSWORD"]
    assert kc["environment"]["KC_BOOTSTRAP_ADMIN_USERNAME"] == plan["keycloak"]["admin_username"]
    assert kc["depends_on"] == {"keycloak-db": {"condition": "service_healthy"}}
    assert apisix_service["depends_on"]["keycloak"] == {"condition": "service_healthy"}
    assert apisix_service["environment"]["APISIX_STAND_ALONE"] == "true"
    # Nothing of ours is left for Compose to interpolate.
    for service in (kc, apisix_service, db):
        assert "$" not in json.dumps(service)


def test_app_side_uses_the_gateway_url(stack: Path, plan: dict[str, Any]) -> None:
    env = dict(line.split("=", 1) for line in (stack / "app.env").read_text().splitlines() if line and not line.startswith("#"))
    assert env["MITX_ONLINE_BASE_URL"] == env["MITXONLINE_DOCKER_BASE_URL"] == "http://mitxonline.odl.local:9080"
    assert env["MITOL_APIGATEWAY_DISABLE_MIDDLEWARE"] == "False"
    assert env["MITOL_APIGATEWAY_USERINFO_CREATE"] == env["MITOL_APIGATEWAY_USERINFO_UPDATE"] == "True"
    assert env["KEYCLOAK_BASE_URL"] == "http://kc.odl.local:7080" and env["KEYCLOAK_REALM_NAME"] == "ol-local"
    other = plan["openedx"]["provider"]["other_settings"]
    assert other == {
        "DISCOVERY_URL": "http://mitxonline.odl.local:9080/.well-known/openid-configuration",
        "API_ROOT": "http://mitxonline.odl.local:9080/",
    }
    assert all(uri.startswith("http://mitxonline.odl.local:9080/") for uri in plan["openedx"]["oauth_app"]["redirect_uris"])
    settings = (stack / "tutor/env/apps/openedx/settings/lms/production.py").read_text()
    assert '"http://mitxonline.odl.local:9080/logout"' in settings  # IDA_LOGOUT_URI_LIST


def test_cli_no_longer_refuses_apisix(tmp_path: Path) -> None:
    result = run_cli("new", "--app", "mitxonline", "--apisix", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "http://mitxonline.odl.local:9080" in result.stdout and "kc.odl.local" in result.stdout
    assert (tmp_path / "mitxonline-apisix" / apisix.REALM_FILE).is_file()


def test_other_port_choices_flow_into_every_file(tmp_path: Path) -> None:
    from generator.plan import make_plan
    from generator.render import write_stack
    from generator.spec import make_spec

    spec = make_spec(app="mitxonline", apisix=True, ports={"apisix": 9443, "keycloak": 7443})
    stack = tmp_path / "s"
    write_stack(make_plan(spec), stack)
    compose = yaml.safe_load((stack / "docker-compose.yml").read_text())["services"]
    assert "--hostname=http://kc.odl.local:7443" in compose["keycloak"]["command"]
    assert compose["apisix"]["ports"] == ["127.0.0.1:9443:9443"]
    assert yaml.safe_load((stack / apisix.APISIX_CONFIG_FILE).read_text())["apisix"]["node_listen"] == [9443]
    realm = json.loads((stack / apisix.REALM_FILE).read_text())
    assert realm["clients"][0]["redirectUris"] == ["http://mitxonline.odl.local:9443/*"]
    assert compose["apisix"]["environment"]["KEYCLOAK_DISCOVERY_URL"].startswith("http://kc.odl.local:7443/realms/ol-local/")


# --- the app's nginx: only APISIX's address may pass X-Userinfo -----------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"userinfo": self.headers.get("X-Userinfo"), "port": self.headers.get("X-Forwarded-Port")}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _get(port: int, source: str, headers: dict[str, str]) -> dict[str, Any]:
    with socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0)) as conn:
        lines = ["GET /dashboard HTTP/1.0", "Host: mitxonline.odl.local:9080", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
        conn.sendall("\r\n".join(lines).encode())
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    return json.loads(data.partition(b"\r\n\r\n")[2])


@pytest.mark.parametrize("name", ["mitxonline-apisix", "mitxonline"])
def test_app_nginx_drops_x_userinfo_unless_it_comes_from_apisix(stacks: dict[str, Path], tmp_path: Path, name: str) -> None:
    """The generated app/nginx.conf run by a real nginx on loopback: 127.0.0.2 stands for APISIX."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    # `make test` installs Debian's nginx-light (tests/system-deps.sh); without it this must fail, not skip.
    assert nginx, "nginx is not installed: run `bash tests/system-deps.sh` (Debian: nginx-light)"
    stack = stacks[name]
    plan = json.loads((stack / "plan.json").read_text())
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    listen = _free_port()
    conf = (stack / "app/nginx.conf").read_text()
    conf = conf.replace("listen 8013;", f"listen 127.0.0.1:{listen};")
    conf = conf.replace("proxy_pass http://app-web:8011;", f"proxy_pass http://127.0.0.1:{upstream.server_address[1]};")
    if name == "mitxonline-apisix":
        conf = conf.replace(f"{plan['network']['addresses']['apisix']} ", "127.0.0.2 ")
    assert f"listen 127.0.0.1:{listen};" in conf
    for sub in ("client_body_temp", "proxy_temp", "fastcgi_temp", "uwsgi_temp", "scgi_temp", "logs"):
        (tmp_path / sub).mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"daemon off;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp_path}/client_body_temp;\n proxy_temp_path {tmp_path}/proxy_temp;\n"
        f" fastcgi_temp_path {tmp_path}/fastcgi_temp;\n uwsgi_temp_path {tmp_path}/uwsgi_temp;\n scgi_temp_path {tmp_path}/scgi_temp;\n"
        f"{conf}\n}}\n"
    )
    check = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    server = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", listen), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        forged = {"X-Userinfo": "eyJzdWIiOiAiZm9yZ2VkIn0=", "X-Forwarded-Port": "9080"}
        direct = _get(listen, "127.0.0.1", forged)
        assert direct["userinfo"] is None  # a request straight to the app's port
        assert direct["port"] == "8013"
        via_gateway = _get(listen, "127.0.0.2", forged)
        if name == "mitxonline-apisix":
            assert via_gateway == {"userinfo": forged["X-Userinfo"], "port": "9080"}
        else:
            assert via_gateway["userinfo"] is None  # no gateway at all: nobody may assert a user
    finally:
        server.terminate()
        server.wait(timeout=10)
        upstream.shutdown()


def test_cookiecutter_apisix_choice_writes_the_same_stack(tmp_path: Path) -> None:
    import sys

    from helpers import make_stack, tree

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            "--no-input",
            "-o",
            str(tmp_path / "cc"),
            str(ROOT / "cookiecutter-template"),
            "app=mitxonline",
            "apisix=yes",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    cc_stack, cli_stack = tmp_path / "cc" / "mitxonline-apisix", make_stack(tmp_path / "cli", app="mitxonline", apisix=True)
    cc_tree, cli_tree = tree(cc_stack), tree(cli_stack)
    assert sorted(cc_tree) == sorted(cli_tree)
    cc_secrets, cli_secrets = stack_secrets(cc_stack), stack_secrets(cli_stack)
    for relative in ("docker-compose.yml", "app.env", "plan.json", "app/nginx.conf", *apisix.FILES):
        assert masked(cc_tree[relative].decode(), cc_secrets) == masked(cli_tree[relative].decode(), cli_secrets), relative
