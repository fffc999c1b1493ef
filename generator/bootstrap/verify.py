"""The verification checklist: records on both sides, reachability, the service-worker token."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .engine import Engine
from .plan import Plan
from .probes import Answer, probe_from


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool
    reason: str = ""  # why it failed; on a passing check (keycloak.py's), what was seen, not printed
    warn: bool = False  # ok, but something optional did not work: shown as ⚠, never fails the run


def _problems(facts: dict[str, Any] | None, wanted: dict[str, Any]) -> list[str]:
    if facts is None:
        return ["missing"]
    return [f"{name} is {facts.get(name)!r}, want {value!r}" for name, value in wanted.items() if facts.get(name) != value]


def optional_step_checks(plan: Plan, engine: Engine) -> list[Check]:
    """Optional init steps of the app that failed (app-init goes on past them): one ⚠ each."""
    init = plan.app.get("init")
    if not init:
        return []
    marker = init["optional_failed_marker"]
    failed = [line.split(marker, 1)[1].strip() for line in engine.logs(init["service"]).splitlines() if marker in line]
    return [
        Check(
            f"MIT app optional init step `{step}`",
            True,
            f"failed in '{init['service']}' (see its log); the app runs without it",
            warn=True,
        )
        for step in failed
    ]


def record_checks(plan: Plan, lms: dict[str, Any], app: dict[str, Any]) -> list[Check]:
    """Compare what each side's script read back with the plan and with the other side."""
    ox, ap = plan.openedx, plan.app
    checks = [
        Check(
            f"Open edX superuser '{ox['superuser']['username']}'",
            bool(lms.get("superuser")),
            "missing or not an active superuser",
        ),
        Check(
            f"MIT app superuser '{ap['superuser']['username']}'", bool(app.get("superuser")), "missing or not an active superuser"
        ),
    ]

    sw = ox["service_worker"]
    token = lms.get("token")
    reasons = [] if lms.get("service_worker") else ["user missing or not active staff"]
    if token is None:
        reasons.append("access token missing")
    elif not token.get("user_matches"):
        reasons.append("access token belongs to another user")
    if not lms.get("worker_bearer_ok"):
        # edx-platform openedx/core/lib/api/authentication.py BearerAuthentication.authenticate_credentials
        reasons.append("owns no OAuth application and has no usable password: BearerAuthentication answers 401")
    checks.append(
        Check(
            f"Open edX service worker '{sw['username']}' (staff, owns an OAuth application) with its access token",
            not reasons,
            "; ".join(reasons),
        )
    )

    cc = ox.get("courses_oauth_app")
    if cc:
        facts = lms.get("courses_oauth_app")
        reasons = _problems(facts, {"client_type": cc["client_type"], "grant_type": cc["grant_type"]})
        if facts is not None:
            if facts.get("client_id") != plan.secret(cc["client_id_secret"]):
                reasons.append("client id differs from the app's OPENEDX_COURSES_SERVICE_WORKER_CLIENT_ID")
            if not facts.get("secret_matches"):
                reasons.append("client secret differs from the app's OPENEDX_COURSES_SERVICE_WORKER_CLIENT_SECRET")
            if facts.get("user_id") is None or facts.get("user_id") != lms.get("worker_id"):
                reasons.append(f"not owned by '{cc['owner']}'")
        checks.append(
            Check(
                f"Open edX OAuth app '{cc['name']}' (client_credentials) matches OPENEDX_COURSES_SERVICE_WORKER_CLIENT_ID/SECRET",
                not reasons,
                "; ".join(reasons),
            )
        )

    oa = ox["oauth_app"]
    facts = lms.get("oauth_app")
    reasons = _problems(
        facts,
        {
            "client_type": oa["client_type"],
            "grant_type": oa["grant_type"],
            "skip_authorization": oa["skip_authorization"],
            "redirect_uris": oa["redirect_uris"],
        },
    )
    if facts is not None:
        if facts.get("client_id") != plan.secret(oa["client_id_secret"]):
            reasons.append("client id differs from the app's OPENEDX_API_CLIENT_ID")
        if not facts.get("secret_matches"):
            reasons.append("client secret differs from the app's OPENEDX_API_CLIENT_SECRET")
    checks.append(
        Check(
            f"Open edX OAuth app '{oa['name']}' matches the MIT app's OPENEDX_API_CLIENT_ID/SECRET",
            not reasons,
            "; ".join(reasons),
        )
    )

    ma = ap["oauth_app"]
    facts, provider = app.get("oauth_app"), lms.get("provider")
    reasons = _problems(
        facts,
        {
            "client_type": ma["client_type"],
            "grant_type": ma["grant_type"],
            "skip_authorization": ma["skip_authorization"],
            "redirect_uris": ma["redirect_uris"],
            "algorithm": ma["algorithm"],
        },
    )
    if facts is not None:
        if provider is None or facts.get("client_id") != provider.get("key"):
            reasons.append("client id differs from the Open edX provider's Client ID")
        elif facts.get("client_id") != plan.secret(ma["client_id_secret"]):
            reasons.append("client id differs from the stack's secrets")
        if not facts.get("secret_matches"):
            reasons.append("client secret differs from the stack's secrets")
    checks.append(
        Check(f"MIT app OAuth app '{ma['name']}' matches the Open edX provider's client id", not reasons, "; ".join(reasons))
    )

    # Provider rows are per Site (OAuth2ProviderConfig.KEY_FIELDS = ('site_id', 'backend_name')):
    # the facts are the newest row of the LMS Host's own Site, whatever other Sites' rows say.
    prov, site = ox["provider"], ox["site_domain"]
    if provider is None:
        reasons = [f"no provider row for Site {site!r}"]
    else:
        reasons = []
        if not provider.get("enabled"):
            reasons.append(f"the newest row for Site {site!r} is disabled")
        if not provider.get("secret_matches"):
            reasons.append("client secret differs from the MIT app's edx-oauth-app")
    checks.append(Check(f"Provider '{prov['backend_name']}' enabled for the LMS Site '{site}'", not reasons, "; ".join(reasons)))
    return checks


