"""One answer to "is this subnet free" (generator/neighbours.py), for `new --force`, `upgrade` and doctor:
a stack's own subnet and network never clash with itself; a subnet the stack already has stays (with a
warning when another project holds it); one given now is refused when taken; a suggestion never names a
range another stack uses."""

from __future__ import annotations

from pathlib import Path

from helpers import make_stack, run_cli, tree
from test_doctor import _engine

from generator import doctor, neighbours, stackdir
from generator.enginefacts import DockerNetwork, Route
from generator.upgrade import upgrade

OWN = DockerNetwork("xpro_odl", ("172.28.53.0/24",), "xpro")
E2E = DockerNetwork("odl-e2e-xpro_odl", ("172.28.53.0/24",), "odl-e2e-xpro")


def test_a_rerender_never_clashes_with_its_own_network_and_keeps_the_subnet_it_has(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, app="xpro")
    before = tree(tmp_path)
    lines: list[str] = []
    # Its own network (up) is no clash, for new --force and for upgrade alike.
    from generator.new import generate

    generate({"app": "xpro"}, tmp_path, True, echo=lines.append, networks=lambda: [OWN])
    upgrade(stack, lines.append, networks=lambda: [OWN])
    assert tree(tmp_path) == before and not any("overlaps" in line for line in lines), lines
    # Another project on the same range (e.g. the engine tier's stack): both keep the subnet, both warn the same.
    lines.clear()
    generate({"app": "xpro"}, tmp_path, True, echo=lines.append, networks=lambda: [E2E])
    upgrade(stack, lines.append, networks=lambda: [E2E])
    warnings = [line for line in lines if "overlaps" in line]
    assert len(warnings) == 2 and warnings[0] == warnings[1], lines
    assert "warning: its subnet 172.28.53.0/24 overlaps 172.28.53.0/24 of Docker network 'odl-e2e-xpro_odl'" in warnings[0]
    assert f"upgrade {stack} --subnet 172.28.54.0/24" in warnings[0]
    assert tree(tmp_path) == before


def test_a_subnet_given_now_that_another_stack_uses_is_refused_by_new_and_upgrade_alike(tmp_path: Path) -> None:
    make_stack(tmp_path, app="xpro")
    mitx = make_stack(tmp_path, app="mitxonline", lms_port=8001)
    before = tree(tmp_path)
    by_new = run_cli("new", "--app", "mitxonline", "--out", str(tmp_path), "--force", "--subnet", "172.28.53.0/24")
    by_upgrade = run_cli("upgrade", str(mitx), "--subnet", "172.28.53.0/24")
    for result in (by_new, by_upgrade):
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip() == (
            "Error: --subnet: 172.28.53.0/24 overlaps 172.28.53.0/24 of stack 'xpro'; Compose would fail with"
            " 'Pool overlaps'. Fix: pass --subnet 172.28.54.0/24 (or another range nothing uses)"
        )
    assert tree(tmp_path) == before


def test_doctor_never_suggests_a_subnet_another_stack_uses(tmp_path: Path) -> None:
    stack_dir = make_stack(tmp_path, app="xpro")  # 172.28.53.0/24
    make_stack(tmp_path, app="xpro", name="beside", subnet="172.28.54.0/24", lms_port=8100, app_port=8154)
    stack = stackdir.load(stack_dir)
    findings = doctor.diagnose(
        stack,
        engine=_engine(networks=[E2E]),
        hosts_file=tmp_path / "hosts",
        compose=lambda: "v2.40.3",
        routes=lambda: ([Route("172.28.55.0/24", "wlan0")], ""),
        siblings=neighbours.siblings_of(stack.path),
    )
    subnet = [f for f in findings if f.check == "subnet" and f.failed]
    assert len(subnet) == 1 and "odl-e2e-xpro_odl" in subnet[0].message, doctor.format_findings(findings)
    # 172.28.54.0/24 is the stack beside it, 172.28.55.0/24 a host route: the next free one is .56.
    assert "--subnet 172.28.56.0/24" in subnet[0].fix, subnet[0].fix
    assert "docker compose -p odl-e2e-xpro down" in subnet[0].fix


def test_make_down_of_a_project_that_is_no_stack_says_so(tmp_path: Path) -> None:
    from test_newcomer import one_error_line, run_make

    assert run_make(tmp_path, "stack", "APP=xpro").returncode == 0
    before = tree(tmp_path)
    result = run_make(tmp_path, "down", "STACK=odl-e2e-xpro")
    assert result.returncode == 2
    assert one_error_line(result) == (
        "Error: STACK: no such stack: stacks/odl-e2e-xpro. Fix: use one of the stacks that exist: xpro;"
        " a Compose project named odl-e2e-xpro that no stack here made is stopped with: docker compose -p odl-e2e-xpro down"
    )
    assert tree(tmp_path) == before
