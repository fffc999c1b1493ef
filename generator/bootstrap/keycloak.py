"""Keycloak side of the bootstrap (stacks with APISIX): wait, reconcile, verify.

The standard library (urllib) and its sibling modules only, so it runs in the bootstrap image as
`odl_bootstrap.keycloak` and in the generator's tests alike; its checks are the checklist's `Check`. Every function reads the plan's `keycloak` section
(`plan.json` -> "keycloak") and the stack's secrets (`secrets/secrets.json`, name -> value).

    discovery = wait_for_keycloak(kc, timeout=plan["timeouts"]["keycloak"])
    changes = reconcile(kc, secrets)                  # [] when nothing had to change
    checks = verify(kc, secrets, exec_in={"apisix": apisix.exec_run, "lms": lms.exec_run})

`--import-realm` creates the realm only on Keycloak's first start; afterwards the realm is
Keycloak's, so the gateway's client (secret, redirect URIs, scopes) is made to match the plan
through the admin REST API. Nothing else in the realm is touched.

`exec_in` maps a compose service to a callable that runs an argv in that service's container
and returns `(exit_code, output_bytes)`: a docker SDK `Container.exec_run` fits as it is.
It is how the discovery document is fetched from the gateway's and the LMS's side of the
network, proving both resolve kc.odl.local to the same Keycloak and get the same issuer.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .probes import DIRECT
from .verify import Check

ExecRun = Callable[[list[str]], Any]  # argv -> (exit_code, output bytes), e.g. Container.exec_run
Log = Callable[[str], None]

HTTP_TIMEOUT = 10
# Client fields the plan decides; everything else on the client is left as Keycloak has it.
MANAGED_FIELDS = {
    "enabled": True,
    "protocol": "openid-connect",
    "publicClient": False,
    "clientAuthenticatorType": "client-secret",
    "standardFlowEnabled": True,
    "directAccessGrantsEnabled": True,  # the checklist logs the test student in with it
    "bearerOnly": False,
}


class KeycloakError(Exception):
    """Keycloak could not be reached or reconciled; the message says what and how to fix it."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


def http(
    method: str,
    url: str,
    *,
    form: Mapping[str, str] | None = None,
    body: Any = None,
    token: str | None = None,
    timeout: float = HTTP_TIMEOUT,
) -> Response:
    """One HTTP exchange; redirects are returned, not followed. Raises OSError when unreachable."""
    headers = {"Accept": "application/json"}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with DIRECT.open(request, timeout=timeout) as reply:
            return Response(reply.status, dict(reply.headers.items()), reply.read())
    except urllib.error.HTTPError as err:
        return Response(err.code, dict(err.headers.items()) if err.headers else {}, err.read())


# --- waiting -------------------------------------------------------------------------------