def _reachable(label: str, answer: Answer, need_ok: bool) -> Check:
    if answer.status is None:
        return Check(label, False, answer.error)
    ok = answer.status == 200 if need_ok else answer.status < 500
    return Check(label, ok, "" if ok else f"answered HTTP {answer.status}")


def reachability_checks(plan: Plan, engine: Engine, get: Callable[..., Answer]) -> list[Check]:
    """URLs as the other side's server code will call them (same hostnames as the browser)."""
    ox, ap = plan.openedx, plan.app
    checks = []
    for kind, url in sorted(ap["checks"].items()):
        # The discovery document must really be served; authorize/token only need an answer.
        checks.append(
            _reachable(
                f"MIT app {kind} URL {url} reachable from '{ox['service']}'",
                probe_from(engine, ox["service"], url),
                kind == "discovery",
            )
        )
    checks.append(
        _reachable(
            f"Open edX {ox['url']} reachable from '{ap['service']}'",
            probe_from(engine, ap["service"], ox["heartbeat_url"]),
            False,
        )
    )
    checks.append(token_check(plan, get))
    # Keycloak's discovery is checked by keycloak.verify, from the bootstrap, the gateway and the LMS.
    return checks


def front_checks(plan: Plan, get: Callable[..., Answer]) -> list[Check]:
    """Studio and the learning MFE, by the names the browser uses (both behind Tutor's Caddy)."""
    front = plan.openedx["front"]
    return [
        _reachable(f"Studio reachable at {front['studio_url']}", get(front["studio_heartbeat_url"]), True),
        _reachable(f"learning MFE reachable at {front['learning_mfe_url']}", get(front["learning_mfe_url"] + "/"), True),
    ]


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


def _json(answer: Answer) -> Any:
    try:
        return json.loads(answer.body.decode("utf-8", "replace"))
    except ValueError:
        return None


