"""hosts: the line, --write appends it once (backup first), never touches other lines."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from helpers import make_stack, run_cli

from generator import hosts
from generator.errors import StackError

ORIGINAL = "127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n# keep me\n10.0.0.5 intranet.example  # a comment\n"
NAMES = ["xpro.odl.local", "openedx.odl.local"]


def test_line_is_sorted_and_unique():
    assert hosts.hosts_line(NAMES + ["xpro.odl.local"]) == "127.0.0.1 openedx.odl.local xpro.odl.local"


def test_write_appends_once_with_a_backup(tmp_path):
    path = tmp_path / "hosts"
    path.write_text(ORIGINAL)
    first = hosts.write(path, NAMES, label="xpro")
    assert first.added == "127.0.0.1 openedx.odl.local xpro.odl.local"
    assert first.backup is not None and first.backup.read_text() == ORIGINAL
    text = path.read_text()
    assert text.startswith(ORIGINAL)  # every earlier line untouched, in place
    assert text[len(ORIGINAL) :] == "127.0.0.1 openedx.odl.local xpro.odl.local  # added by odl-stack (xpro)\n"
    assert first.state.complete

    second = hosts.write(path, NAMES)
    assert second.added is None and second.backup is None
    assert path.read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["hosts", first.backup.name])


def test_write_adds_only_the_missing_names_and_keeps_lines_without_newline(tmp_path):
    path = tmp_path / "hosts"
    path.write_text("127.0.0.1 localhost openedx.odl.local")  # no trailing newline
    result = hosts.write(path, NAMES)
    assert result.added == "127.0.0.1 xpro.odl.local"
    assert path.read_text().splitlines()[0] == "127.0.0.1 localhost openedx.odl.local"
    assert hosts.inspect(path.read_text(), NAMES).complete


def test_write_never_removes_a_conflicting_line(tmp_path):
    path = tmp_path / "hosts"
    path.write_text("172.22.0.1 xpro.odl.local\n")
    result = hosts.write(path, NAMES)
    assert result.added == "127.0.0.1 openedx.odl.local"
    assert path.read_text().startswith("172.22.0.1 xpro.odl.local\n")
    assert result.state.elsewhere == {"xpro.odl.local": ("172.22.0.1", 1)}
    assert not result.state.complete


@contextlib.contextmanager
def _unprivileged():
    """Write as a user without rights on the file: drop the effective uid when running as root."""
    if os.geteuid() == 0:
        os.seteuid(65534)
        try:
            yield
        finally:
            os.seteuid(0)
    else:
        yield


@pytest.fixture()
def open_dir():
    """A directory every user may enter (pytest's own tmp dirs are 0700, closed to the dropped uid)."""
    path = Path(tempfile.mkdtemp(prefix="odl-hosts-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def test_write_without_permission_is_a_clear_error_and_writes_nothing(open_dir):
    tmp_path = open_dir
    path = tmp_path / "hosts"
    path.write_text(ORIGINAL)
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    with _unprivileged(), pytest.raises(StackError) as caught:
        hosts.write(path, NAMES)
    assert "no permission to write it" in str(caught.value) and "sudo" in caught.value.fix
    assert "127.0.0.1 openedx.odl.local xpro.odl.local" in caught.value.fix
    assert path.read_text() == ORIGINAL
    assert [p.name for p in tmp_path.iterdir()] == ["hosts"]  # no backup left behind


def test_cli_hosts_prints_and_writes(tmp_path):
    stack = make_stack(tmp_path / "stacks", app="mitxonline")
    printed = run_cli("hosts", str(stack))
    assert (
        printed.returncode == 0
        and printed.stdout.strip()
        == "127.0.0.1 apps.openedx.odl.local mail.mitxonline.odl.local meilisearch.openedx.odl.local mitxonline.odl.local openedx.odl.local studio.openedx.odl.local"
    )
    path = tmp_path / "hosts"
    path.write_text(ORIGINAL)
    for _ in range(2):
        written = run_cli("hosts", str(stack), "--write", "--hosts-file", str(path))
        assert written.returncode == 0, written.stderr
    assert path.read_text().count("mail.mitxonline.odl.local") == 1  # written once; it also holds "mitxonline.odl.local"
    assert "already maps" in written.stdout


def test_cli_hosts_finds_every_stack_under_stacks(tmp_path):
    make_stack(tmp_path / "stacks", app="xpro")
    make_stack(tmp_path / "stacks", app="mitxonline", lms_port=8001)
    printed = run_cli("hosts", cwd=tmp_path)
    assert (
        printed.stdout.strip()
        == "127.0.0.1 apps.openedx.odl.local mail.mitxonline.odl.local mail.xpro.odl.local meilisearch.openedx.odl.local mitxonline.odl.local openedx.odl.local studio.openedx.odl.local xpro.odl.local"
    )


def test_cli_hosts_conflict_exits_non_zero(tmp_path):
    stack = make_stack(tmp_path / "stacks", app="xpro")
    path = tmp_path / "hosts"
    path.write_text("172.22.0.1 xpro.odl.local\n")
    result = run_cli("hosts", str(stack), "--write", "--hosts-file", str(path))
    assert result.returncode == 1 and "line 1 maps xpro.odl.local to 172.22.0.1" in result.stderr
