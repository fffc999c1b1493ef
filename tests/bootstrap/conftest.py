"""Fixtures for the bootstrap tests: the two Django venvs, migrated template databases, the Django sides."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from bootstrap_helpers import APP_KINDS, HERE, PROJECTS, VENVS, DjangoSide, side_env


@pytest.fixture(scope="session")
def venvs() -> dict[str, Path]:
    # Idempotent and quick once the venvs exist; `make test` calls it first anyway.
    subprocess.run(["bash", str(HERE / "setup_venvs.sh")], check=True, capture_output=True)
    return VENVS


@pytest.fixture(scope="session")
def template_dbs(venvs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Migrated once per session; each test copies its own."""
    root = tmp_path_factory.mktemp("templates")
    dbs = {}
    for name, side, manage in (
        ("lms", "lms", ["./manage.py", "lms"]),
        ("app", "app", ["./manage.py"]),
        ("app-mitxonline", "app", ["./manage.py"]),
    ):
        db = root / f"{name}.sqlite3"
        env = side_env(side, db, app=APP_KINDS.get(name, "xpro"))
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=PROJECTS[side], env=env, check=True)
        dbs[name] = db
    return dbs


@pytest.fixture
def dbs(template_dbs: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    copies = {}
    for side, db in template_dbs.items():
        copies[side] = tmp_path / db.name
        shutil.copy(db, copies[side])
    return copies


@pytest.fixture
def lms(dbs: dict[str, Path], tmp_path: Path) -> DjangoSide:
    return DjangoSide("lms", dbs["lms"], tmp_path)


@pytest.fixture
def app(dbs: dict[str, Path], tmp_path: Path) -> DjangoSide:
    """The app stand-in as xPro."""
    return DjangoSide("app", dbs["app"], tmp_path)


@pytest.fixture
def app_mitxonline(dbs: dict[str, Path], tmp_path: Path) -> DjangoSide:
    """The app stand-in as MITx Online (its migrations pre-create edx-oauth-app)."""
    return DjangoSide("app", dbs["app-mitxonline"], tmp_path, app="mitxonline")