def wait_for_keycloak(
    kc: Mapping[str, Any],
    *,
    timeout: float = 600,
    interval: float = 3.0,
    log: Log = print,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll the realm's discovery URL until it answers with the planned issuer; return the document.

    Keycloak's first start (database schema, realm import) takes a minute or more.
    """
    url, deadline = kc["discovery_url"], clock() + timeout
    log(f"Waiting for Keycloak: {url} (up to {int(timeout)} s)")
    last = "no answer yet"
    while True:
        try:
            reply = http("GET", url)
            if reply.status == 200:
                document: dict[str, Any] = reply.json()
                if document.get("issuer") == kc["issuer"]:
                    return document
                # A wrong issuer never fixes itself: Keycloak's --hostname disagrees with the plan.
                raise KeycloakError(
                    f"Keycloak announces issuer {document.get('issuer')!r}, the plan expects {kc['issuer']!r}. "
                    "Fix: regenerate the stack (odl-stack new --force) and recreate the keycloak service."
                )
            last = f"HTTP {reply.status}"
        except (OSError, ValueError) as exc:
            last = str(exc) or exc.__class__.__name__
        if clock() >= deadline:
            raise KeycloakError(
                f"Keycloak did not serve {url} within {int(timeout)} s (last: {last}). "
                "Fix: `docker compose logs keycloak keycloak-db`."
            )
        sleep(interval)


# --- reconciling ---------------------------------------------------------------------------


def admin_token(kc: Mapping[str, Any], secrets: Mapping[str, str]) -> str:
    """Token of the master realm's admin (created by KC_BOOTSTRAP_ADMIN_* on first start)."""
    reply = http(
        "POST",
        f"{kc['url']}/realms/master/protocol/openid-connect/token",
        form={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": kc["admin_username"],
            "password": secrets[kc["admin_password_secret"]],
        },
    )
    if reply.status != 200:
        raise KeycloakError(
            f"Keycloak refused the admin login of '{kc['admin_username']}' (HTTP {reply.status}). "
            "Fix: the admin password is set on Keycloak's first start only; if secrets.json changed since, "
            "reset it in the Keycloak console or remove the keycloak-db-data volume."
        )
    token: str = reply.json()["access_token"]
    return token


class _Admin:
    def __init__(self, kc: Mapping[str, Any], token: str) -> None:
        self.base = f"{kc['url']}/admin/realms/{urllib.parse.quote(kc['realm'])}"
        self.token = token

    def call(self, method: str, path: str, body: Any = None, expect: Iterable[int] = (200,)) -> Response:
        reply = http(method, self.base + path, body=body, token=self.token)
        if reply.status not in tuple(expect):
            raise KeycloakError(f"Keycloak admin API: {method} {path or '/'} answered HTTP {reply.status}: {reply.body[:200]!r}")
        return reply


def desired_client(kc: Mapping[str, Any], secrets: Mapping[str, str]) -> dict[str, Any]:
    """The gateway client as the plan wants it (the realm file creates the same on first import)."""
    client = kc["client"]
    return {
        "clientId": client["client_id"],
        **MANAGED_FIELDS,
        "secret": secrets[client["secret_secret"]],
        "redirectUris": list(client["redirect_uris"]),
        "attributes": {"post.logout.redirect.uris": "##".join(client["post_logout_redirect_uris"])},
    }


def reconcile(kc: Mapping[str, Any], secrets: Mapping[str, str], *, log: Log = print) -> list[str]:
    """Make the realm's gateway client match the plan; return what changed ([] on a wired stack)."""
    admin = _Admin(kc, admin_token(kc, secrets))
    realm = kc["realm"]
    if admin.call("GET", "", expect=(200, 404)).status == 404:
        raise KeycloakError(
            f"realm '{realm}' does not exist: Keycloak did not import keycloak/import/ol-local-realm.json. "
            "Fix: `docker compose logs keycloak`, then recreate it: `docker compose up -d --force-recreate keycloak`."
        )
    changes: list[str] = []
    want = desired_client(kc, secrets)
    client_id = want["clientId"]

    scope_name = kc["client_scope"]
    scopes = {s["name"]: s["id"] for s in admin.call("GET", "/client-scopes").json()}
    if scope_name not in scopes:
        admin.call(
            "POST",
            "/client-scopes",
            {"name": scope_name, "protocol": "openid-connect", "attributes": {"include.in.token.scope": "true"}},
            expect=(201,),
        )
        scopes = {s["name"]: s["id"] for s in admin.call("GET", "/client-scopes").json()}
        changes.append(f"created client scope {scope_name}")

    query = urllib.parse.urlencode({"clientId": client_id})
    found = admin.call("GET", f"/clients?{query}").json()
    if not found:
        admin.call(
            "POST",
            "/clients",
            {**want, "webOrigins": ["+"], "defaultClientScopes": list(kc["client"]["default_scopes"])},
            expect=(201,),
        )
        found = admin.call("GET", f"/clients?{query}").json()
        changes.append(f"created client {client_id}")
    current = found[0]
    uuid = current["id"]

    secret = admin.call("GET", f"/clients/{uuid}/client-secret").json().get("value")
    differs = [
        key for key, value in want.items() if key not in ("secret", "attributes", "redirectUris") and current.get(key) != value
    ]
    if sorted(current.get("redirectUris") or []) != sorted(want["redirectUris"]):
        differs.append("redirectUris")
    attributes = dict(current.get("attributes") or {})
    if any(attributes.get(k) != v for k, v in want["attributes"].items()):
        differs.append("attributes")
    if secret != want["secret"]:
        differs.append("secret")
    if differs:
        updated = {**current, **want, "attributes": {**attributes, **want["attributes"]}}
        admin.call("PUT", f"/clients/{uuid}", updated, expect=(204, 200))
        if "secret" in differs and admin.call("GET", f"/clients/{uuid}/client-secret").json().get("value") != want["secret"]:
            raise KeycloakError(f"Keycloak did not take the new secret of client {client_id}")
        changes.append(f"updated client {client_id}: {', '.join(differs)}")

    defaults = {s["name"] for s in admin.call("GET", f"/clients/{uuid}/default-client-scopes").json()}
    for name in kc["client"]["default_scopes"]:
        if name not in defaults and name in scopes:
            admin.call("PUT", f"/clients/{uuid}/default-client-scopes/{scopes[name]}", expect=(204, 200))
            changes.append(f"client {client_id}: added default scope {name}")
    for change in changes:
        log(f"Keycloak: {change}")
    if not changes:
        log(f"Keycloak: realm {realm}, client {client_id} already as planned")
    return changes


# --- verifying -----------------------------------------------------------------------------

_PY_GET = (
    "import sys, urllib.request, urllib.error\n"
    "try:\n"
    "    r = urllib.request.urlopen(sys.argv[1], timeout=10); status, body = r.status, r.read()\n"
    "except urllib.error.HTTPError as e:\n"
    "    status, body = e.code, e.read()\n"
    "except Exception as e:\n"
    "    sys.stdout.write('ODL-HTTP 0 %s\\n' % e); sys.exit(0)\n"
    "sys.stdout.write('ODL-HTTP %d\\n' % status); sys.stdout.flush(); sys.stdout.buffer.write(body)\n"
)
_PY_WRAPPER = 'for p in python3 python; do if command -v "$p" >/dev/null 2>&1; then exec "$p" -c "$1" "$2"; fi; done; exit 127'
# Images without Python (APISIX, Keycloak) still have bash: plain HTTP/1.0 over /dev/tcp.
_BASH_GET = (
    'exec 3<>"/dev/tcp/$1/$2" || exit 7; '
    'printf \'GET %s HTTP/1.0\\r\\nHost: %s:%s\\r\\nConnection: close\\r\\n\\r\\n\' "$3" "$1" "$2" >&3; '
    "printf 'ODL-RAW\\n'; cat <&3"
)


def _result(value: Any) -> tuple[int, bytes]:
    code, output = value[0], value[1]
    return int(code if code is not None else 0), output if isinstance(output, bytes) else str(output).encode()


def container_get(exec_run: ExecRun, url: str) -> tuple[int, bytes, str]:
    """GET `url` from inside a container: (status, body, how); status 0 when unreachable."""
    code, out = _result(exec_run(["sh", "-c", _PY_WRAPPER, "sh", _PY_GET, url]))
    if code != 127:
        marker = out.find(b"ODL-HTTP ")
        if marker < 0:
            return 0, out, "python"
        head, _, body = out[marker + 9 :].partition(b"\n")
        status = int(head.split(b" ", 1)[0]) if head.split(b" ", 1)[0].isdigit() else 0
        return status, (body if status else head), "python"
    parts = urllib.parse.urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    code, out = _result(exec_run(["bash", "-c", _BASH_GET, "bash", parts.hostname or "", str(parts.port or 80), path or "/"]))
    marker = out.find(b"ODL-RAW\n")
    if code != 0 or marker < 0:
        return 0, out[-200:], "bash"
    raw = out[marker + 8 :]
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0
    return status, body, "bash"


def _issuer_check(name: str, kc: Mapping[str, Any], status: int, body: bytes) -> Check:
    if status != 200:
        return Check(name, False, f"{kc['discovery_url']} answered {status or 'nothing'}: {body[:120]!r}")
    try:
        issuer = json.loads(body.decode("utf-8")).get("issuer")
    except ValueError:
        return Check(name, False, "the discovery document is not JSON")
    if issuer != kc["issuer"]:
        return Check(name, False, f"issuer {issuer!r}, expected {kc['issuer']!r}")
    return Check(name, True, f"issuer {issuer}")


def _jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def verify(kc: Mapping[str, Any], secrets: Mapping[str, str], *, exec_in: Mapping[str, ExecRun] | None = None) -> list[Check]:
    """The Keycloak/APISIX lines of the bootstrap's checklist (never raises for a failed check)."""
    checks: list[Check] = []
    discovery: dict[str, Any] = {}
    try:
        reply = http("GET", kc["discovery_url"])
        checks.append(_issuer_check("Keycloak discovery from the bootstrap", kc, reply.status, reply.body))
        discovery = reply.json() if reply.status == 200 else {}
    except (OSError, ValueError) as exc:
        checks.append(Check("Keycloak discovery from the bootstrap", False, str(exc)))
    for service, exec_run in (exec_in or {}).items():
        try:
            status, body, _ = container_get(exec_run, kc["discovery_url"])
            checks.append(_issuer_check(f"Keycloak discovery from {service}", kc, status, body))
        except Exception as exc:  # a container that cannot exec is a failed check, not a crash
            checks.append(Check(f"Keycloak discovery from {service}", False, f"{exc.__class__.__name__}: {exc}"))

    client = kc["client"]
    try:
        admin = _Admin(kc, admin_token(kc, secrets))
        found = admin.call("GET", "/clients?" + urllib.parse.urlencode({"clientId": client["client_id"]})).json()
        if not found:
            checks.append(Check(f"Keycloak client {client['client_id']}", False, f"missing in realm {kc['realm']}"))
        else:
            secret = admin.call("GET", f"/clients/{found[0]['id']}/client-secret").json().get("value")
            same_uris = sorted(found[0].get("redirectUris") or []) == sorted(client["redirect_uris"])
            ok = secret == secrets[client["secret_secret"]] and same_uris
            checks.append(
                Check(
                    f"Keycloak client {client['client_id']}",
                    ok,
                    "secret and redirect URIs as planned"
                    if ok
                    else "secret or redirect URIs differ from the plan; re-run the bootstrap",
                )
            )
    except (KeycloakError, OSError, ValueError, KeyError) as exc:
        checks.append(Check(f"Keycloak client {client['client_id']}", False, str(exc)))

    user = kc["users"][0]
    name = f"Keycloak login of {user['username']}"
    try:
        reply = http(
            "POST",
            f"{kc['issuer']}/protocol/openid-connect/token",
            form={
                "grant_type": "password",
                "client_id": client["client_id"],
                "client_secret": secrets[client["secret_secret"]],
                "username": user["username"],
                "password": secrets[user["password_secret"]],
                "scope": kc["gateway"]["scope"],
            },
        )
        if reply.status != 200:
            checks.append(Check(name, False, f"token endpoint answered HTTP {reply.status}: {reply.body[:120]!r}"))
        else:
            issuer = _jwt_claims(reply.json()["access_token"]).get("iss")
            checks.append(Check(name, issuer == kc["issuer"], f"token issuer {issuer}"))
    except (OSError, ValueError, KeyError, IndexError) as exc:
        checks.append(Check(name, False, str(exc)))

    gateway = kc["gateway"]
    try:
        reply = http("GET", gateway["health_url"])
        checks.append(
            Check("APISIX pass-through route", 200 <= reply.status < 400, f"{gateway['health_url']} answered HTTP {reply.status}")
        )
    except OSError as exc:
        checks.append(Check("APISIX pass-through route", False, f"{gateway['health_url']}: {exc}"))
    try:
        reply = http("GET", gateway["login_url"])
        location = reply.headers.get("Location") or reply.headers.get("location") or ""
        authorize = discovery.get("authorization_endpoint") or f"{kc['issuer']}/protocol/openid-connect/auth"
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
        ok = (
            reply.status in (301, 302, 303, 307)
            and location.startswith(authorize)
            and query.get("client_id") == [client["client_id"]]
            and query.get("redirect_uri", [""])[0].startswith(gateway["url"] + "/")
        )
        detail = f"{gateway['login_url']} -> HTTP {reply.status} {location.split('?')[0] or '(no Location)'}"
        checks.append(Check("APISIX login route sends the browser to Keycloak", ok, detail))
    except OSError as exc:
        checks.append(Check("APISIX login route sends the browser to Keycloak", False, f"{gateway['login_url']}: {exc}"))
    return checks


def run(
    kc: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    timeout: float = 600,
    exec_in: Mapping[str, ExecRun] | None = None,
    log: Log = print,
) -> tuple[list[str], list[Check]]:
    """wait_for_keycloak, reconcile, verify; KeycloakError from the first two stops the run."""
    wait_for_keycloak(kc, timeout=timeout, log=log)
    changes = reconcile(kc, secrets, log=log)
    return changes, verify(kc, secrets, exec_in=exec_in)
