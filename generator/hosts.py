"""/etc/hosts: check and add the one line a stack needs (every hostname -> 127.0.0.1).

Only ever appends. Lines it did not write are never changed or removed; a
backup of the file is made before the first byte is written.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from generator.errors import StackError

DEFAULT_HOSTS_FILE = Path("/etc/hosts")
LOOPBACK = "127.0.0.1"
MARKER = "# added by odl-stack"


def hosts_line(hostnames: Iterable[str]) -> str:
    return f"{LOOPBACK} " + " ".join(sorted(set(hostnames)))


def parse(text: str) -> dict[str, tuple[str, int]]:
    """hostname -> (address, line number) of its first entry; the resolver uses the first."""
    found: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        fields = raw.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        address, names = fields[0], fields[1:]
        for name in names:
            found.setdefault(name.lower(), (address, number))
    return found


@dataclass(frozen=True)
class HostsState:
    ok: list[str]  # hostname -> 127.0.0.1 already
    missing: list[str]  # no entry at all
    elsewhere: dict[str, tuple[str, int]]  # hostname -> (other address, line number)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.elsewhere


def inspect(text: str, hostnames: Iterable[str]) -> HostsState:
    entries = parse(text)
    ok, missing, elsewhere = [], [], {}
    for name in sorted(set(hostnames)):
        entry = entries.get(name.lower())
        if entry is None:
            missing.append(name)
        elif entry[0] == LOOPBACK:
            ok.append(name)
        else:
            elsewhere[name] = entry
    return HostsState(ok=ok, missing=missing, elsewhere=elsewhere)


def read(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""
    except PermissionError as exc:
        raise StackError("--hosts-file", f"cannot read {path} ({exc.strerror})", f"check the permissions of {path}") from exc


@dataclass(frozen=True)
class WriteResult:
    added: str | None  # the line appended, None when nothing was needed
    backup: Path | None
    state: HostsState  # after the write


def write(path: Path, hostnames: Iterable[str], label: str = "") -> WriteResult:
    """Append one line mapping every missing hostname to 127.0.0.1. Idempotent.

    Hostnames mapped to another address by an earlier line are reported, not
    changed: the resolver takes the first entry, and we never edit lines we
    did not write.
    """
    hostnames = sorted(set(hostnames))
    text = read(path)
    state = inspect(text, hostnames)
    if not state.missing:
        return WriteResult(added=None, backup=None, state=state)
    line = hosts_line(state.missing)
    stamp = time.strftime("%Y%m%d%H%M%S")
    candidate = path.with_name(f"{path.name}.odl-stack-{stamp}.bak")
    counter = 1
    while candidate.exists():  # never overwrite an earlier backup
        counter += 1
        candidate = path.with_name(f"{path.name}.odl-stack-{stamp}-{counter}.bak")
    backup: Path | None = candidate
    try:
        # Open first: no backup is left behind when the file itself may not be written.
        with path.open("a") as handle:  # append in place: /etc/hosts may be a bind mount (containers, WSL)
            if path.stat().st_size:
                shutil.copy2(path, candidate)
            else:
                backup = None
            if text and not text.endswith("\n"):
                handle.write("\n")
            handle.write(f"{line}  {MARKER}{f' ({label})' if label else ''}\n")
    except PermissionError as exc:
        raise StackError(
            str(path),
            f"no permission to write it ({exc.strerror})",
            f"run it with the rights it needs: sudo {_self_command()} hosts --write --hosts-file {path} (or add the line by hand: {line})",
        ) from exc
    except OSError as exc:
        raise StackError(str(path), f"cannot write it or its backup ({exc.strerror})", f"add the line by hand: {line}") from exc
    return WriteResult(added=line, backup=backup, state=inspect(read(path), hostnames))


def _self_command() -> str:
    from generator import wording

    return wording.program()
