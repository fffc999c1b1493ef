"""The `docker` command odl-stack runs: `docker`, or what ODL_STACK_DOCKER / ODL_STACK_COMPOSE name.

A leaf: lifecycle drives Compose with it, and enginefacts asks it for Compose's version.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from generator.errors import StackError


def client_call() -> list[str]:
    if os.environ.get("ODL_STACK_DOCKER"):
        return shlex.split(os.environ["ODL_STACK_DOCKER"])
    if os.environ.get("ODL_STACK_COMPOSE"):
        return [str(_compose_shim(os.environ["ODL_STACK_COMPOSE"]))]
    return ["docker"]


def _compose_shim(compose_binary: str) -> Path:
    """A `docker` that sends `docker compose ...` to a standalone Compose v2 binary."""
    shim = Path(tempfile.gettempdir()) / f"odl-stack-docker-shim-{os.getuid()}"
    text = f'#!/bin/sh\nif [ "$1" = compose ]; then shift; exec {shlex.quote(compose_binary)} "$@"; fi\nexec docker "$@"\n'
    if not shim.exists() or shim.read_text() != text:
        shim.write_text(text)
        shim.chmod(stat.S_IRWXU)
    return shim


class NoDockerCLI(StackError):
    """No docker command on PATH to run Compose with."""


def require_docker_cli(call: Sequence[str] | None = None) -> list[str]:
    """The docker command to run (`call`, else client_call()), or one error naming the fix (never
    python-on-whales' traceback)."""
    call = list(call or client_call())
    if not shutil.which(call[0]):
        raise NoDockerCLI(
            "docker",
            f"no `{call[0]}` command found on PATH",
            "install Docker (Docker Engine with the Compose v2 plugin, or Docker Desktop), "
            "or set ODL_STACK_DOCKER to the docker command to use",
        )
    return call
