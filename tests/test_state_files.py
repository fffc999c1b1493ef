"""A stack's state files (issue 24, items 1 and 5): secrets a stack's data needs are never replaced by surprise,
and a corrupt or foreign state file is one error naming the file and the fix, exit 2, no byte changed."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import make_stack, run_cli, tree

from generator import stackdir, upgrade
from generator.errors import StackError

STACK = "stacks/xpro"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One xPro stack, rendered once (Tutor takes seconds), copied into each test."""
    return make_stack(tmp_path_factory.mktemp("made") / "stacks", app="xpro")


@pytest.fixture
def make(made: Path) -> Callable[[Path], Path]:
    def copy(tmp_path: Path) -> Path:
        shutil.copytree(made, tmp_path / STACK, symlinks=True)
        return tmp_path / STACK

    return copy


def add_data(stack: Path) -> None:
    """What Tutor's MySQL leaves in tutor/data/ once the stack has been started."""
    (stack / "tutor/data/mysql").mkdir(parents=True)
    (stack / "tutor/data/mysql/ibdata1").write_bytes(b"\0" * 16)


def run_make_words(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI as `make` runs it (fix lines in make's words)."""
    env = {**os.environ, "ODL_STACK_VIA": "make", "ODL_STACK_TYPED": "xpro"}
    return subprocess.run([sys.executable, "-m", "generator", *args], capture_output=True, text=True, cwd=cwd, env=env)


def assert_refused(
    result: subprocess.CompletedProcess[str], start: str, tmp_path: Path, before: dict[str, bytes], *parts: str
) -> str:
    assert result.returncode == 2, result.stderr
    message = result.stderr.strip()
    assert message.count("\n") == 0, f"more than one line: {message}"
    assert message.startswith(f"Error: {start}") and "Fix:" in message, message
    for part in parts:
        assert part in message, message
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    assert tree(tmp_path) == before, "a refused command wrote or changed files"
    return message


# ------------------------------------------------------------------ item 1: secrets never replaced by surprise

MISSING_WITH_DATA: dict[str, Callable[[Path], None]] = {
    "secrets-deleted": lambda s: (s / "secrets/secrets.json").unlink(),
    "secrets-emptied": lambda s: (s / "secrets/secrets.json").write_text(""),
    "secrets-empty-object": lambda s: (s / "secrets/secrets.json").write_text("{}\n"),
    "tutor-config-deleted": lambda s: (s / "tutor/config.yml").unlink(),
}


@pytest.mark.parametrize("case", sorted(MISSING_WITH_DATA))
def test_upgrade_refuses_to_replace_secrets_the_data_needs(make: Callable[[Path], Path], tmp_path: Path, case: str) -> None:
    stack = make(tmp_path)
    add_data(stack)
    MISSING_WITH_DATA[case](stack)
    before = tree(tmp_path)
    file = f"{STACK}/tutor/config.yml" if case.startswith("tutor") else f"{STACK}/secrets/secrets.json"
    message = assert_refused(
        run_cli("upgrade", STACK, cwd=tmp_path),
        f"{file}: missing or empty, and the stack has data",
        tmp_path,
        before,
        f"({STACK}/tutor/data/)",
        "Fix: restore it from a backup, or make new secrets and delete that data:",
        f"upgrade {STACK} --new-secrets, then ",
        f"reset {STACK} --data",
    )
    assert "kept" not in message


def test_make_stack_force_refuses_in_make_words(make: Callable[[Path], Path], tmp_path: Path) -> None:
    stack = make(tmp_path)
    add_data(stack)
    (stack / "secrets/secrets.json").unlink()
    (stack / "tutor/config.yml").unlink()
    before = tree(tmp_path)
    assert_refused(
        run_make_words("new", "--app", "xpro", "--force", cwd=tmp_path),
        f"{STACK}/secrets/secrets.json and {STACK}/tutor/config.yml: missing or empty",
        tmp_path,
        before,
        "passwords they held",
        "Fix: restore them from a backup",
        "make upgrade STACK=xpro NEW_SECRETS=1, then make reset STACK=xpro DATA=1",
    )


def test_data_in_a_docker_volume_counts(make: Callable[[Path], Path], tmp_path: Path) -> None:
    # No tutor/data/: the app's database volume alone (as the engine lists it) is data.
    stack = make(tmp_path)
    (stack / "secrets/secrets.json").unlink()
    volumes = set(stackdir.load(stack).volumes)
    before = tree(tmp_path)
    with pytest.raises(StackError) as refused:
        upgrade.upgrade(stack, lambda _line: None, volumes=lambda: volumes)
    assert "volume xpro_" in refused.value.problem and "--new-secrets" in refused.value.fix
    assert tree(tmp_path) == before


def test_without_data_new_secrets_are_made_and_said(make: Callable[[Path], Path], tmp_path: Path) -> None:
    stack = make(tmp_path)
    old = json.loads((stack / "secrets/secrets.json").read_text())
    (stack / "secrets/secrets.json").unlink()
    lines: list[str] = []
    upgrade.upgrade(stack, lines.append, volumes=lambda: {"someone-elses_volume"})
    output = "\n".join(lines)
    assert "kept" not in output.split("\n")[0] and "secrets and data are kept" not in output
    assert (
        f"new secrets made for secrets/secrets.json: it was missing or empty, and the stack has no data in {stack}/tutor/data/"
        in output
    )
    assert "not checked" not in output
    new = json.loads((stack / "secrets/secrets.json").read_text())
    assert set(new) == set(old) and new["app_db_password"] != old["app_db_password"]
    assert stat.S_IMODE((stack / "secrets/secrets.json").stat().st_mode) == 0o600


def test_without_an_engine_the_unchecked_volumes_are_named(make: Callable[[Path], Path], tmp_path: Path) -> None:
    make(tmp_path)
    (tmp_path / STACK / "tutor/config.yml").unlink()
    result = run_cli("upgrade", STACK, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "new secrets made for tutor/config.yml" in result.stdout
        and "no Docker engine answered, so its volumes were not checked" in result.stdout
    )
    assert "kept." not in result.stdout.splitlines()[0]
    assert (tmp_path / STACK / "tutor/config.yml").is_file()


def test_new_secrets_with_data_goes_ahead_and_names_the_data(make: Callable[[Path], Path], tmp_path: Path) -> None:
    stack = make(tmp_path)
    add_data(stack)
    (stack / "secrets/secrets.json").unlink()
    result = run_cli("new", "--app", "xpro", "--out", "stacks", "--force", "--new-secrets", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        f"new secrets made for secrets/secrets.json (--new-secrets); the data in {STACK}/tutor/data/ still has the old passwords:"
        f" delete it before the next start: "
    ) in result.stdout
    assert f"reset {STACK} --data" in result.stdout
    assert (stack / "secrets/secrets.json").is_file() and (stack / "tutor/data/mysql/ibdata1").is_file()


def test_secrets_in_place_are_kept_and_said(make: Callable[[Path], Path], tmp_path: Path) -> None:
    stack = make(tmp_path)
    add_data(stack)
    before = tree(tmp_path)
    result = run_cli("upgrade", STACK, "--new-secrets", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "secrets and data are kept." in result.stdout and "new secrets" not in result.stdout
    assert tree(tmp_path) == before


# ------------------------------------------------------------------ item 5: corrupt or foreign state


def _edit_answers(key: str, value: object) -> Callable[[Path], None]:
    def edit(stack: Path) -> None:
        record = json.loads((stack / "stack.json").read_text())
        record["answers"][key] = value
        (stack / "stack.json").write_text(json.dumps(record))

    return edit


def _truncate(relative: str, keep: int) -> Callable[[Path], None]:
    def cut(stack: Path) -> None:
        (stack / relative).write_bytes((stack / relative).read_bytes()[:keep])

    return cut


CORRUPT: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # case: (break it, the start of the error, a part of the fix)
    "stack-truncated": (
        _truncate("stack.json", 40),
        f"{STACK}/stack.json: is not valid JSON (",
        "restore it from a backup, or correct it by hand",
    ),
    "stack-empty": (lambda s: (s / "stack.json").write_text(""), f"{STACK}/stack.json: is empty", "restore it from a backup"),
    "stack-list": (
        lambda s: (s / "stack.json").write_text("[]\n"),
        f"{STACK}/stack.json: holds a list, not a mapping",
        "restore it from a backup",
    ),
    "stack-ports-string": (
        _edit_answers("ports", "x"),
        f"{STACK}/stack.json: 'answers.ports' is a string (\"x\"), not a mapping or null",
        '{"generator_version": ..., "answers": {...}}',
    ),
    "stack-apisix-string": (
        _edit_answers("apisix", "yes"),
        f"{STACK}/stack.json: 'answers.apisix' is a string",
        "correct it by hand",
    ),
    "secrets-truncated": (
        _truncate("secrets/secrets.json", 30),
        f"{STACK}/secrets/secrets.json: is not valid JSON (",
        f"without one, delete it and run odl-stack upgrade {STACK}",
    ),
    "secrets-list": (
        lambda s: (s / "secrets/secrets.json").write_text("[1,2]\n"),
        f"{STACK}/secrets/secrets.json: holds a list, not a mapping",
        "restore it from a backup",
    ),
    "secrets-number": (
        lambda s: (s / "secrets/secrets.json").write_text('{"app_db_password": 5}\n'),
        f"{STACK}/secrets/secrets.json: 'app_db_password' is not a string",
        "restore it from a backup",
    ),
    "tutor-config-truncated": (
        lambda s: (s / "tutor/config.yml").write_text("CMS_HOST: [x\n"),
        f"{STACK}/tutor/config.yml: is not valid YAML (",
        "restore it from a backup",
    ),
}


@pytest.mark.parametrize(
    ("case", "command"),
    [(case, "upgrade") for case in sorted(CORRUPT)]
    + [(case, "new-force") for case in ("stack-ports-string", "stack-truncated", "secrets-list")],
)
def test_corrupt_state_is_one_error_naming_the_file(
    make: Callable[[Path], Path], tmp_path: Path, case: str, command: str
) -> None:
    stack = make(tmp_path)
    breaks, start, fix = CORRUPT[case]
    breaks(stack)
    before = tree(tmp_path)
    args = ["upgrade", STACK] if command == "upgrade" else ["new", "--app", "xpro", "--out", "stacks", "--force"]
    result = run_cli(*args, cwd=tmp_path)
    message = assert_refused(result, start, tmp_path, before, fix)
    assert "odl-stack" in message or "correct it by hand" in message


def test_corrupt_state_stops_the_operating_commands_too(make: Callable[[Path], Path], tmp_path: Path) -> None:
    stack = make(tmp_path)
    plan = (stack / "plan.json").read_bytes()
    (stack / "plan.json").write_bytes(plan[:30])
    before = tree(tmp_path)
    assert_refused(
        run_cli("status", STACK, cwd=tmp_path), f"{STACK}/plan.json: is not valid JSON (", tmp_path, before, "regenerate it: "
    )
    (stack / "plan.json").write_bytes(plan)
    (stack / "secrets/secrets.json").write_text("[1,2]\n")
    before = tree(tmp_path)
    assert_refused(run_cli("doctor", STACK, cwd=tmp_path), f"{STACK}/secrets/secrets.json: holds a list", tmp_path, before)


def test_unknown_profile_is_refused_not_a_key_error(tmp_path: Path) -> None:
    result = run_make_words("new", "--app", "xpro", "--profile", "foo", cwd=tmp_path)
    assert_refused(result, "profile: 'foo' is not a profile", tmp_path, {}, "Fix: choose one of: tutor, devstack")
