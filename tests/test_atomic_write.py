"""Issue 24 item 2: a stack is written whole or not at all, by one writer at a time, and a signal
leaves neither a half-written stack nor a staging directory behind."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT, make_stack, run_cli

from generator import upgrade

POLL_BOUND = 60.0  # seconds; generation itself takes a few


def checksums(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def stages(out: Path, name: str) -> list[Path]:
    return sorted(out.glob(f".{name}.render-*"))


def poll(what: str, check: Callable[[], Any], bound: float = POLL_BOUND) -> Any:
    """Poll `check` until it is truthy, at most `bound` seconds; fail with what was last seen."""
    deadline = time.monotonic() + bound
    seen = check()
    while not seen:
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not seen within {bound}s (last: {seen!r})")
        time.sleep(0.01)
        seen = check()
    return seen


def popen_cli(*args: str, stderr: Any = subprocess.PIPE) -> subprocess.Popen[str]:
    # Started with SIGINT ignored, as a shell starts a background job: the CLI installs Python's
    # KeyboardInterrupt handler itself, so Ctrl-C still gives 130 (the SIGINT case below).
    return subprocess.Popen(
        [sys.executable, "-m", "generator", *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        cwd=ROOT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )


def failing_replace_at(n: int, stack: Path) -> tuple[Callable[..., None], list[str]]:
    """os.replace that fails its n-th move into `stack` (once), as a full disk or a read-only directory would."""
    real = os.replace
    seen: list[str] = []

    def replace(src: Any, dst: Any, **kwargs: Any) -> None:
        if Path(dst).resolve().is_relative_to(stack.resolve()) and not Path(src).resolve().is_relative_to(stack.resolve()):
            seen.append(str(dst))
            if len(seen) == n:
                raise OSError(errno.ENOSPC, "No space left on device", str(src))
        real(src, dst, **kwargs)

    return replace, seen


def test_a_failure_at_any_file_of_a_render_leaves_the_stack_byte_for_byte_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = make_stack(tmp_path, app="xpro")
    before = checksums(stack)
    # How many files an upgrade moves into the stack, counted on a copy.
    probe = make_stack(tmp_path / "probe", app="xpro")
    replace, moved = failing_replace_at(0, probe)
    monkeypatch.setattr(os, "replace", replace)
    upgrade.upgrade(probe, lambda *_: None, {"app": 8060})
    count = len(moved)
    assert count >= 5, moved  # README.md, app.env, app/nginx.conf, docker-compose.yml, stack.json, ...
    for n in range(1, count + 1):
        replace, _ = failing_replace_at(n, stack)
        monkeypatch.setattr(os, "replace", replace)
        with pytest.raises(OSError) as caught:
            upgrade.upgrade(stack, lambda *_: None, {"app": 8060})
        assert ".render-" not in str(caught.value), caught.value
        assert checksums(stack) == before, f"failure at move {n} of {count} left the stack changed"
        assert stages(tmp_path, "xpro") == []


def test_a_failure_while_making_a_new_stack_leaves_no_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    replace, _ = failing_replace_at(1, tmp_path / "xpro")
    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError):
        make_stack(tmp_path, app="xpro")
    assert not (tmp_path / "xpro").exists()
    assert stages(tmp_path, "xpro") == []


def test_upgrade_into_a_read_only_app_dir_changes_nothing_and_names_the_stack_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = make_stack(tmp_path, app="xpro")
    (stack / "app").chmod(0o555)
    before = checksums(stack)
    real = os.replace

    def replace(src: Any, dst: Any, **kwargs: Any) -> None:
        # The kernel's rule for a user who is not root (these tests may run as root, who bypasses it):
        # no entry can be renamed into a directory without write permission.
        if not stat.S_IMODE(Path(dst).parent.stat().st_mode) & 0o222:
            raise PermissionError(errno.EACCES, "Permission denied", str(src), None, str(dst))
        real(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    try:
        with pytest.raises(PermissionError) as caught:
            upgrade.upgrade(stack, lambda *_: None, {"app": 8060})
    finally:
        (stack / "app").chmod(0o755)
    assert caught.value.filename == str(stack.resolve() / "app" / "nginx.conf")
    assert checksums(stack) == before
    for relative in ("README.md", "app.env", "docker-compose.yml", "stack.json", "app/nginx.conf"):
        assert "8060" not in (stack / relative).read_text(), relative


def test_the_cli_error_names_the_stack_path_not_the_staging_one(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, app="xpro")
    (stack / "app" / "nginx.conf").unlink()
    (stack / "app").rmdir()
    (stack / "app").write_text("not a directory\n")  # even root cannot move a file under a file
    before = checksums(stack)
    result = run_cli("upgrade", str(stack), "--app-port", "8060")
    assert result.returncode == 1, result.stderr
    assert f"{stack.resolve()}/app" in result.stderr, result.stderr
    assert ".render-" not in result.stderr, result.stderr
    assert checksums(stack) == before


@pytest.mark.parametrize(("signum", "code", "line"), [(signal.SIGTERM, 143, "Terminated."), (signal.SIGINT, 130, "Interrupted.")])
def test_a_signal_while_rendering_removes_the_staging_dir_and_exits_as_documented(
    tmp_path: Path, signum: int, code: int, line: str
) -> None:
    proc = popen_cli("new", "--app", "xpro", "--name", "race", "--out", str(tmp_path))
    try:
        poll("a staging directory", lambda: stages(tmp_path, "race"))
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=POLL_BOUND)
    finally:
        proc.kill()
    assert proc.returncode == code, err
    assert err.strip().splitlines()[-1] == line, err
    assert stages(tmp_path, "race") == []
    assert not (tmp_path / "race").exists()  # it was still staging: nothing of the stack was written


def test_the_next_run_clears_a_stale_staging_dir(tmp_path: Path) -> None:
    stale = tmp_path / ".race.render-k1lled"
    (stale / "new").mkdir(parents=True)
    (stale / "new" / "app.env").write_text("half\n")
    result = run_cli("new", "--app", "xpro", "--name", "race", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert stages(tmp_path, "race") == []


def test_a_second_writer_waits_for_the_first_and_says_so(tmp_path: Path) -> None:
    from generator.stacklock import lock_path

    fd = os.open(lock_path(tmp_path / "race"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as another odl-stack writing stacks/race would
    err_file = tmp_path / "stderr.txt"
    with err_file.open("w") as err:
        proc = popen_cli("new", "--app", "xpro", "--name", "race", "--out", str(tmp_path), stderr=err)
    try:
        poll("the waiting line", lambda: "Waiting: another odl-stack" in err_file.read_text())
        assert f"is writing {tmp_path.resolve()}/race" in err_file.read_text()
        assert proc.poll() is None and not (tmp_path / "race").exists()
    finally:
        os.close(fd)
    out, _ = proc.communicate(timeout=POLL_BOUND)
    assert proc.returncode == 0, err_file.read_text()
    assert "Generating" in out


def test_three_news_of_one_stack_at_once_make_it_once(tmp_path: Path) -> None:
    procs = [popen_cli("new", "--app", "xpro", "--name", "race", "--out", str(tmp_path)) for _ in range(3)]
    results = [(p.returncode, out, err) for p in procs for out, err in [p.communicate(timeout=POLL_BOUND * 2)]]
    codes = sorted(code for code, _out, _err in results)
    assert codes == [0, 2, 2], results
    assert sum("Generating" in out for _c, out, _e in results) == 1, results
    assert all("already holds a stack" in err for code, _o, err in results if code == 2), results


def test_reset_data_waits_for_a_writer_of_the_stack(tmp_path: Path) -> None:
    from generator.stacklock import lock_path

    stack = make_stack(tmp_path, app="xpro")
    (stack / "tutor" / "data" / "mysql").mkdir(parents=True)
    (stack / "tutor" / "data" / "mysql" / "ibdata1").write_text("data\n")
    before = checksums(stack)
    fd = os.open(lock_path(stack), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as an `upgrade` of this stack would
    err_file = tmp_path / "stderr.txt"
    try:
        with err_file.open("w") as err:
            proc = popen_cli("reset", str(stack), "--data", "--yes", stderr=err)
        try:
            poll("the waiting line", lambda: "Waiting: another odl-stack" in err_file.read_text())
            assert proc.poll() is None and checksums(stack) == before
        finally:
            proc.terminate()
            proc.communicate(timeout=POLL_BOUND)
    finally:
        os.close(fd)
    assert proc.returncode == 143 and checksums(stack) == before
