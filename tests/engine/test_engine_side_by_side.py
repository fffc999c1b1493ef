"""Two stacks up at the same time (xPro and MITx Online) on one engine: no clash.

Each stack has its own network (default subnets differ per app), its own containers and
volumes (compose project = stack name), and its own published ports: the MITx Online stack is
generated with `--lms-port 8100` so the two LMSs do not both publish 127.0.0.1:8000. Both are
started concurrently; both bootstraps must end all ✓, and each LMS must accept only its own
stack's service-worker token (two distinct LMSs really answer on the two ports). One browser
profile signs in to both LMSes (same hostname, two ports): each keeps its own session."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import journeys
import pytest
from browser import Browser, journey
from harness import PROJECT_PREFIX, UP_TIMEOUT, PeakMemory, Stack, assert_all_green, figure, generate, host_get, record

PAIR = {"xpro": (), "mitxonline": ("--lms-port", "8100")}


@pytest.fixture(scope="module")
def pair(engine: None, stacks_dir: Path) -> Iterator[dict[str, Stack]]:
    stacks = {
        app: Stack(generate(app, stacks_dir / "pair", f"{PROJECT_PREFIX}pair-{app}", *extra)) for app, extra in PAIR.items()
    }
    t0 = time.monotonic()
    try:
        with PeakMemory(*(s.project for s in stacks.values())) as memory:
            procs = {
                app: subprocess.Popen(
                    ["docker", "compose", "up", "-d"], cwd=s.path, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
                )
                for app, s in stacks.items()
            }
            for app, proc in procs.items():
                out, _ = proc.communicate(timeout=UP_TIMEOUT)
                assert proc.returncode == 0, f"{app}: docker compose up -d failed:\n{out[-4000:]}\n{stacks[app].diagnose()}"
            for s in stacks.values():
                s.timings["bootstrap exit code"] = s.wait_exit("bootstrap")
                s.first_bootstrap = s.logs("bootstrap")  # type: ignore[attr-defined]
        seconds = time.monotonic() - t0
        record("side by side: both `docker compose up -d` (concurrent) → both bootstraps exited", seconds)
        for app, s in stacks.items():
            figure(
                f"side by side ({app}, memory of both)", int(s.timings["bootstrap exit code"]), s.first_bootstrap, seconds, memory
            )  # type: ignore[attr-defined]
        yield stacks
    finally:
        for s in stacks.values():
            s.down()
        record("side by side: both docker compose down -v", sum(s.timings.get("compose down", 0) for s in stacks.values()))


def test_two_stacks_bootstrap_all_green_at_the_same_time(pair: dict[str, Stack]) -> None:
    for app, s in pair.items():
        assert s.timings["bootstrap exit code"] == 0, f"{app}:\n{s.first_bootstrap}"  # type: ignore[attr-defined]
        assert_all_green(s.first_bootstrap)  # type: ignore[attr-defined]


def test_two_stacks_have_disjoint_networks_and_ports(pair: dict[str, Stack]) -> None:
    xpro, mitx = pair["xpro"].plan, pair["mitxonline"].plan
    assert not ipaddress.ip_network(xpro["network"]["subnet"]).overlaps(ipaddress.ip_network(mitx["network"]["subnet"]))
    ports = [p["openedx"]["url"].rsplit(":", 1)[1] for p in (xpro, mitx)] + [
        p["app"]["url"].rsplit(":", 1)[1] for p in (xpro, mitx)
    ]
    assert len(set(ports)) == 4, ports
    for s in pair.values():
        actual = s.container_ips()
        planned = s.plan["network"]["addresses"]
        assert {svc: actual.get(svc) for svc in planned} == planned


def test_each_lms_answers_on_its_own_port_with_its_own_data(pair: dict[str, Stack]) -> None:
    for app, s in pair.items():
        plan = s.plan
        lms_host = plan["openedx"]["url"].split("://", 1)[1]
        app_host = plan["app"]["url"].split("://", 1)[1]
        assert host_get(int(lms_host.rsplit(":", 1)[1]), "/heartbeat", lms_host) == 200, app
        assert host_get(int(app_host.rsplit(":", 1)[1]), "/health/liveness/", app_host) == 200, app
    tokens = {app: s.secrets[s.plan["openedx"]["service_worker"]["token_secret"]] for app, s in pair.items()}
    for app, s in pair.items():
        lms_host = s.plan["openedx"]["url"].split("://", 1)[1]
        port = int(lms_host.rsplit(":", 1)[1])
        for token_app, token in tokens.items():
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/user/v1/me", headers={"Host": lms_host, "Authorization": f"Bearer {token}"}
            )
            try:
                status = urllib.request.urlopen(request, timeout=20).status
            except urllib.error.HTTPError as exc:
                status = exc.code
            expected = 200 if token_app == app else 401
            assert status == expected, f"{app} LMS with {token_app}'s token: HTTP {status}"


def test_each_stack_resolves_lms_hostname_to_its_own_lms(pair: dict[str, Stack]) -> None:
    for s in pair.values():
        plan = s.plan
        lms_hostname = plan["openedx"]["url"].split("://", 1)[1].rsplit(":", 1)[0]
        proc = s.exec(plan["app"]["service"], "getent", "hosts", lms_hostname)
        # The LMS's name is served by its stack's own front (Tutor's Caddy), which proxies to its own LMS.
        front = plan["network"]["hostnames"][lms_hostname]
        assert proc.stdout.split()[0] == plan["network"]["addresses"][front], json.dumps(plan["network"])


def lms_sign_in(b: Browser, s: Stack) -> None:
    """The LMS superuser on the LMS's own login form (on the stand-in: Django admin's, the only
    password login it has), on to the LMS's own view of the signed-in user (its /dashboard sends a
    signed-in person on to the learner-dashboard MFE, another host)."""
    lms = s.plan["openedx"]
    superuser = lms["superuser"]
    b.open(f"{lms['url']}/admin/login/?next=/api/user/v1/me%3Fformat%3Djson")
    text = b.submit("form#login-form", {"username": superuser["username"], "password": s.secrets[superuser["password_secret"]]})
    assert b.url.startswith(f"{lms['url']}/api/user/v1/me") and json.loads(text).get("username") == superuser["username"], text


def signed_in(b: Browser, s: Stack) -> bool:
    return "username" in json.loads(b.open(f"{s.plan['openedx']['url']}/api/user/v1/me?format=json"))


def lms_sign_out(b: Browser, s: Stack) -> None:
    lms = s.plan["openedx"]["url"]
    b.open(f"{lms}/logout")
    b.wait_until(lambda: b.url == f"{lms}/", "the LMS home page after its logout page")


def test_one_browser_profile_keeps_a_session_per_lms(pair: dict[str, Stack]) -> None:
    """openedx.odl.local:8000 and openedx.odl.local:8100 share the browser's cookie jar (cookies
    ignore ports): the moved LMS names its cookies apart, so both sessions live side by side."""
    xpro, mitx = pair["xpro"], pair["mitxonline"]
    with journey("side by side: two LMSes in one profile", journeys.hostnames(xpro, mitx)) as b:
        lms_sign_in(b, xpro)
        lms_sign_in(b, mitx)
        assert signed_in(b, xpro) and signed_in(b, mitx), "signing in to one LMS signed the other out"
        names = sorted(c["name"] for c in b.cookies())
        assert "sessionid" in names and "sessionid-8100" in names, names
        lms_sign_out(b, mitx)
        assert not signed_in(b, mitx) and signed_in(b, xpro), "signing out of the moved LMS touched the other"
        lms_sign_in(b, mitx)
        lms_sign_out(b, xpro)
        assert not signed_in(b, xpro) and signed_in(b, mitx), "signing out of the usual LMS touched the moved one"
