"""One writer per stack: every command that writes a stack holds an exclusive lock on it.

The lock is flock(2) on a file named after the stack's absolute path in this user's directory of the
system's temporary directory, not in the stack or next to it: a refused command writes nothing there,
and the stack may not exist yet (`odl-stack new`). The kernel drops the lock when the process ends,
however it ends, so a lock is never left stale. The file itself stays: removing a lock file while
another process waits on it would let two writers in.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

# Lock files this process holds: a nested hold (new -> render) must not wait on itself.
_held: set[Path] = set()


def lock_path(stack_dir: Path) -> Path:
    stack_dir = stack_dir.resolve()
    digest = hashlib.sha256(str(stack_dir).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"odl-stack-{os.getuid()}" / f"{stack_dir.name}-{digest}.lock"


@contextlib.contextmanager
def hold(stack_dir: Path, waiting: Callable[[str], None]) -> Iterator[None]:
    """Hold the stack's lock for the block; if another process holds it, say so through `waiting`
    and wait for it (the other run's result is then what this one sees)."""
    path = lock_path(stack_dir)
    if path in _held:
        yield
        return
    path.parent.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            waiting(f"Waiting: another odl-stack (pid {holder}) is writing {stack_dir}; this run goes on when it is done.")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _held.add(path)
        try:
            yield
        finally:
            _held.discard(path)
    finally:
        os.close(fd)  # releases the lock
