"""Bad input: one clear error naming the field and the fix, exit 2, nothing written; anything unexpected: one line and a traceback file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import make_stack, run_cli, tree


def assert_refused(result, field: str, tmp_path: Path, before: dict[str, bytes]) -> None:
    assert result.returncode == 2, result.stderr
    message = result.stderr.strip()
    assert message.count("\n") == 0, f"more than one line: {message}"
    assert message.startswith(f"Error: {field}") and "Fix:" in message, message
    assert "Traceback" not in result.stderr
    assert tree(tmp_path) == before, "a refused command wrote or changed files"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--app", "edx"], "app"),
        (["--app", "xpro", "--subnet", "8.8.8.0/24"], "subnet"),
        (["--app", "xpro", "--subnet", "172.28.53.0/28"], "subnet"),
        (["--app", "xpro", "--ip", "lms=10.9.9.9"], "address for 'lms'"),
        (["--app", "xpro", "--lms-port", "8053"], "port 8053"),
        (["--app", "xpro", "--app-port", "8000"], "port 8000"),
        (["--app", "xpro", "--ip", "lms"], "--ip"),
        (["--app", "xpro", "--images", "missing.yml"], "--images"),
        (["--app", "xpro", "--app-src", "no-such-checkout"], "--app-src"),
    ],
    ids=[
        "unknown-app",
        "public-subnet",
        "small-subnet",
        "ip-outside",
        "lms-port-taken",
        "app-port-taken",
        "ip-no-value",
        "images-missing",
        "app-src-missing",
    ],
)
def test_bad_input_is_refused(tmp_path: Path, args: list[str], field: str) -> None:
    result = run_cli("new", *args, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_refused(result, field, tmp_path, {})


def test_unknown_and_malformed_images_files(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("postgres: [unclosed\n")
    (tmp_path / "unknown.yml").write_text("postgress: mirror/postgres:15\n")
    (tmp_path / "list.yml").write_text("- postgres\n")
    before = tree(tmp_path)
    for name, field in (("bad.yml", "--images"), ("unknown.yml", "images file entry 'postgress'"), ("list.yml", "--images")):
        result = run_cli("new", "--app", "xpro", "--images", str(tmp_path / name), "--out", str(tmp_path / "out"))
        assert_refused(result, field, tmp_path, before)


def test_unreadable_images_file(tmp_path: Path) -> None:
    images = tmp_path / "images.yml"
    images.mkdir()  # a directory: exists, but cannot be read as a file
    before = tree(tmp_path)
    result = run_cli("new", "--app", "xpro", "--images", str(images), "--out", str(tmp_path / "out"))
    assert_refused(result, "--images", tmp_path, before)


def test_existing_stack_is_not_overwritten_without_force(tmp_path: Path) -> None:
    make_stack(tmp_path, app="xpro")
    (tmp_path / "xpro" / "docker-compose.override.yml").write_text("services: {}\n")
    before = tree(tmp_path)
    result = run_cli("new", "--app", "xpro", "--out", str(tmp_path))
    assert_refused(result, "--name", tmp_path, before)


def test_a_foreign_directory_is_never_taken_over(tmp_path: Path) -> None:
    (tmp_path / "xpro").mkdir()
    (tmp_path / "xpro" / "notes.txt").write_text("mine\n")
    before = tree(tmp_path)
    result = run_cli("new", "--app", "xpro", "--out", str(tmp_path), "--force")
    assert_refused(result, "--name", tmp_path, before)


def test_subnet_overlapping_a_neighbour_stack(tmp_path: Path) -> None:
    make_stack(tmp_path, app="xpro")
    before = tree(tmp_path)
    result = run_cli("new", "--app", "mitxonline", "--subnet", "172.28.53.0/25", "--out", str(tmp_path))
    assert_refused(result, "--subnet", tmp_path, before)
    assert "'xpro'" in result.stderr


def test_help_explains_every_option() -> None:
    result = run_cli("new", "--help")
    assert result.returncode == 0
    for option in ("--app", "--apisix", "--name", "--subnet", "--out", "--app-src", "--images", "--force"):
        assert option in result.stdout


def test_exit_codes_reach_the_shell(tmp_path: Path) -> None:
    # click's non-standalone mode returns codes instead of exiting: main() must pass them on.
    assert run_cli("--version").returncode == 0
    assert run_cli("no-such-command").returncode == 2
    assert run_cli("new").returncode == 2  # --app missing


def test_an_unexpected_failure_is_one_line_naming_the_file_with_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tempfile

    from generator import cli, lifecycle

    stack = make_stack(tmp_path / "stacks", app="xpro")

    def broken(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("no such thing")

    monkeypatch.setattr(lifecycle, "status", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["odl-stack", "status", str(stack)])
    monkeypatch.delenv("ODL_STACK_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == cli.EXIT_FAILED == 1
    err = capsys.readouterr().err
    (written,) = tmp_path.glob("odl-stack-error-*.txt")
    assert (
        err
        == f"Error: unexpected RuntimeError: no such thing. The full traceback is in {written}; please report it with that file\n"
    )
    text = written.read_text()
    assert text.startswith(f"odl-stack {cli.__version__}: odl-stack status {stack}\nTraceback (most recent call last):\n")
    assert "in broken" in text and text.endswith("RuntimeError: no such thing\n")
    assert written.stat().st_mode & 0o777 == 0o600


def test_help_lists_the_exit_codes() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    codes = result.stdout.split("Exit codes:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in codes if line.split()[0].isdigit()] == ["0", "1", "2", "130", "143"]
    assert "SIGTERM" in result.stdout
    assert "bad input" in result.stdout and "traceback" in result.stdout


@pytest.mark.parametrize("port_option", ["--lms-port", "--app-port"])
def test_port_zero_is_refused_not_ignored(tmp_path: Path, port_option: str) -> None:
    # 0 once counted as "not given", so the stack was made on the default port without a word.
    result = run_cli("new", "--app", "xpro", port_option, "0", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_refused(result, "lms port" if port_option == "--lms-port" else "app-nginx port", tmp_path, {})
    assert f"set {port_option} between 1024 and 65535" in result.stderr


def test_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("mine\n")
    before = tree(tmp_path)
    result = run_cli("new", "--app", "xpro", "--out", str(tmp_path / "afile"), cwd=tmp_path)
    assert_refused(result, "--out", tmp_path, before)
    assert "is a file" in result.stderr


def test_upgrade_of_a_missing_stack_lists_the_stacks(tmp_path: Path) -> None:
    make_stack(tmp_path / "stacks", app="xpro")
    before = tree(tmp_path)
    result = run_cli("upgrade", "stacks/nope", cwd=tmp_path)
    assert_refused(result, "STACK", tmp_path, before)
    assert "no such stack" in result.stderr and "xpro" in result.stderr, result.stderr


@pytest.mark.parametrize("name", [".", ".."])
def test_dot_names_get_the_name_error(tmp_path: Path, name: str) -> None:
    # OUT/. and OUT/.. exist, so the name must be checked before the directory is looked at.
    (tmp_path / "out" / "other").mkdir(parents=True)
    before = tree(tmp_path)
    result = run_cli("new", "--app", "xpro", "--name", name, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_refused(result, "name", tmp_path, before)
    assert "is not a valid stack name" in result.stderr