def learner_checks(plan: Plan, app: dict[str, Any], failures: dict[str, str], get: Callable[..., Answer]) -> list[Check]:
    """The runbook's step 7 ("confirm that the integration is working") for the test learner.
    App-side facts come from the app's one Django process (with the learner's own token);
    the LMS account is read here through the LMS REST API with the service-worker token."""
    spec, ox = plan.app["learner"], plan.openedx
    who = f"'{spec['username']}'"
    if "learner" in failures:
        return [Check(f"MIT app test learner {who} made by the app's own code", False, failures["learner"])]
    facts = app.get("learner") or {}
    checks = [
        Check(
            f"MIT app user {who} ({spec['email']}) exists with the stack's learner password",
            bool(facts.get("user")) and facts.get("email") == spec["email"],
            "missing, inactive, or its email/password differ",
        )
    ]
    record = spec["record"]
    checks.append(Check(f"MIT app {record} row of {who} is synced", bool(facts.get("synced")), "missing or not synced"))
    uid = facts.get("uid") or spec["username"]  # the app's userinfo username; the plan's until the app has one
    me = facts.get("me") or {}
    ok = facts.get("auth") == "ok" and me.get("status") == 200 and uid and me.get("username") == uid
    if facts.get("auth") != "ok":
        reason = f"api auth {facts.get('auth', 'missing')}"
    else:
        reason = me.get("error") or f"HTTP {me.get('status')}, username {me.get('username')!r}"
    checks.append(Check(f"MIT app's open edx api auth of {who}: LMS /api/user/v1/me answers {uid!r}", bool(ok), reason))

    account_url = f"{ox['url']}/api/user/v1/accounts/{uid}"
    answer = get(
        account_url,
        headers={"Authorization": "Bearer " + plan.secret(ox["service_worker"]["token_secret"]), "Accept": "application/json"},
    )
    body = _json(answer) if answer.status == 200 else None
    reasons = (
        []
        if isinstance(body, dict) and body.get("username") == uid
        else [f"{account_url} with the service-worker token: {answer.describe()}"]
    )
    links = facts.get("links") or {}
    provider_id = ox["learner"]["provider_id"]
    linked = [a for a in links.get("active", []) if isinstance(a, dict) and a.get("provider_id") == provider_id]
    if not linked:
        reasons.append(
            f"no '{provider_id}' link (/api/third_party_auth/v0/users/{uid}: {links.get('error') or links.get('status')})"
        )
    elif linked[0].get("remote_id") != uid:
        reasons.append(f"linked with uid {linked[0].get('remote_id')!r}, the app's userinfo says {uid!r}")
    checks.append(
        Check(
            f"LMS user {uid!r} exists, linked to '{ox['learner']['backend_name']}' with the app's userinfo uid",
            not reasons,
            "; ".join(reasons),
        )
    )

    login = facts.get("login") or {}
    ok = login.get("path") == spec["dashboard_path"] and login.get("username") == uid
    reason = login.get("error") or f"ended on {login.get('path')!r} (HTTP {login.get('status')}) as {login.get('username')!r}"
    checks.append(
        Check(f"A fresh session through {ox['url']}{spec['login_path']} as {who} ends on the LMS dashboard", bool(ok), reason)
    )

    if spec.get("client_credentials"):
        cc = app.get("client_credentials") or {}
        ok = cc.get("status") == 200 and cc.get("token")
        reason = cc.get("error") or f"{spec['client_credentials']['token_url']} answered HTTP {cc.get('status')}"
        checks.append(
            Check(
                f"client_credentials token from inside '{plan.app['service']}' with its OPENEDX_COURSES_SERVICE_WORKER_CLIENT_ID/SECRET",
                bool(ok),
                reason,
            )
        )
    return checks


def course_check(plan: Plan, get: Callable[..., Answer]) -> Check:
    """The stack's course, as the LMS's course API (lms/djangoapps/course_api) reports it."""
    course, sw = plan.data["course"], plan.openedx["service_worker"]
    label = f"Course {course['key']} exists in Open edX ({course['api_url']})"
    answer = get(
        course["api_url"], headers={"Authorization": "Bearer " + plan.secret(sw["token_secret"]), "Accept": "application/json"}
    )
    if answer.status != 200:
        return Check(
            label, False, answer.describe() + f"; the import one-shot's log: docker compose logs {course['import_service']}"
        )
    body = _json(answer)
    if not isinstance(body, dict):
        return Check(label, False, "HTTP 200 but not a JSON object")
    found = body.get("id")
    if found != course["key"]:
        return Check(label, False, f"answered for course {found!r}")
    return Check(label, True)


