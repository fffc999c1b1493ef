"""Start one Django process in a container: copy the side script + its JSON data, run, clean up.

The launcher below is a constant; data reaches the script only as a JSON file whose path is
passed in the environment, so no value is ever formatted into code.
"""

from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .engine import Engine, EngineError

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
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX):])
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
) -> dict[str, Any]:
    """Run the side's script once in `section['service']`; its parsed result."""
    service = section["service"]
    prepared = engine.exec(service, ["sh", "-c", PREPARE])
    lines = prepared.output.split()
    if prepared.exit_code != 0 or len(lines) < 3 or not lines[-1].startswith(TMP_PREFIX):
        raise SideError(f"could not make a private temp directory in '{service}': {mask(prepared.output.strip())}")
    uid, gid, directory = int(lines[-3]), int(lines[-2]), lines[-1]
    try:
        files = {"script.py": script_source(side), "data.json": json.dumps(data).encode()}
        engine.put_files(service, directory, files, uid, gid)
        launches.add(side)
        argv = launch_argv(list(section["manage"]))
        started = time.monotonic()
        result = engine.exec(service, argv, workdir=section["workdir"], environment=launch_env(directory))
        launched = time.monotonic() - started
    finally:
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
