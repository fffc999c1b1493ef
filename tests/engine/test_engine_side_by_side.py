"""Two stacks up at the same time (xPro and MITx Online) on one engine: no clash.

Each stack has its own network (default subnets differ per app), its own containers and
volumes (compose project = stack name), and its own published ports: the MITx Online stack is
generated with `--lms-port 8100` so the two LMSs do not both publish 127.0.0.1:8000. Both are
started concurrently; both bootstraps must end all ✓, and each LMS must accept only its own
stack's service-worker token (two distinct LMSs really answer on the two ports)."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import PROJECT_PREFIX, UP_TIMEOUT, Stack, assert_all_green, generate, host_get, record

PAIR = {"xpro": (), "mitxonline": ("--lms-port", "8100")}


@pytest.fixture(scope="module")
def pair(engine: None, stacks_dir: Path) -> Iterator[dict[str, Stack]]:
    stacks = {app: Stack(generate(app, stacks_dir / "pair", f"{PROJECT_PREFIX}pair-{app}", *extra))
              for app, extra in PAIR.items()}
    t0 = time.monotonic()
    try:
        procs = {app: subprocess.Popen(["docker", "compose", "up", "-d"], cwd=s.path, text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                 for app, s in stacks.items()}
        for app, proc in procs.items():
            out, _ = proc.communicate(timeout=UP_TIMEOUT)
            assert proc.returncode == 0, f"{app}: docker compose up -d failed:\n{out[-4000:]}\n{stacks[app].diagnose()}"
        for app, s in stacks.items():
            s.timings["bootstrap exit code"] = s.wait_exit("bootstrap")
            s.first_bootstrap = s.logs("bootstrap")  # type: ignore[attr-defined]
        record("side by side: both `docker compose up -d` (concurrent) → both bootstraps exited",
               time.monotonic() - t0)
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
    ports = [p["openedx"]["url"].rsplit(":", 1)[1] for p in (xpro, mitx)] + [p["app"]["url"].rsplit(":", 1)[1] for p in (xpro, mitx)]
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
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/user/v1/me",
                                             headers={"Host": lms_host, "Authorization": f"Bearer {token}"})
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
