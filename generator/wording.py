"""Commands and options in fix lines, in the words the user typed.

Run through the Makefile (which sets ODL_STACK_VIA=make and passes STACK as typed), a fix line says
`make up STACK=xpro` and `FORCE=1`; run directly, it says `.venv/bin/odl-stack up stacks/xpro` and
`--force`; run by cookiecutter's hooks (ODL_STACK_VIA=cookiecutter), it names the answers
(`subnet=...`) and `--overwrite-if-exists`. Every fix line builds its command here, so each stays
runnable from the repo root.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Where a command's lines go: click.echo, or a list's append in tests.
Echo = Callable[[str], Any]

VIA_ENV = "ODL_STACK_VIA"
TYPED_STACK_ENV = "ODL_STACK_TYPED"
# CLI option -> the Makefile variable that passes it ("=1" for flags).
MAKE_VARS = {
    "--app": "APP",
    "--apisix": "APISIX=1",
    "--profile": "PROFILE",
    "--name": "NAME",
    "--subnet": "SUBNET",
    "--force": "FORCE=1",
    "--new-secrets": "NEW_SECRETS=1",
    "--change-kind": "CHANGE_KIND=1",
    "--lms-port": "LMS_PORT",
    "--app-port": "APP_PORT",
    "--app-src": "APP_SRC",
    "--openedx-plugin-src": "OPENEDX_PLUGIN_SRC",
    "--images": "IMAGES",
    "--out": "OUT",
    "--ip": "IP",
    "--data": "DATA=1",
    "--yes": "YES=1",
    "--follow": "FOLLOW=1",
    "--skip-doctor": "SKIP_DOCTOR=1",
    "--to": "TO",
}
# CLI command -> make target; commands without one are given as CLI commands.
MAKE_TARGETS = {
    "new": "stack",
    "up": "up",
    "down": "down",
    "status": "status",
    "logs": "logs",
    "verify": "verify",
    "doctor": "doctor",
    "reset": "reset",
    "upgrade": "upgrade",
    "snapshot": "snapshot",
    "restore": "restore",
    "snapshots": "snapshots",
}
STACKS_DIR = "stacks"
COOKIECUTTER_TEMPLATE = "cookiecutter-template"


# Printed by the hooks under their one-line error: cookiecutter then logs a traceback of the hook's exit
# status for every failed hook (cookiecutter 2.7.1 hooks.py run_hook_from_repo_dir, logger.exception), in
# its own process, which a hook cannot silence.
COOKIECUTTER_TRACEBACK_NOTE = (
    "(the line above is the error; the traceback cookiecutter prints next is only its report that this"
    " hook exited non-zero, which a template cannot turn off)"
)

# CLI option -> cookiecutter's way to give it (answers go on its command line as name=value).
COOKIECUTTER_WORDS = {"--force": "--overwrite-if-exists"}


def via_make() -> bool:
    return os.environ.get(VIA_ENV) == "make"


def via_cookiecutter() -> bool:
    return os.environ.get(VIA_ENV) == "cookiecutter"


def program() -> str:
    """How to call odl-stack from here: `odl-stack` when that is on PATH, else the path typed."""
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if via_cookiecutter():  # a hook script, run by the python that runs cookiecutter
        argv0 = str(Path(sys.executable).parent / "odl-stack")
    if Path(argv0).name == "odl-stack" and Path(argv0).exists():
        on_path = shutil.which("odl-stack")
        if on_path and Path(on_path).resolve() == Path(argv0).resolve():
            return "odl-stack"
        # Relative to where the user is (a cookiecutter hook runs elsewhere: the shell's PWD says).
        here = os.environ.get("PWD") if via_cookiecutter() else None
        relative = os.path.relpath(Path(argv0).resolve(), here or os.getcwd())
        if relative.startswith(".."):
            return str(Path(argv0).resolve())
        return relative if "/" in relative else f"./{relative}"
    return "odl-stack"


def option(name: str, value: object = None) -> str:
    """`--subnet 10.0.0.0/24` or `SUBNET=10.0.0.0/24`."""
    if via_make() and name in MAKE_VARS:
        var = MAKE_VARS[name]
        return var if value is None else f"{var}={value}"
    if via_cookiecutter():
        answer = COOKIECUTTER_WORDS.get(name, name.lstrip("-").replace("-", "_"))
        return answer if value is None else f"{answer}={value}"
    return name if value is None else f"{name} {value}"


def field(name: str) -> str:
    """A field named after a CLI option, as the user set it (`NAME` under make, `name` as a
    cookiecutter answer)."""
    if via_make() and name in MAKE_VARS:
        return MAKE_VARS[name].split("=")[0]
    if via_cookiecutter():
        return name.lstrip("-").replace("-", "_")
    return name


def stack_value(path: str | Path) -> str:
    """STACK= for this stack directory: what was typed when it is the one typed, else its name
    under stacks/, else the path (the Makefile accepts both)."""
    text = str(path)
    typed = os.environ.get(TYPED_STACK_ENV, "")
    if typed and Path(text) in (Path(typed), Path(STACKS_DIR) / typed):
        return typed
    parent, name = Path(text).parent, Path(text).name
    return name if str(parent) == STACKS_DIR else text


def in_stacks_dir(stack: str | Path) -> bool:
    """The stack is in ./stacks/, where the Makefile's STACK=<name> finds it."""
    return Path(stack).resolve().parent == (Path.cwd() / STACKS_DIR).resolve()


def command(cmd: str, stack: str | Path | None = None, *options: tuple[str, object] | str) -> str:
    """A runnable command: `make up STACK=xpro` under make, `odl-stack up stacks/xpro` otherwise."""
    pairs = [(o, None) if isinstance(o, str) else o for o in options]
    if via_cookiecutter() and cmd == "new":
        return " ".join(
            ["cookiecutter", COOKIECUTTER_TEMPLATE, "-o", STACKS_DIR] + [option(name, value) for name, value in pairs]
        )
    # A stack elsewhere (--out, OUT=) gets the CLI with its path: that works from where the user is.
    if (
        via_make()
        and cmd in MAKE_TARGETS
        and all(name in MAKE_VARS for name, _ in pairs)
        and (stack is None or in_stacks_dir(stack))
    ):
        words = ["make", MAKE_TARGETS[cmd]] + ([f"STACK={shlex.quote(stack_value(stack))}"] if stack is not None else [])
        return " ".join(words + [option(name, value) for name, value in pairs])
    words = [program(), cmd] + ([shlex.quote(str(stack))] if stack is not None else [])
    return " ".join(words + [name if value is None else f"{name} {value}" for name, value in pairs])
