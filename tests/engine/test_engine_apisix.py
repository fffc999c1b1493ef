"""MITx Online behind APISIX + Keycloak on the real engine: `odl-stack new --app
mitxonline --apisix`, `docker compose up -d` with the gateway stand-ins (APISIX: Debian's nginx
+ a Python OIDC relying party reading the generated apisix.yaml; Keycloak: an OIDC provider on
Django + django-oauth-toolkit importing the generated realm; see tests/engine/README.md).

The stack-wide scenarios of test_engine_scenarios.py run on this stack too (imported below:
this module's `stack` fixture is the APISIX stack). Then what only a gateway stack has: a
browser on the host logs in through APISIX and Keycloak by the public names and ports
(hostnames → 127.0.0.1, as the README's /etc/hosts lines do), the same login carries on into the
LMS, a forged X-Userinfo on the app's direct port is ignored, Keycloak drift is reconciled by
the bootstrap, and a Keycloak restart keeps its realm (import skipped)."""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.parse
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import journeys
import pytest
import test_engine_scenarios as scenarios
from browser import journey
from harness import LoopbackBrowser, Stack, assert_all_green, run, started_stack

# The stack-wide scenarios, collected here against this module's `stack` (pytest runs a
# module's tests in the order its names are bound: these first, the damaging one last).
test_up_then_bootstrap_exits_0_with_all_checks_green = scenarios.test_up_then_bootstrap_exits_0_with_all_checks_green
test_every_service_has_its_planned_ip = scenarios.test_every_service_has_its_planned_ip
test_startup_order_follows_the_dependencies = scenarios.test_startup_order_follows_the_dependencies
test_hostnames_resolve_inside_the_network_to_their_services = (
    scenarios.test_hostnames_resolve_inside_the_network_to_their_services
)
test_lms_and_app_reach_each_other_by_hostname = scenarios.test_lms_and_app_reach_each_other_by_hostname
test_published_ports_answer_on_loopback_only = scenarios.test_published_ports_answer_on_loopback_only
test_every_browser_facing_open_edx_url_answers_from_the_host_and_inside = (
    scenarios.test_every_browser_facing_open_edx_url_answers_from_the_host_and_inside
)
test_app_media_and_course_links_reach_their_pages = scenarios.test_app_media_and_course_links_reach_their_pages
test_timings_of_up_bootstrap_rerun_and_each_django_start = scenarios.test_timings_of_up_bootstrap_rerun_and_each_django_start

GATEWAY_CHECKS = (
    "Keycloak discovery from the bootstrap",
    "Keycloak discovery from apisix",
    "Keycloak discovery from lms",
    "Keycloak client apisix",
    "Keycloak login of student@odl.local",
    "APISIX pass-through route",
    "APISIX login route sends the browser to Keycloak",
)


@pytest.fixture(scope="module")
def stack(engine: None, stacks_dir: Path) -> Iterator[Stack]:
    with started_stack(stacks_dir, "mitxonline", "mitxonline-apisix", "--apisix") as s:
        yield s


def browser(stack: Stack) -> LoopbackBrowser:
    return LoopbackBrowser(list(stack.plan["network"]["hostnames"]))


def student(stack: Stack) -> tuple[str, str]:
    user = stack.plan["keycloak"]["users"][0]
    return user["username"], stack.secrets[user["password_secret"]]


def submit_login_form(stack: Stack, b: LoopbackBrowser, username: str, password: str) -> tuple[str, int, bytes]:
    """/login/ on APISIX → Keycloak's form, POSTed with these credentials; where that ends."""
    kc = stack.plan["keycloak"]
    url, status, _, body = b.follow(kc["gateway"]["login_url"])
    page = body.decode("utf-8", "replace")
    assert status == 200 and url.startswith(kc["issuer"] + "/protocol/openid-connect/auth"), (b.hops, page[:500])
    form = re.search(r'<form[^>]*id="kc-form-login"[^>]*>(.*?)</form>', page, re.S)
    assert form, f"no Keycloak login form at {url}:\n{page[:1000]}"
    action = unescape(re.search(r'action="([^"]+)"', form.group(0)).group(1))
    fields = {unescape(n): unescape(v) for n, v in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(1))}
    fields.update({"username": username, "password": password})
    url, status, _, body = b.follow(urllib.parse.urljoin(url, action), "POST", fields)
    return url, status, body


