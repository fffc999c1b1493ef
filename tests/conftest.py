"""Fixtures shared by the generator's tests (helper functions are in helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import VARIANTS, make_stack


@pytest.fixture(autouse=True)
def no_engine_outside_the_engine_tier(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Generation asks the Docker engine for its networks when one answers; the fast tiers must not
    depend on what runs on this machine's engine, so they (and the CLI they start) see none."""
    if "engine" not in Path(str(request.node.fspath)).parts:
        monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path_factory.getbasetemp()}/no-engine.sock")


@pytest.fixture(scope="session")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One generated stack per supported variant, shared by read-only tests."""
    out = tmp_path_factory.mktemp("stacks")
    return {name: make_stack(out, **answers) for name, answers in VARIANTS.items()}
