"""Read the versions table and apply a user's image overrides."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from generator.errors import StackError


def load_table() -> dict[str, Any]:
    text = resources.files("generator").joinpath("versions.yml").read_text()
    table: dict[str, Any] = yaml.safe_load(text)
    return table


def images(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The image table with `overrides` applied; unknown names are an error."""
    table = dict(load_table()["images"])
    for name, ref in (overrides or {}).items():
        if name not in table:
            raise StackError(
                f"images file entry '{name}'",
                "is not a known image name",
                f"use one of: {', '.join(sorted(table))}",
            )
        if not isinstance(ref, str) or not ref.strip() or any(c.isspace() for c in ref):
            raise StackError(
                f"images file entry '{name}'",
                f"{ref!r} is not an image reference",
                "give a reference such as registry/name:tag",
            )
        table[name] = ref
    return table


def python_packages() -> dict[str, str]:
    return dict(load_table()["python-packages"])


def read_overrides(path: Path) -> dict[str, str]:
    """Parse an `--images FILE` (YAML mapping: logical name -> reference)."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise StackError("--images", f"cannot read {path}: {exc.strerror}", "pass a readable YAML file") from exc
    except yaml.YAMLError as exc:
        raise StackError("--images", f"{path} is not valid YAML ({exc.__class__.__name__})", "fix the YAML syntax") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise StackError("--images", f"{path} is not a mapping", "write lines like 'postgres: my-mirror/postgres:15'")
    return {str(k): v for k, v in data.items()}