def gateway_login(stack: Stack, b: LoopbackBrowser, username: str, password: str) -> dict:
    """The login form, then back through APISIX's callback to the app's dashboard: its JSON."""
    gateway = stack.plan["keycloak"]["gateway"]
    url, status, body = submit_login_form(stack, b, username, password)
    assert status == 200, (b.hops, body[:500])
    assert url == f"{gateway['url']}/dashboard", b.hops
    return json.loads(body)


def admin_token(stack: Stack, b: LoopbackBrowser) -> str:
    kc = stack.plan["keycloak"]
    status, _, body = b.request(
        "POST",
        f"{kc['url']}/realms/master/protocol/openid-connect/token",
        {
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": kc["admin_username"],
            "password": stack.secrets[kc["admin_password_secret"]],
        },
    )
    assert status == 200, body
    return json.loads(body)["access_token"]


def test_bootstrap_checked_keycloak_and_apisix(stack: Stack) -> None:
    report = assert_all_green(stack.first_bootstrap)  # type: ignore[attr-defined]
    names = [text.split(":", 1)[0] for _, text in report["checks"]]
    missing = [name for name in GATEWAY_CHECKS if name not in names]
    assert not missing, f"gateway checks missing from the checklist: {missing}\n{stack.first_bootstrap}"  # type: ignore[attr-defined]


def test_keycloak_has_one_issuer_for_the_browser_and_the_network(stack: Stack) -> None:
    kc = stack.plan["keycloak"]
    status, _, body = browser(stack).request("GET", kc["discovery_url"])
    assert status == 200, body
    assert json.loads(body)["issuer"] == kc["issuer"]
    for service in ("apisix", "lms", stack.plan["app"]["service"]):
        proc = stack.exec(
            service,
            "python3",
            "-c",
            "import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1], timeout=20))['issuer'])",
            kc["discovery_url"],
        )
        assert proc.stdout.strip() == kc["issuer"], f"{service}: {proc.stdout} {proc.stderr[-500:]}"


def test_browser_logs_in_through_apisix_and_keycloak(stack: Stack) -> None:
    b = browser(stack)
    gateway = stack.plan["keycloak"]["gateway"]
    # anonymous: the pass-through route reaches the app, which knows nobody
    _, status, _, body = b.follow(f"{gateway['url']}/dashboard")
    assert status == 200 and json.loads(body)["username"] is None, body
    username, password = student(stack)
    # a wrong password stays on Keycloak's form
    _, status, body = submit_login_form(stack, b, username, "wrong")
    assert status == 200 and b"Invalid username or password." in body, body[:500]
    page = gateway_login(stack, b, username, password)
    print("    browser: " + " -> ".join(b.hops))
    assert page["username"] == username and page["email"] == username and page["global_id"], page
    # the session holds: the app keeps knowing the user, and APISIX's response header is there
    _, status, headers, body = b.follow(f"{gateway['url']}/api/users/me")
    assert status == 200 and json.loads(body)["username"] == username, body
    csp = headers.get("Content-Security-Policy", "")
    assert stack.plan["openedx"]["url"] in csp, headers
    # logout: APISIX ends its session and Keycloak's, then lands on the app's logout page
    b.hops.clear()
    url, status, _, body = b.follow(f"{gateway['url']}{gateway['logout_path']}")
    print("    logout: " + " -> ".join(b.hops))
    assert url == gateway["post_logout_redirect_uri"] and status == 200, b.hops
    assert any(hop.split(" ", 2)[2].startswith(stack.plan["keycloak"]["url"].split("://", 1)[1]) for hop in b.hops), b.hops
    _, status, _, body = b.follow(f"{gateway['url']}/dashboard")
    assert json.loads(body)["username"] is None, body
    # and Keycloak asks for the password again
    url, status, _, body = b.follow(gateway["login_url"])
    assert b'id="kc-form-login"' in body, b.hops


def test_person_signs_in_at_keycloak_and_crosses_over_to_the_lms(stack: Stack) -> None:
    """Chromium on the host: Keycloak's form through APISIX, then the LMS's provider login."""
    username, password = student(stack)
    with journey("mitxonline-apisix sign in and cross over", journeys.hostnames(stack)) as b:
        journeys.keycloak_sign_in(stack, b, username, password)
        journeys.cross_over_to_the_lms(stack, b, username)


