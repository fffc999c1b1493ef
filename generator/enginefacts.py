"""What the Docker engine and this host say: networks, containers, volumes, images (docker SDK), the
Compose version (python-on-whales, the CLI `up` drives) and the host's routes.

A leaf below doctor and new: doctor's checks take these facts as inputs, and new reads the engine's
networks when it picks a free subnet, without loading doctor.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.dockercli import require_docker_cli


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


def read_routes() -> tuple[list[Route], str]:
    """Host routes from /proc/net/route (Linux); ([], why) when this host has none to read."""
    path = Path("/proc/net/route")
    if path.exists():
        return parse_proc_net_route(path.read_text()), ""
    return [], "no /proc/net/route on this host (the engine runs in a VM: host routes do not reach it)"


class EngineUnreachable(Exception):
    """No engine answers; the message is the cause in words, `fix` what to do about it."""

    def __init__(self, cause: str, fix: str) -> None:
        super().__init__(cause)
        self.fix = fix


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
        iface = options.get("com.docker.network.bridge.name") or (
            "docker0" if attrs.get("Name") == "bridge" else f"br-{attrs['Id'][:12]}"
        )
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
                ["docker", "context", "inspect", "--format", "{{.Endpoints.docker.Host}}"],
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
            if found:
                return found
        except (OSError, subprocess.SubprocessError):
            pass
    return f"unix://{DEFAULT_SOCKET}"


DEFAULT_SOCKET = "/var/run/docker.sock"
# The variable the bootstrap's socket mount reads (templates/compose/bootstrap.yml.j2).
SOCKET_ENV = "ODL_DOCKER_SOCKET"


def engine_socket(url: str | None = None) -> str | None:
    """The host path of the engine's unix socket (from engine_url()); None when the engine is reached
    another way (tcp://, ssh://), so there is no socket on this host to mount."""
    url = url or engine_url()
    return url.removeprefix("unix://") if url.startswith("unix://") else None


def compose_version(client_call: Sequence[str] | None = None) -> str:
    """`docker compose version` through python-on-whales (the CLI `up` drives); raises NoDockerCLI when
    there is no docker command, RuntimeError when Compose does not answer."""
    from python_on_whales import DockerClient
    from python_on_whales.exceptions import DockerException

    call = require_docker_cli(client_call)
    try:
        return str(DockerClient(client_call=call).compose.version())
    except DockerException as exc:
        raise RuntimeError(
            (exc.stderr or str(exc)).strip().splitlines()[0] if (exc.stderr or "").strip() else f"exit code {exc.return_code}"
        ) from exc
    except Exception as exc:  # ClientNotFoundError and friends: no docker CLI at all
        raise RuntimeError(str(exc).strip().splitlines()[0]) from exc
