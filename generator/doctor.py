"""`odl-stack doctor`: can this stack start here? Every finding ✓/⚠/✗ with its fix.

Each check is a small function of explicit inputs (a hosts file path, route
table text, a list of Docker networks, a port), so each can be tested with a
real failure. `gather_engine` is the one place that asks the Docker engine
(docker SDK: networks/IPAM, containers, volumes, images); `compose_version`
asks the Compose CLI through python-on-whales, the tool `up` uses.
"""

from __future__ import annotations

import errno
import os
import ipaddress
import re
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from generator import hosts as hosts_mod
from generator import wording
from generator.addressing import next_free_subnet
from generator.datastamp import PASSWORD_VARS, DataStore, bind_has_data, data_stores, fingerprint
from generator.dockercli import client_call as default_client_call
from generator.ports import option_for_service
from generator.stackdir import Published, Stack

OK, WARN, FAIL = "ok", "warn", "fail"
SYMBOLS = {OK: "✓", WARN: "⚠", FAIL: "✗"}

MIN_ENGINE = (20, 10, 0)
MIN_COMPOSE = (2, 20, 0)  # `name:`, service_completed_successfully, ipam ip_range, profiles: all older; 2.20 is our floor
MIN_COMPOSE_ENV_FILE_OBJECTS = (2, 24, 0)  # env_file: [{path, required}]
MIN_MEMORY = 4 * 1024**3  # Tutor's stated minimum for Open edX alone
GOOD_MEMORY = 8 * 1024**3
ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass(frozen=True)
class Finding:
    status: str
    check: str
    message: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.status == FAIL


def ok(check: str, message: str) -> Finding:
    return Finding(OK, check, message)


def warn(check: str, message: str, fix: str = "") -> Finding:
    return Finding(WARN, check, message, fix)


def fail(check: str, message: str, fix: str) -> Finding:
    return Finding(FAIL, check, message, fix)


def format_findings(findings: Sequence[Finding]) -> str:
    lines = []
    for f in findings:
        lines.append(f"{SYMBOLS[f.status]} {f.check}: {f.message}")
        if f.fix and f.status != OK:
            lines.append(f"    fix: {f.fix}")
    counts = {s: sum(1 for f in findings if f.status == s) for s in (OK, WARN, FAIL)}
    lines.append(f"{len(findings)} checks: {counts[OK]} ✓  {counts[WARN]} ⚠  {counts[FAIL]} ✗")
    return "\n".join(lines)


# ---------------------------------------------------------------- versions