def test_person_logs_out_on_the_lms_and_the_gateway_session_ends(stack: Stack) -> None:
    """The LMS and the app are one site (both under odl.local), so the LMS logout page's iframe
    reaches the app's /logout with APISIX's SameSite=Lax session cookie: the app sends the user it
    knows on to APISIX's /logout/oidc, which ends the gateway session and sends the frame through
    Keycloak's end-session to the app's /logout/complete. Afterwards the app knows nobody and
    Keycloak asks for the password again."""
    username, password = student(stack)
    kc = stack.plan["keycloak"]
    gateway = kc["gateway"]
    with journey("mitxonline-apisix logout chain", journeys.hostnames(stack)) as b:
        journeys.keycloak_sign_in(stack, b, username, password)
        journeys.cross_over_to_the_lms(stack, b, username)
        frames = journeys.lms_logout(stack, b)
        urls = [hop.split(" ", 1)[1] for hop in frames]
        assert frames[0].startswith("302 ") and urls[1] == f"{gateway['url']}{gateway['logout_path']}", frames
        assert any(url.startswith(f"{kc['issuer']}/protocol/openid-connect/logout?") for url in urls), frames
        assert f"200 {gateway['post_logout_redirect_uri']}" in frames, frames
        assert journeys.app_user(f"{gateway['url']}/dashboard", b) is None, b.text
        b.open(gateway["login_url"])
        assert b.url.startswith(f"{kc['issuer']}/protocol/openid-connect/auth") and "kc-form-login" in b.driver.page_source, b.url


def test_gateway_login_carries_on_into_the_lms(stack: Stack) -> None:
    """The product's promise: log in through the MIT app (here: APISIX + Keycloak) into the LMS."""
    username, password = student(stack)
    result = scenarios.oauth_round_trip(stack, username, password, login="gateway")
    assert result["app_user"]["username"] == username, result
    keycloak_host = stack.plan["keycloak"]["url"].split("://", 1)[1]
    assert any(keycloak_host in hop for hop in result["hops"]), result


def test_the_realm_students_first_gateway_login_ends_linked_in_open_edx(stack: Stack) -> None:
    """student@odl.local, made in the app by its first gateway login (the test above), is linked
    in Open edX the way the bootstrap's learner is: the provider's uid is the username the app's
    userinfo (/api/users/me) returns for that user."""
    username, _ = student(stack)
    plan = stack.plan
    # The app's own /api/users/me view (what ol-social-auth reads as the uid), called for that user.
    app_code = (
        "import json\nfrom django.contrib.auth import get_user_model\n"
        "from django.test import RequestFactory\nfrom django.urls import resolve\n"
        f"u = get_user_model().objects.get(email={username!r})\n"
        "request = RequestFactory().get('/api/users/me')\nrequest.user = u\n"
        "print('UID=' + json.loads(resolve('/api/users/me').func(request).content)['username'])\n"
    )
    proc = stack.exec(plan["app"]["service"], *plan["app"]["manage"], "shell", input=app_code, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    uid = [ln for ln in proc.stdout.splitlines() if ln.startswith("UID=")][-1][4:]
    lms_code = (
        "import json\nfrom social_django.models import UserSocialAuth\n"
        f"print('LINKS=' + json.dumps(list(UserSocialAuth.objects.filter(uid={uid!r}).values_list('user__username', 'provider', 'uid'))))\n"
    )
    proc = stack.exec(plan["openedx"]["service"], *plan["openedx"]["manage"], "shell", input=lms_code, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    links = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("LINKS=")][-1][6:])
    assert links == [[uid, plan["openedx"]["provider"]["backend_name"], uid]], links


