"""Paths and places: a checkout path with a space, stacks outside stacks/, two stacks of one name, and an
explicit port another stack publishes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from helpers import ROOT, make_stack, run_cli, tree
from test_newcomer import VENV, one_error_line, run_make


def test_make_works_from_a_checkout_whose_path_has_a_space(tmp_path: Path) -> None:
    checkout = tmp_path / "My Projects" / "odl-stack"
    checkout.mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(ROOT / name, checkout / name)  # mtimes kept: the virtualenv stays up to date
    work = tmp_path / "work"
    work.mkdir()
    clean = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES")}
    result = subprocess.run(
        ["make", "--no-print-directory", "-f", str(checkout / "Makefile"), f"VENV={VENV}", "stack", "APP=xpro"],
        cwd=work,
        capture_output=True,
        text=True,
        env=clean,
    )
    assert result.returncode == 0, result.stderr
    assert "Generating stacks/xpro" in result.stdout
    assert (work / "stacks" / "xpro" / "stack.json").is_file()


def test_a_stack_outside_stacks_gets_commands_that_work_from_where_the_user_is(tmp_path: Path) -> None:
    result = run_make(tmp_path, "stack", "APP=xpro", "OUT=elsewhere")
    assert result.returncode == 0, result.stderr
    program = str(VENV / "bin/odl-stack")
    # The CLI with the stack's path, not `make up STACK=xpro` (which would target stacks/xpro).
    assert f"or, from here, doctor + start + the bootstrap's log in one: {program} up elsewhere/xpro" in result.stdout
    assert "STACK=xpro" not in result.stdout
    credentials = (tmp_path / "elsewhere/xpro/secrets/credentials.txt").read_text()
    assert "STACK=" not in credentials and "docker compose run --rm --no-deps bootstrap verify" in credentials
    readme = (tmp_path / "elsewhere/xpro/README.md").read_text()
    assert "`odl-stack upgrade .`" in readme and "STACK=xpro" not in readme
    # Its fix lines too: a regeneration refused without FORCE names the stack where it is.
    line = one_error_line(run_make(tmp_path, "upgrade", "STACK=elsewhere/xpro", "LMS_PORT=80"))
    assert "make upgrade STACK=xpro" not in line, line


def test_two_stacks_of_one_name_in_different_directories_are_warned_about(tmp_path: Path) -> None:
    assert run_make(tmp_path, "stack", "APP=xpro").returncode == 0
    result = run_make(tmp_path, "stack", "APP=xpro", "OUT=elsewhere")
    assert result.returncode == 0, result.stderr
    assert (
        "warning: stacks/xpro is a stack of the same name; both are Compose project 'xpro' and would share its containers,"
        " network and volumes: run one at a time, or choose another NAME"
    ) in result.stdout
    lines: list[str] = []
    from generator.new import generate

    generate(
        {"app": "xpro"},
        tmp_path / "third",
        False,
        echo=lines.append,
        networks=lambda: None,
        volumes=lambda: {"xpro_app-db-data", "other_x"},
    )
    assert any(
        "the Docker engine already has volumes of a Compose project 'xpro' (xpro_app-db-data)" in line for line in lines
    ), lines


def test_an_explicit_port_another_stack_publishes_is_refused(tmp_path: Path) -> None:
    make_stack(tmp_path, app="xpro")  # LMS 8000, app 8053
    mitx = make_stack(tmp_path, app="mitxonline", lms_port=8001)
    before = tree(tmp_path)
    for args in (
        ["new", "--app", "mitxonline", "--name", "m2", "--lms-port", "8000", "--out", str(tmp_path)],
        ["new", "--app", "mitxonline", "--name", "mitxonline", "--app-port", "8053", "--force", "--out", str(tmp_path)],
        ["upgrade", str(mitx), "--lms-port", "8000"],
    ):
        result = run_cli(*args)
        assert result.returncode == 2, result.stderr
        message = result.stderr.strip()
        assert message.count("\n") == 0 and "is published by stack 'xpro' beside this one" in message, message
        assert (
            message.startswith(("Error: --lms-port: port 8000", "Error: --app-port: port 8053")) and "Fix: pass --" in message
        ), message
        assert tree(tmp_path) == before
    # Its own ports are no clash: a re-render with them changes nothing.
    same = run_cli("upgrade", str(mitx), "--lms-port", "8001")
    assert same.returncode == 0 and "no file changed" in same.stdout, same.stdout + same.stderr
    assert json.loads((mitx / "stack.json").read_text())["answers"]["ports"] == {"lms": 8001}
    assert tree(tmp_path) == before
