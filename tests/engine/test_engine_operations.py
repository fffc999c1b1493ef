"""Operating a stack on the real engine: `odl-stack reset` without --data keeps the
stack's volumes, data and secrets; `odl-stack doctor` explains a subnet clash with a real
Docker network."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import PROJECT_PREFIX, PYTHON, ROOT, Stack, generate, record, run
from helpers import check_reset_keeps_data

from generator import stackdir


@pytest.fixture(scope="module")
def ops_stack(engine: None, stacks_dir: Path) -> Iterator[Stack]:
    stack = Stack(generate("xpro", stacks_dir / "ops", f"{PROJECT_PREFIX}ops-xpro"))
    try:
        yield stack
    finally:
        stack.down()


def test_reset_without_data_keeps_volumes_data_and_secrets(ops_stack: Stack) -> None:
    t0 = time.monotonic()
    # The datastores and the app's init are enough to create every named volume and tutor/data.
    run(["docker", "compose", "up", "-d", "app-init", "mysql"], cwd=ops_stack.path, check=True)
    assert ops_stack.wait_exit("app-init") == 0, ops_stack.logs("app-init")
    problems = check_reset_keeps_data(stackdir.load(ops_stack.path))
    record("ops: up datastores, odl-stack reset (no --data), volumes checked", time.monotonic() - t0)
    assert problems == []


def test_doctor_explains_a_real_overlapping_network(ops_stack: Stack) -> None:
    subnet = ops_stack.plan["network"]["subnet"]
    network = f"{PROJECT_PREFIX}ops-clash"
    run(["docker", "network", "rm", network])
    run(["docker", "network", "create", "--subnet", subnet, network], check=True)
    try:
        proc = run([PYTHON, "-m", "generator", "doctor", str(ops_stack.path)], cwd=ROOT)
    finally:
        run(["docker", "network", "rm", network])
    assert proc.returncode == 1, proc.stdout
    clash = [line for line in proc.stdout.splitlines() if line.lstrip().startswith("✗") and network in line]
    assert clash, proc.stdout