def test_forged_userinfo_is_ignored_on_the_direct_port_and_through_apisix(stack: Stack) -> None:
    forged = base64.b64encode(
        json.dumps({"sub": "forged-sub", "preferred_username": "forged", "email": "forged@example.invalid"}).encode()
    ).decode()
    config = json.loads(stack.compose("config", "--format", "json", check=True).stdout)["services"]["app-nginx"]
    app_port = int(config["ports"][0]["published"])  # the app's own port, beside APISIX's
    hostname = urllib.parse.urlsplit(stack.plan["app"]["url"]).hostname
    # from the host, on the published direct port
    b = LoopbackBrowser([hostname])
    status, _, body = b.request("GET", f"http://{hostname}:{app_port}/dashboard", headers={"X-Userinfo": forged})
    assert status == 200 and json.loads(body)["username"] is None, body
    # from another container of the stack, straight to the app's nginx
    code = (
        "import json,sys,urllib.request\n"
        "r = urllib.request.Request(sys.argv[1], headers={'X-Userinfo': sys.argv[2]})\n"
        "print(json.load(urllib.request.urlopen(r, timeout=20))['username'])\n"
    )
    proc = stack.exec("lms", "python3", "-c", code, f"http://app-nginx:{app_port}/dashboard", forged)
    assert proc.returncode == 0 and proc.stdout.strip() == "None", proc.stdout + proc.stderr[-500:]
    # through APISIX without a session: 3.17's openid-connect drops the client's X-Userinfo
    # (openid-connect.lua, since apache/apisix#13330; 3.16 let it through), and so does the stand-in
    gateway = stack.plan["keycloak"]["gateway"]["url"]
    status, _, body = browser(stack).request("GET", f"{gateway}/dashboard", headers={"X-Userinfo": forged})
    assert status == 200 and json.loads(body)["username"] is None, body
    users = stack.exec(
        stack.plan["app"]["service"],
        *stack.plan["app"]["manage"],
        "shell",
        "-c",
        "from users.models import User; print(User.objects.filter(global_id='forged-sub').count())",
    )
    assert users.stdout.strip().splitlines()[-1] == "0", users.stdout + users.stderr[-500:]


def test_keycloak_drift_is_reconciled_by_the_bootstrap(stack: Stack) -> None:
    """The realm import runs once; a client changed in Keycloak since is put back by the bootstrap."""
    kc = stack.plan["keycloak"]
    b = browser(stack)
    token = admin_token(stack, b)
    auth = {"Authorization": f"Bearer {token}"}
    status, _, body = b.request("GET", f"{kc['url']}/admin/realms/{kc['realm']}/clients?clientId=apisix", headers=auth)
    assert status == 200, body
    client = json.loads(body)[0]
    client.update({"secret": "drifted-secret-0123456789", "redirectUris": ["http://elsewhere.invalid/*"]})
    status, _, body = b.request(
        "PUT", f"{kc['url']}/admin/realms/{kc['realm']}/clients/{client['id']}", json_body=client, headers=auth
    )
    assert status in (200, 204), body
    # APISIX still holds the planned secret: its login now fails at Keycloak
    url, status, _, body = b.follow(kc["gateway"]["login_url"])
    assert status == 400, (b.hops, body[:300])
    proc = stack.compose("run", "--rm", "bootstrap", timeout=900)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert_all_green(output)
    assert re.search(r"Keycloak: updated client apisix: .*redirectUris.*secret", output), output
    page = gateway_login(stack, browser(stack), *student(stack))
    assert page["username"] == student(stack)[0], page


def test_keycloak_restart_keeps_the_realm_and_skips_the_import(stack: Stack) -> None:
    t0 = time.monotonic()
    stack.compose("restart", "keycloak", check=True, timeout=300)
    cid = stack.container("keycloak")
    for _ in range(120):
        health = run(["docker", "inspect", "-f", "{{.State.Health.Status}}", cid]).stdout.strip()
        if health == "healthy":
            break
        time.sleep(2)
    assert health == "healthy", stack.logs("keycloak", tail=40)
    print(f"    keycloak healthy again after {time.monotonic() - t0:.0f}s")
    assert "already exists. Import skipped" in stack.logs("keycloak"), stack.logs("keycloak", tail=40)
    proc = stack.compose("run", "--rm", "bootstrap", timeout=900)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert_all_green(output)
    assert "already as planned" in output, output
    page = gateway_login(stack, browser(stack), *student(stack))
    assert page["username"] == student(stack)[0], page


test_rerun_bootstrap_reports_every_step_unchanged = scenarios.test_rerun_bootstrap_reports_every_step_unchanged
test_bootstrap_killed_in_the_learner_step_then_rerun_converges = (
    scenarios.test_bootstrap_killed_in_the_learner_step_then_rerun_converges
)
test_bootstrap_killed_mid_run_then_rerun_converges = scenarios.test_bootstrap_killed_mid_run_then_rerun_converges
test_workers_stay_up = scenarios.test_workers_stay_up
