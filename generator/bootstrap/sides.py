"""Start one Django process in a container: copy the side script + its JSON data, run, clean up.

The launcher below is a constant; data reaches the script only as a JSON file whose path is
passed in the environment, so no value is ever formatted into code.
"""

from __future__ import annotations

import json
import shlex
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engine import Engine, EngineError
from .plan import MIGRATION_TIMEOUT

# side_common.py, which runs in the containers, holds a copy; a test keeps the two equal.
RESULT_PREFIX = "ODL_BOOTSTRAP_RESULT="
LAUNCHER = "import os, runpy; runpy.run_path(os.environ['ODL_BOOTSTRAP_SCRIPT'], run_name='__main__')"
TMP_PREFIX = "/tmp/odl-bootstrap."
# Removes what an interrupted earlier run may have left, then makes a private directory and
# reports the uid/gid the files must belong to (exec runs as the image's user).
PREPARE = f'rm -rf {TMP_PREFIX}*; d=$(mktemp -d {TMP_PREFIX}XXXXXX) && id -u && id -g && echo "$d"'
SCRIPTS = {"lms": "lms_side.py", "app": "app_side.py"}
# Lines of Django output shown (masked) when a side fails.
TAIL_LINES = 40
# A gated side gives up waiting after the longest the other side may take (its wait for
# migrations, then its steps); it polls for the bootstrap's word this often.
GATE_TIMEOUT = MIGRATION_TIMEOUT + 300
GATE_POLL = 0.05


class SideError(Exception):
    """A Django-side script failed (exit code 4)."""


@dataclass
class Launches:
    """Counts Django processes started, per side (the design is one per side per run)."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, side: str) -> None:
        self.counts[side] = self.counts.get(side, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Gate:
    """The bootstrap's word to a side started alongside the one it depends on: `go` once that
    side has committed, `stop` if it failed. Said as an empty file of that name in the waiting
    script's private directory (side_common.wait_for_gate polls for it); said at most once,
    whether the waiting process is already there (bind) or not yet."""

    def __init__(self, after: str) -> None:
        self.after = after
        self._lock = threading.Lock()
        self._word: str | None = None
        self._write: Callable[[str], None] | None = None

    def data(self) -> dict[str, Any]:
        """What the waiting script reads (its word comes as a file next to its data file)."""
        return {"after": self.after, "timeout": GATE_TIMEOUT, "poll": GATE_POLL}

    def bind(self, write: Callable[[str], None]) -> None:
        with self._lock:
            self._write = write
            if self._word is not None:
                write(self._word)

    def unbind(self) -> None:
        with self._lock:
            self._write = None

    def say(self, word: str) -> None:
        with self._lock:
            if self._word is not None:
                return
            self._word = word
            if self._write is not None:
                self._write(word)


def launch_argv(manage: list[str]) -> list[str]:
    """`./manage.py [lms] shell -c <fixed launcher>`."""
    return [*manage, "shell", "-c", LAUNCHER]


def launch_env(directory: str) -> dict[str, str]:
    return {"ODL_BOOTSTRAP_SCRIPT": f"{directory}/script.py", "ODL_BOOTSTRAP_DATA": f"{directory}/data.json"}


def script_source(side: str) -> bytes:
    """The shared head, then the side's own steps: one file, so the container needs nothing else."""
    here = Path(__file__)
    return here.with_name("side_common.py").read_bytes() + b"\n\n" + here.with_name(SCRIPTS[side]).read_bytes()


def parse_result(output: str) -> dict[str, Any] | None:
    for line in reversed(output.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    return None


def _tail(output: str, mask: Callable[[str], str]) -> str:
    lines = [line for line in output.splitlines() if not line.startswith(RESULT_PREFIX)]
    return "\n".join("    " + mask(line) for line in lines[-TAIL_LINES:])


def run_side(
    engine: Engine,
    side: str,
    section: dict[str, Any],
    data: dict[str, Any],
    launches: Launches,
    mask: Callable[[str], str],
    gate: Gate | None = None,
) -> dict[str, Any]:
    """Run the side's script once in `section['service']`; its parsed result. With a gate, the
    script's after-steps wait for the gate's word (see Gate)."""
    service = section["service"]
    prepared = engine.exec(service, ["sh", "-c", PREPARE])
    lines = prepared.output.split()
    if prepared.exit_code != 0 or len(lines) < 3 or not lines[-1].startswith(TMP_PREFIX):
        raise SideError(f"could not make a private temp directory in '{service}': {mask(prepared.output.strip())}")
    uid, gid, directory = int(lines[-3]), int(lines[-2]), lines[-1]
    try:
        if gate is not None:
            data = dict(data, gate=gate.data())
        files = {"script.py": script_source(side), "data.json": json.dumps(data).encode()}
        engine.put_files(service, directory, files, uid, gid)
        if gate is not None:
            gate.bind(lambda word: engine.put_files(service, directory, {word: b""}, uid, gid))
        launches.add(side)
        argv = launch_argv(list(section["manage"]))
        started = time.monotonic()
        result = engine.exec(service, argv, workdir=section["workdir"], environment=launch_env(directory))
        launched = time.monotonic() - started
    finally:
        if gate is not None:
            gate.unbind()
        try:
            engine.exec(service, ["rm", "-rf", directory])
        except EngineError:
            pass  # the next run's PREPARE removes it
    parsed = parse_result(result.output)
    if result.exit_code != 0 or parsed is None:
        command = " ".join(shlex.quote(a) for a in argv[:-1]) + " <launcher>"
        raise SideError(
            f"{side} side failed in service '{service}' (exit {result.exit_code}) running {command}:\n"
            + _tail(result.output, mask)
        )
    # The Django process's own phases, and the whole exec (its start-up is the difference).
    parsed.setdefault("seconds", {})["process"] = round(launched, 2)
    return parsed