def course_run_checks(plan: Plan, app: dict[str, Any], failures: dict[str, str], get: Callable[..., Answer]) -> list[Check]:
    """The same run in the MIT app, the learner enrolled on both sides, the learning MFE's course
    home API in the learner's LMS session. App facts come from its one Django process; the LMS enrollment is
    read here through the LMS enrollment API with the service-worker token."""
    spec, ox = plan.app["course"], plan.openedx
    key, who = spec["key"], f"'{plan.app['learner']['username']}'"
    if "course" in failures:
        return [Check(f"MIT app course run {key} made by the app's own {spec['create'][0]}", False, failures["course"])]
    facts = app.get("course") or {}
    run = facts.get("run")
    if run is None:
        reasons = ["missing"]
    else:
        reasons = [
            f"{name} is {run.get(field)!r}, the LMS course's {value!r}"
            for name, field, value in (
                ("title", "title", spec["display_name"]),
                ("start", "start", spec["start"].replace("Z", "+00:00")),
            )
            if run.get(field) != value
        ]
        if not run.get("live"):
            reasons.append("not live")
    checks = [Check(f"MIT app has the course run {key} (title and start as the LMS has them)", not reasons, "; ".join(reasons))]

    enrollment = facts.get("enrollment") or {}
    reasons = (
        [] if enrollment.get("active") and enrollment.get("edx_enrolled") else [f"app enrollment: {enrollment or 'missing'}"]
    )
    uid = (app.get("learner") or {}).get("uid") or plan.app["learner"]["username"]
    url = f"{ox['url']}/api/enrollment/v1/enrollments/?{urlencode({'course_id': key, 'username': uid})}"
    answer = get(
        url,
        headers={"Authorization": "Bearer " + plan.secret(ox["service_worker"]["token_secret"]), "Accept": "application/json"},
    )
    body = _json(answer) if answer.status == 200 else None
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list):
        reasons.append(f"LMS enrollment API with the service-worker token: {answer.describe()}")
    elif not any(
        isinstance(r, dict) and r.get("user") == uid and r.get("course_id") == key and r.get("is_active") for r in results
    ):
        reasons.append(f"the LMS has no active enrollment of {uid!r}")
    checks.append(Check(f"Enrollment of {who} in {key} exists in the MIT app and in Open edX", not reasons, "; ".join(reasons)))

    checks.append(course_home_check(spec, uid, who, (app.get("learner") or {}).get("login") or {}))
    return checks


def course_home_check(spec: dict[str, Any], uid: str, who: str, login: dict[str, Any]) -> Check:
    """What a learner gets: the learning MFE's course home metadata (course_home_api
    CourseHomeMetadataView) in the learner's LMS session says enrolled, access granted. The LMS
    page /courses/<key>/ would prove nothing: course_about redirects to a static catalog MFE page."""
    label = f"The learning MFE's course home API {spec['home_api_url']} answers for {who}: enrolled, access granted"
    home = login.get("course_home")
    if login.get("error") or not isinstance(home, dict):
        return Check(label, False, login.get("error") or "not asked (no LMS session)")
    reasons = [] if home.get("status") == 200 else [f"answered HTTP {home.get('status')}"]
    if home.get("status") == 200:
        reasons += [
            f"{name} is {home.get(field)!r}"
            for name, field, value in (
                ("course_id", "course_id", spec["key"]),
                ("username", "username", uid),
                ("is_enrolled", "is_enrolled", True),
                ("course_access.has_access", "has_access", True),
            )
            if home.get(field) != value
        ]
        if home.get("error_code"):
            reasons.append(f"course_access.error_code {home['error_code']!r}")
    return Check(label, not reasons, "; ".join(reasons))
