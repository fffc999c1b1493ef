"""doctor's checks: each a small function of explicit inputs (a hosts file path, route table text, a list
of Docker networks, a port) returning `Finding`s, so each can be tested with a real failure."""

from __future__ import annotations

import errno
import ipaddress
import re
import socket
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import hosts as hosts_mod
from generator import stackdir, wording
from generator.addressing import next_free_subnet
from generator.datastamp import DataStore, fingerprint
from generator.enginefacts import DEFAULT_SOCKET, SOCKET_ENV, DockerNetwork, Route, engine_socket
from generator.plugin_checkouts import PROJECT_FILES
from generator.ports import option_for_service
from generator.stackdir import Published, Stack

OK, WARN, FAIL = "ok", "warn", "fail"

MIN_ENGINE = (20, 10, 0)
MIN_COMPOSE = (2, 20, 0)  # `name:`, service_completed_successfully, ipam ip_range, profiles: all older; 2.20 is our floor
MIN_COMPOSE_ENV_FILE_OBJECTS = (2, 24, 0)  # env_file: [{path, required}]
MIN_COMPOSE_WATCH_RESTART = (2, 32, 0)  # develop.watch action `restart` (docs.docker.com compose-file/develop)
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
        return fail(
            "docker engine",
            f"version {server_version} is older than {_v(MIN_ENGINE)}",
            "upgrade Docker Engine (or Docker Desktop)",
        )
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
        if isinstance(depends, dict) and any(
            (d or {}).get("condition") == "service_completed_successfully" for d in depends.values()
        ):
            features["depends_on: service_completed_successfully"] = MIN_COMPOSE
        if body.get("profiles"):
            features["profiles"] = MIN_COMPOSE
        if any(isinstance(e, dict) for e in body.get("env_file") or []):
            features["env_file with path/required"] = MIN_COMPOSE_ENV_FILE_OBJECTS
        if any((rule or {}).get("action") == "restart" for rule in ((body.get("develop") or {}).get("watch") or [])):
            features["develop.watch restart"] = MIN_COMPOSE_WATCH_RESTART
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
        return fail(
            "docker compose",
            f"version '{version_text.strip()}' not understood",
            f"install Docker Compose v2 ({_v(needed)} or newer)",
        )
    if found[0] < 2:
        return fail(
            "docker compose",
            f"{version_text.strip()} is Compose v1; the stack needs Compose v2 {_v(needed)}+ ({used})",
            "install the Compose v2 plugin (`docker compose`, package docker-compose-plugin / docker-compose-v2)",
        )
    if found < needed:
        return fail(
            "docker compose", f"version {_v(found)} is older than {_v(needed)}, needed for: {used}", "upgrade Docker Compose v2"
        )
    return ok("docker compose", f"version {_v(found)} (needs {_v(needed)}+ for {used})")


def check_plugin_checkouts(stack_path: Path, checkouts: Sequence[str]) -> list[Finding]:
    """Each Open edX plugin checkout the stack mounts is still where the stack recorded it (Docker would
    mount an empty directory it creates in its place, and the LMS would not start)."""
    findings = []
    for relative in checkouts:
        path = stack_path / relative
        if any((path / name).is_file() for name in PROJECT_FILES):
            findings.append(ok("plugin checkout", f"{relative} is a Python package checkout"))
        else:
            findings.append(
                fail(
                    "plugin checkout",
                    f"{relative} (relative to the stack) has no pyproject.toml or setup.py",
                    f"put the checkout back there, or regenerate {stack_path} with the checkouts it should mount",
                )
            )
    return findings


# ---------------------------------------------------------------- resources


def check_engine_socket(url: str, chosen: str | None, exists: Callable[[str], bool], stack_path: str = "STACK") -> Finding:
    """The bootstrap talks to the engine through its socket, bind-mounted from
    ${ODL_DOCKER_SOCKET:-/var/run/docker.sock}: that must be the socket of the engine the stack runs on.
    `url`: where the engine is reached (enginefacts.engine_url); `chosen`: ODL_DOCKER_SOCKET, if set."""
    name = "engine socket"
    socket = engine_socket(url)
    if chosen:
        if socket is not None and not exists(chosen):
            return fail(
                name,
                f"{SOCKET_ENV}={chosen}: no socket there, so the bootstrap could not reach the engine",
                f"set {SOCKET_ENV}={socket} (the engine at {url}), or unset it",
            )
        return ok(name, f"the bootstrap mounts {chosen} ({SOCKET_ENV})")
    if socket is None:
        # A bind mount is made on the engine's host: its default socket there is what gets mounted.
        return warn(
            name,
            f"the engine is reached at {url}; the bootstrap mounts {DEFAULT_SOCKET} of the engine's host",
            f"if that host's socket is elsewhere (rootless Docker, Podman), set {SOCKET_ENV} to its path there",
        )
    if socket == DEFAULT_SOCKET:
        return ok(name, f"the bootstrap mounts {DEFAULT_SOCKET}, the engine's socket")
    return warn(
        name,
        f"the engine's socket is {socket} (rootless Docker, Podman or a context), not {DEFAULT_SOCKET}; {wording.command('up', stack_path)}"
        f" mounts it, a plain `docker compose up` would mount {DEFAULT_SOCKET}",
        f"for `docker compose` in the stack's directory, put {SOCKET_ENV}={socket} in its .env (Compose reads it) or export it",
    )