def parse_version(text: str) -> tuple[int, int, int] | None:
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def _v(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def check_engine_version(server_version: str) -> Finding:
    found = parse_version(server_version)
    if found is None:
        return warn("docker engine", f"version '{server_version}' not understood", "make sure it is Docker Engine 20.10 or newer")
    if found < MIN_ENGINE:
        return fail("docker engine", f"version {server_version} is older than {_v(MIN_ENGINE)}", "upgrade Docker Engine (or Docker Desktop)")
    return ok("docker engine", f"reachable, version {server_version}")


def compose_features(model: Mapping[str, Any]) -> dict[str, tuple[int, int, int]]:
    """The Compose features a stack file uses -> the oldest Compose v2 we accept for each."""
    features: dict[str, tuple[int, int, int]] = {}
    services = model.get("services") or {}
    if model.get("name"):
        features["top-level name:"] = MIN_COMPOSE
    for body in services.values():
        body = body or {}
        depends = body.get("depends_on") or {}
        if isinstance(depends, dict) and any((d or {}).get("condition") == "service_completed_successfully" for d in depends.values()):
            features["depends_on: service_completed_successfully"] = MIN_COMPOSE
        if body.get("profiles"):
            features["profiles"] = MIN_COMPOSE
        if any(isinstance(e, dict) for e in body.get("env_file") or []):
            features["env_file with path/required"] = MIN_COMPOSE_ENV_FILE_OBJECTS
    for net in (model.get("networks") or {}).values():
        if any("ip_range" in (c or {}) for c in ((net or {}).get("ipam") or {}).get("config") or []):
            features["ipam ip_range"] = MIN_COMPOSE
    if model.get("include"):
        features["include"] = MIN_COMPOSE
    return features


def check_compose_version(version_text: str, features: Mapping[str, tuple[int, int, int]]) -> Finding:
    needed = max([MIN_COMPOSE, *features.values()])
    used = ", ".join(sorted(features)) or "basic compose file"
    found = parse_version(version_text)
    if found is None:
        return fail("docker compose", f"version '{version_text.strip()}' not understood", f"install Docker Compose v2 ({_v(needed)} or newer)")
    if found[0] < 2:
        return fail(
            "docker compose",
            f"{version_text.strip()} is Compose v1; the stack needs Compose v2 {_v(needed)}+ ({used})",
            "install the Compose v2 plugin (`docker compose`, package docker-compose-plugin / docker-compose-v2)",
        )
    if found < needed:
        return fail("docker compose", f"version {_v(found)} is older than {_v(needed)}, needed for: {used}", "upgrade Docker Compose v2")
    return ok("docker compose", f"version {_v(found)} (needs {_v(needed)}+ for {used})")


# ---------------------------------------------------------------- resources

def check_memory(mem_total: int) -> Finding:
    gib = mem_total / 1024**3
    if mem_total < MIN_MEMORY:
        return fail("memory", f"the engine has {gib:.1f} GiB; Open edX alone needs 4 GiB", "give Docker more memory (Docker Desktop: Settings > Resources), 8 GiB or more")
    if mem_total < GOOD_MEMORY:
        return warn("memory", f"the engine has {gib:.1f} GiB; 8 GiB or more is recommended for Open edX + the app", "give Docker more memory if builds or migrations are killed")
    return ok("memory", f"{gib:.1f} GiB available to the engine")


def check_arch(engine_arch: str, image_arches: Mapping[str, str | None], built: Iterable[str] = ()) -> list[Finding]:
    """engine_arch: `docker info` Architecture. image_arches: image -> arch of the local copy, None if not pulled."""
    arch = ARCHES.get(engine_arch.lower())
    if arch is None:
        return [
            fail(
                "cpu architecture",
                f"the engine runs on {engine_arch}; the stack's images are published for amd64 (and some for arm64) only",
                "run the stack on an amd64 or arm64 machine",
            )
        ]
    built = set(built)
    findings = []
    unknown = []
    for image, image_arch in sorted(image_arches.items()):
        if image in built:
            continue  # built here, for this engine
        if image_arch is None:
            unknown.append(image)
        elif ARCHES.get(image_arch, image_arch) != arch:
            findings.append(
                fail(
                    "cpu architecture",
                    f"image {image} here is built for {image_arch}, the engine is {arch}: it runs only under emulation, if at all",
                    f"remove it (docker image rm {image}) so the {arch} build is pulled, or pass --images with an image built for {arch}",
                )
            )
    if arch == "arm64" and unknown:
        findings.append(
            warn(
                "cpu architecture",
                f"engine is arm64; not pulled yet, so it cannot be told offline whether these have an arm64 build: {', '.join(unknown)}",
                "if a pull fails with 'no matching manifest for linux/arm64', run with emulation (DOCKER_DEFAULT_PLATFORM=linux/amd64) "
                "or pass --images with arm64 builds",
            )
        )
    if not findings:
        findings.append(ok("cpu architecture", f"engine is {arch}; every pulled image matches"))
    return findings


# ---------------------------------------------------------------- ports

@dataclass(frozen=True)
class PortHolder:
    container: str
    project: str  # compose project label, "" if none


def port_free(host_ip: str, port: int) -> tuple[bool, str]:
    """Bind test: can a process listen on host_ip:port right now? (True, "") or (False, reason)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host_ip else socket.AF_INET, socket.SOCK_STREAM)
    try:
        if sys.platform.startswith("linux"):
            # Ignores TIME_WAIT leftovers; on Linux a listening socket still blocks the bind.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host_ip or "0.0.0.0", port))
        return True, ""
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return False, "in use"
        return False, exc.strerror or str(exc)
    finally:
        sock.close()


def check_port(pub: Published, project: str, holders: Sequence[PortHolder] | None, stack_path: str = "STACK") -> Finding:
    """holders: containers publishing this port (None = engine not asked)."""
    where = f"{pub.host_ip or '0.0.0.0'}:{pub.port}"
    name = f"port {pub.port}"
    free, reason = port_free(pub.host_ip, pub.port)
    if free:
        return ok(name, f"{where} ({pub.service}) is free")
    flag = option_for_service(pub.service)
    other_port = wording.command("upgrade", stack_path, (flag, pub.port + 1)) if flag else "publish it elsewhere in docker-compose.override.yml"
    if reason != "in use":
        return fail(name, f"cannot listen on {where} ({pub.service}): {reason}", "check that the address exists on this machine")
    for holder in holders or []:
        if holder.project == project:
            return ok(name, f"{where} ({pub.service}) is held by this stack ({holder.container})")
    for holder in holders or []:
        owner = f"compose project '{holder.project}'" if holder.project else "no compose project"
        return fail(
            name,
            f"{where} ({pub.service}) is held by container {holder.container} ({owner})",
            f"stop it ({_stop(holder.project, stack_path) + ', or ' if holder.project else ''}docker stop {holder.container}), or move this stack: {other_port}",
        )
    asked = "" if holders is not None else " (Docker could not be asked which container holds it)"
    return fail(
        name,
        f"{where} ({pub.service}) is in use by another program{asked}",
        f"find it: ss -ltnp 'sport = :{pub.port}' (or lsof -iTCP:{pub.port} -sTCP:LISTEN) and stop it, or move this stack: {other_port}",
    )


def _stop(project: str, stack_path: str | Path) -> str:
    """`down` for the stack of a compose project, assumed to sit next to this one."""
    return wording.command("down", Path(stack_path).parent / project)


# ---------------------------------------------------------------- /etc/hosts

def check_hosts(hosts_file: Path, hostnames: Sequence[str], stack_path: str = "STACK") -> Finding:
    line = hosts_mod.hosts_line(hostnames)
    try:
        text = hosts_file.read_text()
    except FileNotFoundError:
        text = ""
    except OSError as exc:
        return fail("/etc/hosts", f"cannot read {hosts_file}: {exc.strerror}", f"add this line to {hosts_file}: {line}")
    state = hosts_mod.inspect(text, hostnames)
    if state.elsewhere:
        wrong = ", ".join(f"{h} -> {ip} (line {n})" for h, (ip, n) in sorted(state.elsewhere.items()))
        return fail(
            "/etc/hosts",
            f"{hosts_file} maps {wrong}; the browser must reach them on 127.0.0.1",
            f"edit those lines by hand (odl-stack never removes lines), then add: {line}",
        )
    if state.missing:
        return fail(
            "/etc/hosts",
            f"{hosts_file} has no entry for {', '.join(state.missing)}",
            f"add this line: {line}   (or: sudo {wording.program()} hosts --write {stack_path})",
        )
    return ok("/etc/hosts", f"{', '.join(state.ok)} -> 127.0.0.1")


# ---------------------------------------------------------------- subnet

@dataclass(frozen=True)
class Route:
    network: str  # CIDR
    iface: str


@dataclass(frozen=True)
class DockerNetwork:
    name: str
    subnets: tuple[str, ...]
    project: str = ""  # compose project label
    iface: str = ""  # host bridge interface, if a bridge


def parse_proc_net_route(text: str) -> list[Route]:
    """/proc/net/route (Linux): destination and mask are little-endian hex."""
    routes = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8:
            continue
        iface, dest_hex, mask_hex = fields[0], fields[1], fields[7]
        dest = ipaddress.IPv4Address(int.from_bytes(bytes.fromhex(dest_hex), "little"))
        mask = ipaddress.IPv4Address(int.from_bytes(bytes.fromhex(mask_hex), "little"))
        net = ipaddress.IPv4Network(f"{dest}/{mask}", strict=False)
        routes.append(Route(str(net), iface))
    return routes


def parse_ip_route(text: str) -> list[Route]:
    """Output of `ip route` (or `ip -4 route show table all`)."""
    routes = []
    for line in text.splitlines():
        fields = line.split()
        if not fields:
            continue
        dest = fields[0]
        if dest in ("local", "broadcast", "unicast", "blackhole", "unreachable", "prohibit") and len(fields) > 1:
            dest = fields[1]
        iface = fields[fields.index("dev") + 1] if "dev" in fields and fields.index("dev") + 1 < len(fields) else ""
        if dest == "default":
            dest = "0.0.0.0/0"
        try:
            net = ipaddress.ip_network(dest, strict=False)
        except ValueError:
            continue
        if net.version == 4:
            routes.append(Route(str(net), iface))
    return routes


def check_subnet_networks(subnet: str, networks: Sequence[DockerNetwork], own_network: str, stack_path: str = "STACK") -> Finding:
    net = ipaddress.ip_network(subnet)
    for other in networks:
        if other.name == own_network:
            continue
        for other_subnet in other.subnets:
            try:
                theirs = ipaddress.ip_network(other_subnet, strict=False)
            except ValueError:
                continue
            if theirs.version == 4 and net.overlaps(theirs):
                owner = f" (stack/compose project '{other.project}')" if other.project else ""
                free = next_free_subnet(subnet, [s for n in networks if n.name != own_network for s in n.subnets])
                move = wording.command("upgrade", stack_path, ("--subnet", free))
                # Never suggest removing a network this stack does not own: move this stack instead.
                fix = f"give this stack a free range: {move}"
                if other.project:
                    fix += f", or stop the stack that owns it ({_stop(other.project, stack_path)})"
                return fail("subnet", f"{subnet} overlaps Docker network {other.name} {theirs}{owner}; Compose will fail with 'Pool overlaps'", fix)
    return ok("subnet", f"{subnet} overlaps no other Docker network")


def check_subnet_routes(subnet: str, routes: Sequence[Route], docker_ifaces: Iterable[str] = (), stack_path: str = "STACK") -> Finding:
    """A host route into the subnet (VPN, LAN, another bridge) makes it unreachable or ambiguous."""
    net = ipaddress.ip_network(subnet)
    skip = set(docker_ifaces)
    for route in routes:
        theirs = ipaddress.ip_network(route.network)
        if theirs.prefixlen == 0 or route.iface in skip or route.iface == "lo":
            continue
        if net.overlaps(theirs):
            return fail(
                "subnet",
                f"{subnet} overlaps the host route {theirs} on {route.iface or '?'} (LAN, VPN or another bridge)",
                f"give this stack a free range: {wording.command('upgrade', stack_path, ('--subnet', next_free_subnet(subnet, [r.network for r in routes if r.iface not in skip and r.iface != 'lo' and not r.network.endswith('/0')])))}",
            )
    return ok("subnet", f"{subnet} overlaps no host route")


def read_routes() -> tuple[list[Route], str]:
    """Host routes from /proc/net/route (Linux); ([], why) when this host has none to read."""
    path = Path("/proc/net/route")
    if path.exists():
        return parse_proc_net_route(path.read_text()), ""
    return [], "no /proc/net/route on this host (the engine runs in a VM: host routes do not reach it)"


# ---------------------------------------------------------------- stale data

def check_stale_data(
    store: DataStore,
    project: str,
    present: bool | None,
    stamp: Mapping[str, str],
    container_password: str | None = None,
    container: str = "",
    stack_path: str = "STACK",
) -> Finding:
    """present: data exists (None: unknown, engine not reachable). container_password: the
    password an existing container of the service was created with, if one exists."""
    name = f"data of {store.service}"
    reset = f"{wording.command('reset', stack_path, '--data')} (deletes it), or put back the secrets it was made with"
    if present is None:
        return fail(name, f"{store.where}: not checked, the Docker engine is not reachable", "start Docker, then run doctor again")
    if not present:
        return ok(name, f"no earlier data in {store.where}")
    current = fingerprint(project, store.service, store.password)
    if container_password is not None and container_password != store.password:
        return fail(
            name,
            f"container {container} was created with another password than this stack has now; {store.where} holds data made with it",
            reset,
        )
    recorded = stamp.get(store.service)
    if recorded and recorded != current:
        return fail(name, f"{store.where} was created with other passwords than this stack has now (an earlier stack's data)", reset)
    if recorded == current or container_password == store.password:
        return ok(name, f"{store.where} was made with this stack's password")
    return warn(
        name,
        f"{store.where} exists, and this stack has no record of the password it was made with (an earlier stack, or started without odl-stack up)",
        f"if the app or the bootstrap then fails with 'access denied' / 'password authentication failed': {reset}",
    )


# ---------------------------------------------------------------- side by side

def check_siblings(stack: Stack, siblings: Sequence[Stack], running: Iterable[str] | None) -> list[Finding]:
    """Stacks next to this one: shared host ports or overlapping subnets mean they cannot run together."""
    running_set = set(running) if running is not None else None
    findings = []
    own_ports = {p.port: p for p in stack.published}
    for other in siblings:
        is_running = running_set is not None and other.project in running_set
        level = fail if is_running else warn
        state = "is running" if is_running else ("is not running" if running_set is not None else "may be running")
        for pub in other.published:
            mine = own_ports.get(pub.port)
            if mine is None:
                continue
            flag = option_for_service(mine.service)
            move = wording.command("upgrade", stack.path, (flag, "<free port>")) if flag else "publish it elsewhere in docker-compose.override.yml"
            args = ("side by side", f"port {pub.port} is published by this stack ({mine.service}) and by stack '{other.project}' ({pub.service}), which {state}")
            if is_running:
                findings.append(fail(*args, f"stop it ({wording.command('down', other.path)}) or move this stack: {move}"))
            else:
                findings.append(warn(*args, f"only one of them can run at a time; to run both: {move}"))
        if ipaddress.ip_network(stack.subnet).overlaps(ipaddress.ip_network(other.subnet)):
            findings.append(
                level(
                    "side by side",
                    f"subnet {stack.subnet} overlaps {other.subnet} of stack '{other.project}', which {state}",
                    f"stop it ({wording.command('down', other.path)}) or give this stack its own range: "
                    f"{wording.command('upgrade', stack.path, ('--subnet', next_free_subnet(stack.subnet, [other.subnet])))}",
                )
            )
    if siblings and not findings:
        findings.append(ok("side by side", f"no port or subnet shared with {', '.join(s.project for s in siblings)}"))
    return findings


# ---------------------------------------------------------------- the engine

class EngineUnreachable(Exception):
    """No engine answers; the message is the cause in words, `fix` what to do about it."""

    def __init__(self, cause: str, fix: str) -> None:
        super().__init__(cause)
        self.fix = fix


class NoDockerCLI(RuntimeError):
    """No docker command to run Compose with."""


START_DOCKER = "start Docker (sudo systemctl start docker, or open Docker Desktop), or set DOCKER_HOST to where it listens"


def unreachable(base_url: str, error: str) -> EngineUnreachable:
    """The docker SDK's error (a chain of exception reprs) -> the cause a person can act on."""
    socket_path = base_url.split("://", 1)[-1] if base_url.startswith(("unix://", "/")) else ""
    if socket_path and ("FileNotFoundError" in error or "No such file" in error):
        return EngineUnreachable(f"no Docker socket at {socket_path} (Docker is not running, or not installed)", START_DOCKER)
    if "PermissionError" in error or "Permission denied" in error:
        return EngineUnreachable(
            f"permission denied on {socket_path or base_url}",
            "add yourself to the docker group (sudo usermod -aG docker $USER, then log in again), or run as root",
        )
    if "Connection refused" in error or "ConnectionRefused" in error:
        return EngineUnreachable(f"nothing answers at {base_url}", START_DOCKER)
    return EngineUnreachable(f"no answer from {base_url}", START_DOCKER)


@dataclass
class ContainerFacts:
    name: str
    project: str
    service: str
    running: bool
    ports: list[tuple[str, int]]  # (host ip, host port)
    env: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass
class EngineFacts:
    version: str
    arch: str
    mem_total: int
    ncpu: int
    networks: list[DockerNetwork]
    containers: list[ContainerFacts]
    volumes: set[str]
    image_arches: dict[str, str | None]


def gather_engine(images: Sequence[str] = ()) -> EngineFacts:
    """Ask the Docker engine (DOCKER_HOST or the default socket) for what the checks need."""
    import docker
    from docker.errors import DockerException, ImageNotFound

    base_url = engine_url()
    try:
        client = docker.DockerClient(base_url=base_url, timeout=10)
        version = client.version()
        info = client.info()
        networks = _networks(client)
        containers = []
        for c in client.containers.list(all=True):
            attrs = c.attrs
            labels = (attrs.get("Config") or {}).get("Labels") or {}
            ports = []
            for bindings in ((attrs.get("NetworkSettings") or {}).get("Ports") or {}).values():
                for b in bindings or []:
                    if b.get("HostPort"):
                        ports.append((b.get("HostIp", ""), int(b["HostPort"])))
            env = dict(e.split("=", 1) for e in (attrs.get("Config") or {}).get("Env") or [] if "=" in e)
            containers.append(
                ContainerFacts(
                    name=attrs.get("Name", "").lstrip("/"),
                    project=labels.get("com.docker.compose.project", ""),
                    service=labels.get("com.docker.compose.service", ""),
                    running=(attrs.get("State") or {}).get("Running", False),
                    ports=ports,
                    env=env,
                )
            )
        volumes = {v.name for v in client.volumes.list()}
        image_arches: dict[str, str | None] = {}
        for ref in images:
            try:
                image_arches[ref] = client.images.get(ref).attrs.get("Architecture")
            except ImageNotFound:
                image_arches[ref] = None
    except DockerException as exc:
        raise unreachable(base_url, str(exc)) from exc
    return EngineFacts(
        version=str(version.get("Version", "?")),
        arch=str(info.get("Architecture", "?")),
        mem_total=int(info.get("MemTotal", 0)),
        ncpu=int(info.get("NCPU", 0)),
        networks=networks,
        containers=containers,
        volumes=volumes,
        image_arches=image_arches,
    )


def _networks(client: Any) -> list[DockerNetwork]:
    networks = []
    for net in client.networks.list(greedy=False):
        attrs = net.attrs
        subnets = tuple(c.get("Subnet", "") for c in ((attrs.get("IPAM") or {}).get("Config") or []) if c.get("Subnet"))
        labels = attrs.get("Labels") or {}
        options = attrs.get("Options") or {}
        iface = options.get("com.docker.network.bridge.name") or ("docker0" if attrs.get("Name") == "bridge" else f"br-{attrs['Id'][:12]}")
        networks.append(DockerNetwork(attrs.get("Name", ""), subnets, labels.get("com.docker.compose.project", ""), iface))
    return networks


def engine_networks() -> list[DockerNetwork] | None:
    """The engine's networks, or None when no engine answers (generation then checks only the
    stacks next to the new one)."""
    import docker
    from docker.errors import DockerException

    try:
        return _networks(docker.DockerClient(base_url=engine_url(), timeout=5))
    except (DockerException, OSError):
        return None


def engine_volumes() -> set[str] | None:
    """The engine's volume names, or None when no engine answers."""
    import docker
    from docker.errors import DockerException

    try:
        return {v.name for v in docker.DockerClient(base_url=engine_url(), timeout=5).volumes.list()}
    except (DockerException, OSError):
        return None


def engine_url() -> str:
    """Where the engine listens: DOCKER_HOST, else the docker CLI's current context
    (Docker Desktop, Colima and rootless engines live there), else the default socket."""
    import shutil
    import subprocess

    if os.environ.get("DOCKER_HOST"):
        return os.environ["DOCKER_HOST"]
    if shutil.which("docker"):
        try:
            found = subprocess.run(
                ["docker", "context", "inspect", "--format", "{{.Endpoints.docker.Host}}"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
            if found:
                return found
        except (OSError, subprocess.SubprocessError):
            pass
    return "unix:///var/run/docker.sock"


def compose_version(client_call: Sequence[str] | None = None) -> str:
    """`docker compose version` through python-on-whales (the CLI `up` drives); raises RuntimeError."""
    from python_on_whales import DockerClient
    from python_on_whales.exceptions import DockerException

    import shutil

    call = list(client_call or default_client_call())
    if not shutil.which(call[0]):
        raise NoDockerCLI(f"no `{call[0]}` command on PATH")
    try:
        return str(DockerClient(client_call=call).compose.version())
    except DockerException as exc:
        raise RuntimeError((exc.stderr or str(exc)).strip().splitlines()[0] if (exc.stderr or "").strip() else f"exit code {exc.return_code}") from exc
    except Exception as exc:  # ClientNotFoundError and friends: no docker CLI at all
        raise RuntimeError(str(exc).strip().splitlines()[0]) from exc


# ---------------------------------------------------------------- all together

def diagnose(
    stack: Stack,
    hosts_file: Path = hosts_mod.DEFAULT_HOSTS_FILE,
    engine: Callable[[Sequence[str]], EngineFacts] = gather_engine,
    compose: Callable[[], str] = compose_version,
    routes: Callable[[], tuple[list[Route], str]] = read_routes,
    siblings: Sequence[Stack] = (),
) -> list[Finding]:
    findings: list[Finding] = []
    facts: EngineFacts | None = None
    no_engine: EngineUnreachable | None = None
    try:
        facts = engine(stack.images)
        findings.append(check_engine_version(facts.version))
    except EngineUnreachable as exc:
        no_engine = exc
    try:
        compose_finding = check_compose_version(compose(), compose_features(stack.compose))
    except NoDockerCLI as exc:
        compose_finding = fail("docker compose", str(exc), "install Docker (Docker Engine with the Compose v2 plugin, or Docker Desktop)")
        if no_engine is not None:
            # One cause, one line: Docker is not installed here.
            no_engine = EngineUnreachable(f"{exc}, and {no_engine}", "install Docker (Docker Engine with the Compose v2 plugin, or Docker Desktop)")
            compose_finding = None
    except RuntimeError as exc:
        compose_finding = fail(
            "docker compose",
            f"Docker Compose v2 not usable: {exc}",
            "install the Compose v2 plugin (docker-compose-plugin / docker-compose-v2), or set ODL_STACK_COMPOSE to a Compose v2 binary",
        )
    if no_engine is not None:
        # The checks that need the engine are left out rather than each failing on its own line.
        findings.append(fail("docker engine", f"not reachable: {no_engine}; the checks that need it are skipped", no_engine.fix))
    if compose_finding is not None:
        findings.append(compose_finding)
    if facts is not None:
        findings.append(check_memory(facts.mem_total))
        findings.extend(check_arch(facts.arch, facts.image_arches, stack.built_images))

    for pub in stack.published:
        holders = None
        if facts is not None:
            holders = [
                PortHolder(c.name, c.project)
                for c in facts.containers
                if any(p == pub.port and (ip in ("", "0.0.0.0", "::") or not pub.host_ip or ip == pub.host_ip) for ip, p in c.ports)
            ]
        findings.append(check_port(pub, stack.project, holders, str(stack.path)))

    findings.append(check_hosts(hosts_file, stack.hostnames, str(stack.path)))

    docker_ifaces = []
    if facts is not None:
        findings.append(check_subnet_networks(stack.subnet, facts.networks, stack.network_name, str(stack.path)))
        docker_ifaces = [n.iface for n in facts.networks if n.iface]
    route_list, why = routes()
    if why:
        findings.append(warn("subnet", f"host routes not checked: {why}"))
    else:
        findings.append(check_subnet_routes(stack.subnet, route_list, docker_ifaces, str(stack.path)))

    stamp = stack.data_stamp()
    for store in data_stores(stack):
        present: bool | None
        if store.volume:
            if facts is None:
                continue  # volumes live in the engine: the engine finding says why this is not checked
            present = store.volume in facts.volumes
        else:
            present = bind_has_data(store.bind)
        container = None
        if facts is not None:
            container = next((c for c in facts.containers if c.project == stack.project and c.service == store.service), None)
        findings.append(
            check_stale_data(
                store,
                stack.project,
                present,
                stamp,
                container_password=None if container is None else container.env.get(_password_var(stack, store.service), ""),
                container=container.name if container else "",
                stack_path=str(stack.path),
            )
        )

    running = None if facts is None else {c.project for c in facts.containers if c.running}
    findings.extend(check_siblings(stack, siblings, running))
    return findings


def _password_var(stack: Stack, service: str) -> str:
    env = ((stack.compose.get("services") or {}).get(service) or {}).get("environment") or {}
    names = env if isinstance(env, dict) else [e.split("=", 1)[0] for e in env]
    return next(v for v in PASSWORD_VARS if v in names)
