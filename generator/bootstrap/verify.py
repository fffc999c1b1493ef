"""The verification checklist: records on both sides, reachability, the service-worker token."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from .engine import Engine
from .plan import Plan
from .probes import Answer, probe_from


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool
    reason: str = ""


def _problems(facts: dict[str, Any] | None, wanted: dict[str, Any]) -> list[str]:
    if facts is None:
        return ["missing"]
    return [f"{name} is {facts.get(name)!r}, want {value!r}" for name, value in wanted.items() if facts.get(name) != value]


def record_checks(plan: Plan, lms: dict[str, Any], app: dict[str, Any]) -> list[Check]:
    """Compare what each side's script read back with the plan and with the other side."""
    ox, ap = plan.openedx, plan.app
    checks = [
        Check(f"Open edX superuser '{ox['superuser']['username']}'", bool(lms.get("superuser")), "missing or not an active superuser"),
        Check(f"MIT app superuser '{ap['superuser']['username']}'", bool(app.get("superuser")), "missing or not an active superuser"),
    ]

    sw = ox["service_worker"]
    token = lms.get("token")
    reasons = [] if lms.get("service_worker") else ["user missing or not active staff"]
    if token is None:
        reasons.append("access token missing")
    elif not token.get("user_matches"):
        reasons.append("access token belongs to another user")
    checks.append(Check(f"Open edX service worker '{sw['username']}' (staff) with its access token", not reasons, "; ".join(reasons)))

    oa = ox["oauth_app"]
    facts = lms.get("oauth_app")
    reasons = _problems(facts, {
        "client_type": oa["client_type"], "grant_type": oa["grant_type"],
        "skip_authorization": oa["skip_authorization"], "redirect_uris": oa["redirect_uris"],
    })
    if facts is not None:
        if facts.get("client_id") != plan.secret(oa["client_id_secret"]):
            reasons.append("client id differs from the app's OPENEDX_API_CLIENT_ID")
        if not facts.get("secret_matches"):
            reasons.append("client secret differs from the app's OPENEDX_API_CLIENT_SECRET")
    checks.append(Check(f"Open edX OAuth app '{oa['name']}' matches the MIT app's OPENEDX_API_CLIENT_ID/SECRET", not reasons, "; ".join(reasons)))

    ma = ap["oauth_app"]
    facts, provider = app.get("oauth_app"), lms.get("provider")
    reasons = _problems(facts, {
        "client_type": ma["client_type"], "grant_type": ma["grant_type"], "skip_authorization": ma["skip_authorization"],
        "redirect_uris": ma["redirect_uris"], "algorithm": ma["algorithm"],
    })
    if facts is not None:
        if provider is None or facts.get("client_id") != provider.get("key"):
            reasons.append("client id differs from the Open edX provider's Client ID")
        elif facts.get("client_id") != plan.secret(ma["client_id_secret"]):
            reasons.append("client id differs from the stack's secrets")
        if not facts.get("secret_matches"):
            reasons.append("client secret differs from the stack's secrets")
    checks.append(Check(f"MIT app OAuth app '{ma['name']}' matches the Open edX provider's client id", not reasons, "; ".join(reasons)))

    prov, site = ox["provider"], ox["site_domain"]
    if provider is None:
        reasons = ["no provider row"]
    else:
        reasons = []
        if not provider.get("enabled"):
            reasons.append("newest row is disabled")
        if provider.get("site") != site:
            reasons.append(f"newest row is for Site {provider.get('site')!r}")
        if not provider.get("secret_matches"):
            reasons.append("client secret differs from the MIT app's edx-oauth-app")
    checks.append(Check(f"Provider '{prov['backend_name']}' enabled for the LMS Site '{site}'", not reasons, "; ".join(reasons)))
    return checks


def _reachable(label: str, answer: Answer, need_ok: bool) -> Check:
    if answer.status is None:
        return Check(label, False, answer.error)
    ok = answer.status == 200 if need_ok else answer.status < 500
    return Check(label, ok, "" if ok else f"answered HTTP {answer.status}")


def reachability_checks(plan: Plan, engine: Engine, get: Callable[..., Answer], with_keycloak: bool = True) -> list[Check]:
    """URLs as the other side's server code will call them (same hostnames as the browser)."""
    ox, ap = plan.openedx, plan.app
    checks = []
    for kind, url in sorted(ap["checks"].items()):
        # The discovery document must really be served; authorize/token only need an answer.
        checks.append(_reachable(f"MIT app {kind} URL {url} reachable from '{ox['service']}'", probe_from(engine, ox["service"], url), kind == "discovery"))
    checks.append(_reachable(f"Open edX {ox['url']} reachable from '{ap['service']}'", probe_from(engine, ap["service"], ox["heartbeat_url"]), False))
    checks.append(token_check(plan, get))
    if plan.keycloak and with_keycloak:
        kc = plan.keycloak
        checks.append(_reachable(f"Keycloak discovery {kc['discovery_url']} reachable", get(kc["discovery_url"]), True))
    return checks


def token_check(plan: Plan, get: Callable[..., Answer]) -> Check:
    sw, url = plan.openedx["service_worker"], plan.openedx["api_check_url"]
    label = f"Service-worker token accepted by {url}"
    answer = get(url, headers={"Authorization": "Bearer " + plan.secret(sw["token_secret"]), "Accept": "application/json"})
    if answer.status != 200:
        return Check(label, False, answer.describe())
    try:
        username = json.loads(answer.body.decode("utf-8", "replace")).get("username")
    except (ValueError, AttributeError):
        return Check(label, False, "HTTP 200 but not a JSON object")
    if username != sw["username"]:
        return Check(label, False, f"answered for user {username!r}, want {sw['username']!r}")
    return Check(label, True)


def course_check(plan: Plan, get: Callable[..., Answer]) -> Check:
    """The stack's course, as the LMS's course API (lms/djangoapps/course_api) reports it."""
    course, sw = plan.data["course"], plan.openedx["service_worker"]
    label = f"Course {course['key']} exists in Open edX ({course['api_url']})"
    answer = get(course["api_url"], headers={"Authorization": "Bearer " + plan.secret(sw["token_secret"]), "Accept": "application/json"})
    if answer.status != 200:
        return Check(label, False, answer.describe() + f"; the import one-shot's log: docker compose logs {course['import_service']}")
    try:
        found = json.loads(answer.body.decode("utf-8", "replace")).get("id")
    except (ValueError, AttributeError):
        return Check(label, False, "HTTP 200 but not a JSON object")
    if found != course["key"]:
        return Check(label, False, f"answered for course {found!r}")
    return Check(label, True)