def check_memory(mem_total: int) -> Finding:
    gib = mem_total / 1024**3
    if mem_total < MIN_MEMORY:
        return fail(
            "memory",
            f"the engine has {gib:.1f} GiB; Open edX alone needs 4 GiB",
            "give Docker more memory (Docker Desktop: Settings > Resources), 8 GiB or more",
        )
    if mem_total < GOOD_MEMORY:
        return warn(
            "memory",
            f"the engine has {gib:.1f} GiB; 8 GiB or more is recommended for Open edX + the app",
            "give Docker more memory if builds or migrations are killed",
        )
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
    other_port = (
        wording.command("upgrade", stack_path, (flag, pub.port + 1))
        if flag
        else "publish it elsewhere in docker-compose.override.yml"
    )
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
    """How to stop a compose project: `down` on its stack when one of that name sits beside this one,
    else Compose's own command (a project odl-stack did not make here, e.g. another checkout's)."""
    other = stackdir.beside(Path(stack_path)) / project
    if stackdir.is_stack(other):
        return wording.command("down", other)
    return f"docker compose -p {project} down, from wherever it was started: no stack named {project} is beside this one"


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
def check_subnet_networks(
    subnet: str, networks: Sequence[DockerNetwork], own_network: str, stack_path: str = "STACK", avoid: Sequence[str] = ()
) -> Finding:
    """`avoid`: the subnets of the stacks beside this one, which a suggested range must not take either."""
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
                free = next_free_subnet(subnet, [s for n in networks if n.name != own_network for s in n.subnets] + list(avoid))
                move = wording.command("upgrade", stack_path, ("--subnet", free))
                # Never suggest removing a network this stack does not own: move this stack instead.
                fix = f"give this stack a free range: {move}"
                if other.project:
                    fix += f", or stop the stack that owns it ({_stop(other.project, stack_path)})"
                return fail(
                    "subnet",
                    f"{subnet} overlaps Docker network {other.name} {theirs}{owner}; Compose will fail with 'Pool overlaps'",
                    fix,
                )
    return ok("subnet", f"{subnet} overlaps no other Docker network")


def check_subnet_routes(
    subnet: str, routes: Sequence[Route], docker_ifaces: Iterable[str] = (), stack_path: str = "STACK", avoid: Sequence[str] = ()
) -> Finding:
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
                f"give this stack a free range: {wording.command('upgrade', stack_path, ('--subnet', next_free_subnet(subnet, [r.network for r in routes if r.iface not in skip and r.iface != 'lo' and not r.network.endswith('/0')] + list(avoid))))}",
            )
    return ok("subnet", f"{subnet} overlaps no host route")


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
        return fail(
            name, f"{store.where}: not checked, the Docker engine is not reachable", "start Docker, then run doctor again"
        )
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
        return fail(
            name, f"{store.where} was created with other passwords than this stack has now (an earlier stack's data)", reset
        )
    if recorded == current or container_password == store.password:
        return ok(name, f"{store.where} was made with this stack's password")
    return warn(
        name,
        f"{store.where} exists, and this stack has no record of the password it was made with (an earlier stack, or started without odl-stack up)",
        f"if the app or the bootstrap then fails with 'access denied' / 'password authentication failed': {reset}",
    )


# ---------------------------------------------------------------- side by side


def check_siblings(
    stack: Stack, siblings: Sequence[Stack], running: Iterable[str] | None, avoid: Sequence[str] = ()
) -> list[Finding]:
    """Stacks next to this one: shared host ports or overlapping subnets mean they cannot run together.
    A suggested range avoids every sibling's subnet and `avoid` (the engine's other networks)."""
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
            move = (
                wording.command("upgrade", stack.path, (flag, "<free port>"))
                if flag
                else "publish it elsewhere in docker-compose.override.yml"
            )
            args = (
                "side by side",
                f"port {pub.port} is published by this stack ({mine.service}) and by stack '{other.project}' ({pub.service}), which {state}",
            )
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
                    f"{wording.command('upgrade', stack.path, ('--subnet', next_free_subnet(stack.subnet, [s.subnet for s in siblings] + list(avoid))))}",
                )
            )
    if siblings and not findings:
        findings.append(ok("side by side", f"no port or subnet shared with {', '.join(s.project for s in siblings)}"))
    return findings
