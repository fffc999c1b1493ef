"""upgrade: re-render from stack.json, keep every secret and the user's override file, show what changed."""

from __future__ import annotations

import json

import yaml
from helpers import make_stack, run_cli, stack_secrets, tree

from generator import upgrade

OVERRIDE = "# mine\nservices:\n  lms:\n    environment:\n      MY_SETTING: 'yes'\n"


def test_upgrade_keeps_secrets_and_override_and_restores_generated_files(tmp_path):
    stack = make_stack(tmp_path / "stacks", app="xpro")
    secrets = stack_secrets(stack)
    (stack / "docker-compose.override.yml").write_text(OVERRIDE)
    readme = (stack / "README.md").read_text()
    (stack / "README.md").write_text(readme + "hand edit that the generator owns\n")
    (stack / "tutor/data/mysql").mkdir(parents=True)
    (stack / "tutor/data/mysql/ibdata1").write_bytes(b"data")

    result = run_cli("upgrade", str(stack))
    assert result.returncode == 0, result.stderr
    assert "changed  README.md" in result.stdout
    assert "kept     docker-compose.override.yml" in result.stdout
    assert (stack / "README.md").read_text() == readme
    assert (stack / "docker-compose.override.yml").read_text() == OVERRIDE
    assert (stack / "tutor/data/mysql/ibdata1").read_bytes() == b"data"
    assert stack_secrets(stack) == secrets

    again = run_cli("upgrade", str(stack))
    assert again.returncode == 0 and "no file changed" in again.stdout


def test_upgrade_reports_an_older_generator_and_rewrites_its_record(tmp_path):
    stack = make_stack(tmp_path / "stacks", app="mitxonline")
    record = json.loads((stack / "stack.json").read_text())
    record["generator_version"] = "0.0.1"
    (stack / "stack.json").write_text(json.dumps(record))
    lines: list[str] = []
    changed = upgrade.upgrade(stack, lines.append)
    assert "(generator 0.0.1 -> 0.1.0)" in lines[0]
    assert ("changed", "stack.json") in changed
    assert json.loads((stack / "stack.json").read_text())["generator_version"] == "0.1.0"


def test_upgrade_moves_a_port_keeping_secrets(tmp_path):
    stack = make_stack(tmp_path / "stacks", app="mitxonline")
    secrets = stack_secrets(stack)
    result = run_cli("upgrade", str(stack), "--lms-port", "8001")
    assert result.returncode == 0, result.stderr
    assert "changed  docker-compose.yml" in result.stdout
    assert json.loads((stack / "stack.json").read_text())["answers"]["ports"] == {"lms": 8001}
    compose = yaml.safe_load((stack / "docker-compose.yml").read_text())
    assert compose["services"]["caddy"]["ports"] == ["127.0.0.1:8001:8001"]
    assert stack_secrets(stack) == secrets


def test_upgrade_refuses_a_subnet_of_a_neighbour(tmp_path):
    make_stack(tmp_path / "stacks", app="xpro")
    mitx = make_stack(tmp_path / "stacks", app="mitxonline", lms_port=8001)
    result = run_cli("upgrade", str(mitx), "--subnet", "172.28.53.0/24")
    assert result.returncode == 2 and "overlaps 172.28.53.0/24 of stack 'xpro'" in result.stderr


def test_upgrade_refuses_a_directory_that_is_no_stack(tmp_path):
    result = run_cli("upgrade", str(tmp_path))
    assert result.returncode == 2 and "is not an odl-stack stack" in result.stderr


def test_upgrade_refuses_a_subnet_that_is_no_network_and_writes_nothing(tmp_path):
    stack = make_stack(tmp_path / "stacks", app="xpro")
    before = tree(stack)
    result = run_cli("upgrade", str(stack), "--subnet", "garbage")
    assert result.returncode == 2, result.stderr
    assert (
        result.stderr.startswith("Error: subnet: 'garbage' is not a network in CIDR form")
        and "Fix: give the network address in CIDR form" in result.stderr
    )
    assert tree(stack) == before
