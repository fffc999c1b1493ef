"""Every generated compose file passes the real Compose v2 parser and the compose-spec schema."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from helpers import ROOT, VARIANTS, compose_binary

SCHEMA = json.loads((ROOT / "tests/schema/compose-spec.json").read_text())


@pytest.mark.parametrize("name", VARIANTS)
def test_compose_config_accepts_the_stack(stacks: dict[str, Path], name: str) -> None:
    result = subprocess.run([str(compose_binary()), "config", "-q"], cwd=stacks[name], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", VARIANTS)
def test_compose_spec_schema(stacks: dict[str, Path], name: str) -> None:
    jsonschema.validate(yaml.safe_load((stacks[name] / "docker-compose.yml").read_text()), SCHEMA)


def test_the_parser_really_rejects_a_broken_file(tmp_path: Path) -> None:
    # Guards the guard: the binary (not a wrapper hiding exit codes) must fail on bad input.
    (tmp_path / "docker-compose.yml").write_text("services:\n  a:\n    image: x\n    depends_on: [missing]\n")
    result = subprocess.run([str(compose_binary()), "config", "-q"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode != 0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"services": {"a": {"image": 3, "restart": "sometimes"}}}, SCHEMA)


def test_user_override_file_is_merged_by_compose(stacks: dict[str, Path], tmp_path: Path) -> None:
    stack = stacks["xpro"]
    override = stack / "docker-compose.override.yml"
    override.write_text("services:\n  lms:\n    environment:\n      MINE: 'yes'\n")
    try:
        result = subprocess.run([str(compose_binary()), "config", "--format", "json"], cwd=stack, capture_output=True, text=True)
    finally:
        override.unlink()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["services"]["lms"]["environment"]["MINE"] == "yes"
