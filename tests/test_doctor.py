"""doctor: every check with a real failure (a listening socket, a hosts file without the line,
a route table, Docker's network list, an unreachable engine) and the matching pass."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from pathlib import Path

import pytest
from helpers import make_stack, run_cli

from generator import datastamp, doctor, enginefacts, neighbours, stackdir
from generator.doctor import FAIL, OK, WARN, checks
from generator.doctor.checks import PortHolder
from generator.enginefacts import DockerNetwork, Route
from generator.stackdir import Published


@pytest.fixture()
def listener():
    """A real listening socket on 127.0.0.1; yields its port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture(scope="module")
def stacks(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("stacks")
    make_stack(out, app="xpro")
    return out


def test_port_in_use_by_another_program(listener):
    finding = checks.check_port(Published("caddy", "127.0.0.1", listener), "xpro", holders=[])
    assert finding.status == FAIL
    assert f"127.0.0.1:{listener} (caddy) is in use by another program" in finding.message
    assert f"--lms-port {listener + 1}" in finding.fix and "ss -ltnp" in finding.fix


def test_port_free_after_the_listener_closes(listener):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    assert checks.check_port(Published("lms", "127.0.0.1", port), "xpro", holders=[]).status == OK


def test_port_held_by_this_stack_is_fine_and_by_another_stack_is_explained(listener, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_stack(Path("stacks"), app="xpro")
    make_stack(Path("stacks"), app="mitxonline")
    pub = Published("app-nginx", "127.0.0.1", listener)
    mine = checks.check_port(pub, "xpro", [PortHolder("xpro-app-nginx-1", "xpro")])
    assert mine.status == OK and "held by this stack" in mine.message
    theirs = checks.check_port(pub, "xpro", [PortHolder("mitxonline-app-nginx-1", "mitxonline")], "stacks/xpro")
    assert theirs.status == FAIL
    assert "mitxonline-app-nginx-1 (compose project 'mitxonline')" in theirs.message
    assert "odl-stack down stacks/mitxonline" in theirs.fix
    assert f"odl-stack upgrade stacks/xpro --app-port {listener + 1}" in theirs.fix


def test_a_compose_project_that_is_no_stack_here_gets_composes_own_command(listener, tmp_path, monkeypatch):
    """E.g. the engine tier's odl-e2e-xpro: `make down STACK=odl-e2e-xpro` would name no stack."""
    monkeypatch.chdir(tmp_path)
    make_stack(Path("stacks"), app="xpro")
    monkeypatch.setenv("ODL_STACK_VIA", "make")
    pub = Published("app-nginx", "127.0.0.1", listener)
    theirs = checks.check_port(pub, "xpro", [PortHolder("odl-e2e-xpro-app-nginx-1", "odl-e2e-xpro")], "stacks/xpro")
    assert "make down" not in theirs.fix and "STACK=odl-e2e-xpro" not in theirs.fix, theirs.fix
    assert (
        "docker compose -p odl-e2e-xpro down, from wherever it was started: no stack named odl-e2e-xpro is beside this one"
        in theirs.fix
    )
    net = checks.check_subnet_networks(
        "172.28.53.0/24", [DockerNetwork("odl-e2e-xpro_odl", ("172.28.53.0/24",), "odl-e2e-xpro")], "xpro_odl", "stacks/xpro"
    )
    assert net.status == FAIL and "docker compose -p odl-e2e-xpro down" in net.fix and "STACK=odl-e2e-xpro" not in net.fix, (
        net.fix
    )


def test_port_without_engine_says_docker_was_not_asked(listener):
    finding = checks.check_port(Published("lms", "127.0.0.1", listener), "xpro", holders=None)
    assert finding.status == FAIL and "could not be asked" in finding.message


def test_hosts_file_without_the_line(tmp_path):
    hosts_file = tmp_path / "hosts"
    hosts_file.write_text("127.0.0.1 localhost\n::1 localhost\n")
    finding = checks.check_hosts(hosts_file, ["xpro.odl.local", "openedx.odl.local"])
    assert finding.status == FAIL
    assert "add this line: 127.0.0.1 openedx.odl.local xpro.odl.local" in finding.fix
    hosts_file.write_text(hosts_file.read_text() + "127.0.0.1 openedx.odl.local xpro.odl.local\n")
    assert checks.check_hosts(hosts_file, ["xpro.odl.local", "openedx.odl.local"]).status == OK


def test_hosts_file_mapping_a_name_elsewhere_first(tmp_path):
    hosts_file = tmp_path / "hosts"
    hosts_file.write_text(
        "127.0.0.1 localhost\n172.22.0.1 xpro.odl.local  # old devstack\n127.0.0.1 openedx.odl.local xpro.odl.local\n"
    )
    finding = checks.check_hosts(hosts_file, ["openedx.odl.local", "xpro.odl.local"])
    assert finding.status == FAIL
    assert "xpro.odl.local -> 172.22.0.1 (line 2)" in finding.message


def test_hosts_file_missing_entirely(tmp_path):
    finding = checks.check_hosts(tmp_path / "nope", ["xpro.odl.local"])
    assert finding.status == FAIL and "127.0.0.1 xpro.odl.local" in finding.fix


def _proc_route_line(iface: str, cidr: str) -> str:
    net = ipaddress.ip_network(cidr)
    dest = int(net.network_address).to_bytes(4, "big")[::-1].hex().upper()
    mask = int(net.netmask).to_bytes(4, "big")[::-1].hex().upper()
    return f"{iface}\t{dest}\t00000000\t0001\t0\t0\t0\t{mask}\t0\t0\t0"


PROC_ROUTE = "\n".join(
    [
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
        "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0",
        _proc_route_line("eth0", "192.0.2.0/24"),
        _proc_route_line("tun0", "172.28.0.0/16"),
        _proc_route_line("br-0123456789ab", "172.28.13.0/24"),
    ]
)


def test_parse_proc_net_route():
    routes = enginefacts.parse_proc_net_route(PROC_ROUTE)
    assert routes == [
        Route("0.0.0.0/0", "eth0"),
        Route("192.0.2.0/24", "eth0"),
        Route("172.28.0.0/16", "tun0"),
        Route("172.28.13.0/24", "br-0123456789ab"),
    ]


def test_subnet_overlapping_a_vpn_route():
    routes = enginefacts.parse_proc_net_route(PROC_ROUTE)
    finding = checks.check_subnet_routes("172.28.53.0/24", routes)
    assert finding.status == FAIL
    assert "host route 172.28.0.0/16 on tun0" in finding.message and "--subnet" in finding.fix
    # The default route covers everything and is no clash; a free range passes.
    assert checks.check_subnet_routes("10.77.0.0/24", routes).status == OK


def test_subnet_route_of_a_docker_bridge_is_left_to_the_network_check():
    routes = enginefacts.parse_ip_route(
        "default via 192.0.2.1 dev eth0\n172.28.13.0/24 dev br-0123456789ab proto kernel scope link src 172.28.13.1\n"
    )
    assert checks.check_subnet_routes("172.28.13.0/24", routes, docker_ifaces=["br-0123456789ab"]).status == OK
    assert checks.check_subnet_routes("172.28.13.0/24", routes).status == FAIL


def test_subnet_overlapping_a_docker_network():
    networks = [
        DockerNetwork("bridge", ("172.17.0.0/16",), "", "docker0"),
        DockerNetwork("xpro_odl", ("172.28.53.0/24",), "xpro", "br-aaa"),
        DockerNetwork("other_default", ("172.28.53.128/25",), "other", "br-bbb"),
    ]
    finding = checks.check_subnet_networks("172.28.53.0/24", networks, own_network="xpro_odl")
    assert finding.status == FAIL
    assert "other_default 172.28.53.128/25 (stack/compose project 'other')" in finding.message
    assert "Pool overlaps" in finding.message
    assert checks.check_subnet_networks("172.28.53.0/24", networks[:2], own_network="xpro_odl").status == OK


def test_compose_versions(stacks):
    features = checks.compose_features(stackdir.load(stacks / "xpro").compose)
    assert "depends_on: service_completed_successfully" in features and "top-level name:" in features
    assert checks.check_compose_version("Docker Compose version v2.40.3", features).status == OK
    old = checks.check_compose_version("Docker Compose version v2.17.3", features)
    assert old.status == FAIL and "older than 2.20.0" in old.message
    v1 = checks.check_compose_version("docker-compose version 1.29.2, build 5becea4c", features)
    assert v1.status == FAIL and "Compose v1" in v1.message
    needs_224 = checks.compose_features({"services": {"a": {"env_file": [{"path": "x.env", "required": False}]}}})
    assert checks.check_compose_version("v2.22.0", needs_224).status == FAIL


def test_engine_version():
    assert checks.check_engine_version("19.03.15").status == FAIL
    assert checks.check_engine_version("28.2.2").status == OK


def test_memory():
    assert checks.check_memory(2 * 1024**3).status == FAIL
    assert checks.check_memory(6 * 1024**3).status == WARN
    assert checks.check_memory(16 * 1024**3).status == OK


def test_cpu_architecture():
    assert checks.check_arch("riscv64", {})[0].status == FAIL
    mismatch = checks.check_arch("aarch64", {"docker.io/mysql:8.4.11": "amd64", "docker.io/redis:7.4.10": "arm64"})
    assert [f.status for f in mismatch] == [FAIL] and "mysql:8.4.11 here is built for amd64" in mismatch[0].message
    unknown = checks.check_arch(
        "aarch64",
        {"docker.io/mitodl/xpro-app:0.197.2": None, "odl-stack/openedx-ol:22.0.3": None},
        built={"odl-stack/openedx-ol:22.0.3"},
    )
    assert (
        [f.status for f in unknown] == [WARN]
        and "mitodl/xpro-app" in unknown[0].message
        and "openedx-ol" not in unknown[0].message
    )
    assert checks.check_arch("x86_64", {"docker.io/mysql:8.4.11": "amd64", "docker.io/redis:7.4.10": None})[0].status == OK


def _fresh(tmp_path: Path, **answers) -> stackdir.Stack:
    return stackdir.load(make_stack(tmp_path, **answers))


def test_stale_mysql_data_of_an_earlier_stack(tmp_path):
    """The classic: data kept, the stack regenerated from scratch with new passwords."""
    stack = _fresh(tmp_path)
    mysql = next(s for s in datastamp.data_stores(stack) if s.service == "mysql")
    assert mysql.bind == (stack.path / "tutor/data/mysql").resolve()
    assert checks.check_stale_data(mysql, stack.project, datastamp.bind_has_data(mysql.bind), stack.data_stamp()).status == OK

    mysql.bind.mkdir(parents=True)
    (mysql.bind / "ibdata1").write_bytes(b"x")
    datastamp.write_data_stamp(stack)  # what `up` records once the data exists
    stack = stackdir.load(stack.path)
    assert checks.check_stale_data(mysql, stack.project, True, stack.data_stamp()).status == OK

    # Start over, but keep tutor/data: secrets (ours and Tutor's) are generated anew, only when asked
    # (kept.check refuses it otherwise; tests/test_state_files.py).
    (stack.path / "secrets/secrets.json").unlink()
    (stack.path / "tutor/config.yml").unlink()
    stack = stackdir.load(make_stack(tmp_path, force=True, new_secrets=True))
    mysql = next(s for s in datastamp.data_stores(stack) if s.service == "mysql")
    finding = checks.check_stale_data(
        mysql, stack.project, datastamp.bind_has_data(mysql.bind), stack.data_stamp(), stack_path="stacks/xpro"
    )
    assert finding.status == FAIL
    assert "created with other passwords" in finding.message and "odl-stack reset stacks/xpro --data" in finding.fix


def test_stale_volume_without_record_warns_and_a_container_with_other_password_fails(tmp_path):
    stack = _fresh(tmp_path)
    app_db = next(s for s in datastamp.data_stores(stack) if s.service == "app-db")
    assert app_db.volume == "xpro_app-db-data"
    assert checks.check_stale_data(app_db, stack.project, None, {}).status == FAIL  # engine not reachable
    assert checks.check_stale_data(app_db, stack.project, True, {}).status == WARN
    other = checks.check_stale_data(app_db, stack.project, True, {}, container_password="an-old-one", container="xpro-app-db-1")
    assert other.status == FAIL and "xpro-app-db-1" in other.message
    same = checks.check_stale_data(app_db, stack.project, True, {}, container_password=app_db.password, container="xpro-app-db-1")
    assert same.status == OK


def test_side_by_side_clash_is_explained(tmp_path):
    xpro = _fresh(tmp_path, app="xpro")
    mitx = _fresh(tmp_path, app="mitxonline")
    stopped = checks.check_siblings(xpro, neighbours.siblings_of(xpro.path), running=set())
    assert [f.status for f in stopped] == [WARN]
    assert "port 8000 is published by this stack (caddy) and by stack 'mitxonline' (caddy)" in stopped[0].message
    running = checks.check_siblings(xpro, [mitx], running={"mitxonline"})
    assert running[0].status == FAIL and f"odl-stack down {mitx.path}" in running[0].fix and "--lms-port" in running[0].fix
    # Moved to its own port: no clash left.
    run = run_cli("upgrade", str(mitx.path), "--lms-port", "8001")
    assert run.returncode == 0, run.stderr
    assert [f.status for f in checks.check_siblings(xpro, neighbours.siblings_of(xpro.path), running={"mitxonline"})] == [OK]


def test_side_by_side_subnet_clash(tmp_path):
    xpro = _fresh(tmp_path / "a", app="xpro")
    forced = _fresh(tmp_path / "b", app="mitxonline", subnet="172.28.53.0/24", lms_port=8001)
    finding = checks.check_siblings(xpro, [forced], running={"mitxonline"})
    assert [f.status for f in finding] == [FAIL] and "overlaps 172.28.53.0/24 of stack 'mitxonline'" in finding[0].message


def test_unreachable_engine_fails_clearly(tmp_path, monkeypatch, stacks):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    findings = doctor.diagnose(
        stackdir.load(stacks / "xpro"),
        hosts_file=tmp_path / "hosts",
        compose=lambda: "Docker Compose version v2.40.3",
        routes=lambda: ([], ""),
    )
    # One ✗ with the cause in words and its fix; the checks that need the engine are left out.
    failed = [f for f in findings if f.failed and not f.check.startswith(("port ", "/etc/hosts"))]  # those depend on this machine
    assert [f.check for f in failed] == ["docker engine"]
    assert (
        failed[0].message
        == f"not reachable: no Docker socket at {tmp_path}/no-engine.sock (Docker is not running, or not installed); the checks that need it are skipped"
    )
    assert failed[0].fix.startswith("start Docker (sudo systemctl start docker")
    assert "Error" not in failed[0].message and "(" + "'" not in failed[0].message  # no exception repr
    by_check = {f.check: f for f in findings}
    assert by_check["docker compose"].status == OK
    assert "data of app-db" not in by_check and "memory / cpu architecture" not in by_check
    assert [f.check for f in findings if f.check == "subnet"] == ["subnet"]  # host routes only


def test_no_docker_at_all_is_one_finding(tmp_path, monkeypatch, stacks):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    monkeypatch.setenv("PATH", str(tmp_path))  # no docker command
    findings = doctor.diagnose(stackdir.load(stacks / "xpro"), hosts_file=tmp_path / "hosts", routes=lambda: ([], ""))
    engine = [f for f in findings if f.check.startswith("docker")]
    assert len(engine) == 1 and engine[0].failed
    assert engine[0].message.startswith("not reachable: no `docker` command found on PATH, and no Docker socket at")
    assert engine[0].fix == "install Docker (Docker Engine with the Compose v2 plugin, or Docker Desktop)"


def _engine(networks=(), containers=(), volumes=()):
    def gather(images):
        return enginefacts.EngineFacts(
            version="28.2.2",
            arch="x86_64",
            mem_total=16 * 1024**3,
            ncpu=8,
            networks=list(networks),
            containers=list(containers),
            volumes=set(volumes),
            image_arches={i: "amd64" for i in images},
        )

    return gather


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_diagnose_all_green_then_one_real_clash(tmp_path, listener):
    # Ports nobody holds, so the green half does not depend on what else runs on this machine.
    lms_port = _free_port()
    green_stack = make_stack(
        tmp_path / "green", app="xpro", lms_port=lms_port, app_port=_free_port(), ports={"mail": _free_port()}
    )
    stack = stackdir.load(green_stack)
    hosts_file = tmp_path / "hosts"
    hosts_file.write_text(stack.hosts_line + "\n")
    kwargs = dict(
        hosts_file=hosts_file,
        compose=lambda: "v2.40.3",
        routes=lambda: ([Route("192.0.2.0/24", "eth0")], ""),
        socket_url=lambda: "unix:///var/run/docker.sock",
    )
    green = doctor.diagnose(stack, engine=_engine(), **kwargs)
    assert [f for f in green if f.status != OK] == [], doctor.format_findings(green)
    assert doctor.format_findings(green).endswith("0 ⚠  0 ✗")

    # The same stack with its LMS port taken by a real listener held by another stack's container.
    moved = shutil.copytree(green_stack, tmp_path / "moved")
    compose_file = moved / "docker-compose.yml"
    text = compose_file.read_text()
    assert f"127.0.0.1:{lms_port}:{lms_port}" in text
    compose_file.write_text(text.replace(f"127.0.0.1:{lms_port}:{lms_port}", f"127.0.0.1:{listener}:{listener}"))
    other = enginefacts.ContainerFacts("mitxonline-lms-1", "mitxonline", "lms", True, [("127.0.0.1", listener)])
    red = doctor.diagnose(stackdir.load(moved), engine=_engine(containers=[other]), **kwargs)
    failed = [f for f in red if f.failed]
    assert len(failed) == 1 and "mitxonline-lms-1" in failed[0].message


def test_cli_doctor_exits_non_zero(tmp_path, stacks, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")  # the same answer with or without an engine here
    result = run_cli("doctor", str(stacks / "xpro"), "--hosts-file", str(tmp_path / "hosts"))
    assert result.returncode == 1
    assert (
        "✗ /etc/hosts:" in result.stdout
        and "127.0.0.1 apps.openedx.odl.local mail.xpro.odl.local meilisearch.openedx.odl.local openedx.odl.local studio.openedx.odl.local xpro.odl.local"
        in result.stdout
    )


def test_cli_doctor_refuses_a_non_stack(tmp_path):
    result = run_cli("doctor", str(tmp_path))
    assert result.returncode == 2 and "is not an odl-stack stack" in result.stderr


def test_the_bootstrap_mounts_the_socket_of_the_engine_the_stack_runs_on(monkeypatch, tmp_path):
    """bootstrap.yml.j2 mounts ${ODL_DOCKER_SOCKET:-/var/run/docker.sock}; doctor says when the default is not the engine's."""
    rootless = "unix:///run/user/1000/docker.sock"
    default = checks.check_engine_socket("unix:///var/run/docker.sock", None, lambda p: True, "stacks/xpro")
    assert default.status == OK
    moved = checks.check_engine_socket(rootless, None, lambda p: True, "stacks/xpro")
    assert moved.status == WARN and "the engine's socket is /run/user/1000/docker.sock" in moved.message
    assert moved.fix == (
        "for `docker compose` in the stack's directory, put ODL_DOCKER_SOCKET=/run/user/1000/docker.sock in its .env"
        " (Compose reads it) or export it"
    )
    wrong = checks.check_engine_socket(rootless, "/nowhere.sock", lambda p: False, "stacks/xpro")
    assert (
        wrong.status == FAIL
        and wrong.fix
        == "set ODL_DOCKER_SOCKET=/run/user/1000/docker.sock (the engine at unix:///run/user/1000/docker.sock), or unset it"
    )
    assert checks.check_engine_socket(rootless, "/run/user/1000/docker.sock", lambda p: True).status == OK
    assert checks.check_engine_socket("tcp://10.0.0.5:2375", None, lambda p: False).status == WARN
    # `odl-stack up` (lifecycle.client) passes the engine's socket to Compose, unless the user chose one.
    from generator import lifecycle

    monkeypatch.setenv("DOCKER_HOST", rootless)
    monkeypatch.delenv("ODL_DOCKER_SOCKET", raising=False)
    monkeypatch.setenv("ODL_STACK_DOCKER", "true")  # no docker CLI is run
    stack = stackdir.load(make_stack(tmp_path, app="xpro"))
    lifecycle.client(stack)
    assert os.environ["ODL_DOCKER_SOCKET"] == "/run/user/1000/docker.sock"
    monkeypatch.setenv("ODL_DOCKER_SOCKET", "/mine.sock")
    lifecycle.client(stack)
    assert os.environ["ODL_DOCKER_SOCKET"] == "/mine.sock"
    # The generated file names no host path but the default, so it stays the same for every engine.
    assert (
        "- ${ODL_DOCKER_SOCKET:-/var/run/docker.sock}:/var/run/docker.sock\n" in (stack.path / "docker-compose.yml").read_text()
    )
