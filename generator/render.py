"""Render a StackPlan into a stack directory: the only stage that writes files.

Everything is rendered into a staging directory next to the stack first and
moved into place only when all of it succeeded; a failure while moving puts
back what was already moved, so a failure never leaves a half-written stack.
Files the generator does not own (Tutor's data/, the user's
docker-compose.override.yml) are never touched.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from generator import __version__, compose, course, openedx, statefile, templates
from generator.context import template_context
from generator.plan import StackPlan
from generator.stackfiles import CREDENTIALS_FILE, PLAN_FILE, SECRETS_FILE, STACK_FILE, TUTOR_DIR

SECRET_MODE = 0o600
# Generated paths that hold secrets; everything else is 0644.
SECRET_PATHS = ("docker-compose.yml", "app.env", "secrets/", "tutor/config.yml")
BOOTSTRAP_PACKAGE = "odl_bootstrap"


def kept_tutor_config(stack_dir: Path) -> dict[str, Any]:
    return statefile.read_mapping(stack_dir / TUTOR_DIR / "config.yml") or {}


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _credentials(plan: StackPlan) -> str:
    b, s = plan.bootstrap, plan.secrets
    lines = [
        f"# Credentials of stack '{plan.project}'. Keep private (mode 0600).",
        f"Open edX LMS      {plan.urls['lms']}/admin",
        f"  superuser       {b['openedx']['superuser']['username']} / {s['openedx_superuser_password']}",
        f"{plan.app.title:<17} {plan.urls['app']}/admin",
        f"  superuser       {b['app']['superuser']['username']} / {s['app_superuser_password']}",
        f"  test learner    {b['app']['learner']['username']} ({b['app']['learner']['email']}) / {s['learner_password']}",
        f"Service worker    {b['openedx']['service_worker']['username']} (Open edX staff user the app calls the LMS API as;",
        "                  its token is OPENEDX_SERVICE_WORKER_API_TOKEN in app.env)",
        # Run in the stack's directory, wherever it is (a stack made with --out lives outside stacks/).
        "Check the wiring  docker compose run --rm --no-deps bootstrap verify   (in the stack's directory: the bootstrap's ✓/✗ checklist)",
    ]
    if plan.spec.apisix:
        lines += [
            f"Keycloak          {plan.urls['keycloak']}/admin (realm master)",
            f"  admin           {b['keycloak']['admin_username']} / {s['keycloak_admin_password']}",
            f"  realm {b['keycloak']['realm']} users: student@odl.local / {s['keycloak_student_password']}",
            f"                  prof@odl.local / {s['keycloak_prof_password']}",
            f"                  admin@odl.local / {s['keycloak_admin_user_password']}",
        ]
    return "\n".join(lines) + "\n"


def _bootstrap_files(stage: Path, context: dict[str, Any]) -> None:
    source = resources.files("generator").joinpath("bootstrap")
    target = stage / "bootstrap" / BOOTSTRAP_PACKAGE
    target.mkdir(parents=True)
    for entry in sorted(source.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".py"):
            (target / entry.name).write_text(entry.read_text())
    dockerfile = source.joinpath("Dockerfile.j2").read_text()
    _write(stage, "bootstrap/Dockerfile", templates.render_string(dockerfile, context))


def stage_stack(plan: StackPlan, stage: Path, kept_config: dict[str, Any]) -> None:
    """Write every generated file of the stack under `stage`."""
    context = template_context(plan)
    # Tutor announces the absolute path it rendered to; the user only needs ours.
    with contextlib.redirect_stdout(io.StringIO()):
        rendered = openedx.render(plan, kept_config, stage / TUTOR_DIR, context)
    (stage / TUTOR_DIR / "config.yml").write_text(yaml.safe_dump(rendered.base_config, sort_keys=True))

    _write(stage, "docker-compose.yml", compose.dump(compose.assemble(plan, rendered, context)))
    _write(stage, "app.env", templates.render("app/app.env.j2", context))
    _write(stage, "app/nginx.conf", templates.render("app/nginx.conf.j2", context))
    if context["live"]:
        # The watcher that restarts app code that cannot reload itself (mounted read-only; no Jinja in it).
        _write(stage, compose.RELOADER_FILE, templates.render(compose.RELOADER_FILE, context))
    _write(stage, "images/openedx/Dockerfile", templates.render("images/openedx.Dockerfile.j2", context))
    if plan.spec.openedx_plugin_src:
        _write(stage, "images/openedx/editable-mounts.sh", templates.render("images/editable-mounts.sh.j2", context))
    _write(stage, "README.md", templates.render("stack-README.md.j2", context))
    _write(stage, PLAN_FILE, json.dumps(plan.bootstrap, indent=2, sort_keys=True) + "\n")
    _write(stage, STACK_FILE, json.dumps({"generator_version": __version__, "answers": plan.spec.answers()}, indent=2) + "\n")
    _write(stage, str(SECRETS_FILE), json.dumps(plan.secrets, indent=2, sort_keys=True) + "\n")
    _write(stage, "secrets/openedx.env", f"ODL_PROVIDER_CLIENT_SECRET={plan.secrets['app_client_secret']}\n")
    _write(stage, CREDENTIALS_FILE, _credentials(plan))
    for relative, text in course.files(context).items():
        _write(stage, f"{course.STACK_DIR}/{relative}", text)
    _bootstrap_files(stage, context)
    if plan.spec.apisix:
        from generator import apisix  # only stacks with the gateway need it

        apisix.stage(plan, stage, context)


def _is_secret(relative: str) -> bool:
    return any(relative == p or (p.endswith("/") and relative.startswith(p)) for p in SECRET_PATHS)


def _generated_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _optional_files() -> tuple[str, ...]:
    """Files only some kinds of stack have (the gateway's): a regeneration into another kind removes them."""
    from generator import apisix

    return apisix.FILES


def changed_files(stage: Path, stack_dir: Path) -> list[tuple[str, str]]:
    """(status, path) for each generated file that is new, differs, or is no longer generated."""
    changes = []
    for relative in _generated_files(stage):
        old = stack_dir / relative
        if not old.exists():
            changes.append(("added", relative))
        elif old.read_bytes() != (stage / relative).read_bytes():
            changes.append(("changed", relative))
    for relative in _optional_files():
        if (stack_dir / relative).is_file() and not (stage / relative).exists():
            changes.append(("removed", relative))
    return changes


def _chmod(path: Path, mode: int) -> None:
    if (path.stat().st_mode & 0o7777) != mode:
        os.chmod(path, mode)


def _stage_prefix(stack_dir: Path) -> str:
    return f".{stack_dir.name}.render-"


def clear_stale_stages(stack_dir: Path) -> None:
    """Remove staging directories a killed run left next to the stack (the caller holds its lock,
    so none of them belongs to a live run)."""
    for stale in stack_dir.parent.glob(_stage_prefix(stack_dir) + "*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


def _set_modes(root: Path) -> None:
    """Modes of the staged tree, so each file and directory arrives in the stack with its own.
    Not left to the umask: containers whose user is not the host's (Keycloak 1000, APISIX 636,
    Open edX 1000) read the directories bind-mounted from the stack."""
    for path in root.rglob("*"):
        relative = str(path.relative_to(root))
        if path.is_dir():
            _chmod(path, 0o700 if relative == "secrets" else 0o755)
        else:
            _chmod(path, SECRET_MODE if _is_secret(relative) else 0o644)
    _chmod(root, 0o700)  # the stack holds secrets; containers still read their bind mounts


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the swap (or its rollback) is over; they are delivered after it."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _place(source: Path, target: Path) -> None:
    try:
        os.replace(source, target)
    except OSError as exc:
        # The stack's path, not the hidden staging one.
        raise OSError(exc.errno, exc.strerror, str(target)) from None


def _swap(new: Path, backups: Path, stack_dir: Path, changed: list[str], removed: list[str]) -> None:
    """Move the changed files of `new` into `stack_dir` and take out the `removed` ones (which `new`
    lacks); on any failure put back what was moved, so the stack is as it was. An unchanged file keeps its inode and mtime (make, editors,
    Compose watch)."""
    moved: list[tuple[Path, Path | None]] = []  # (target, the old file's backup, if it had one)
    made: list[Path] = []
    try:
        for relative in changed + removed:
            target = stack_dir / relative
            for parent in reversed(Path(relative).parents[:-1]):
                directory = stack_dir / parent
                if not directory.is_dir():
                    directory.mkdir()
                    made.append(directory)
                    _chmod(directory, (new / parent).stat().st_mode & 0o7777)
            backup = None
            if target.exists():
                backup = backups / relative
                backup.parent.mkdir(parents=True, exist_ok=True)
                os.link(target, backup)  # the old inode, so a rollback restores it, mtime and all
            if relative in removed:  # no longer generated: the backup holds it until the swap is over
                target.unlink()
            else:
                _place(new / relative, target)
            moved.append((target, backup))
    except BaseException:
        for target, backup in reversed(moved):
            with contextlib.suppress(OSError):
                if backup:
                    os.replace(backup, target)
                else:
                    target.unlink()
        for directory in reversed(made):
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise
    # Directories a removed file leaves empty go too (apisix/, keycloak/import/, keycloak/); a user's file keeps its one.
    for relative in removed:
        for parent in Path(relative).parents[:-1]:
            with contextlib.suppress(OSError):
                (stack_dir / parent).rmdir()


def write_stack(plan: StackPlan, stack_dir: Path) -> list[tuple[str, str]]:
    """Render `plan` into `stack_dir` (new or existing); return what changed.

    The stack is written whole or not at all: a new stack is one rename of the staged tree; an
    existing one gets its changed files moved in, and any failure (or signal) puts back the old ones.
    """
    from generator import stacklock

    stack_dir = stack_dir.resolve()
    stack_dir.parent.mkdir(parents=True, exist_ok=True)
    with stacklock.hold(stack_dir, lambda line: print(line, file=sys.stderr)):
        clear_stale_stages(stack_dir)
        stage = Path(tempfile.mkdtemp(prefix=_stage_prefix(stack_dir), dir=stack_dir.parent))
        new, backups = stage / "new", stage / "old"
        try:
            try:
                stage_stack(plan, new, kept_tutor_config(stack_dir))
            except OSError as exc:
                if exc.filename and Path(exc.filename).is_relative_to(new):
                    raise OSError(exc.errno, exc.strerror, str(stack_dir / Path(exc.filename).relative_to(new))) from None
                raise
            _set_modes(new)
            changes = changed_files(new, stack_dir)
            fresh = not stack_dir.exists() or (stack_dir.is_dir() and not any(stack_dir.iterdir()))
            with _signals_held():
                if fresh:
                    _place(new, stack_dir)
                else:
                    _swap(
                        new,
                        backups,
                        stack_dir,
                        [r for s, r in changes if s != "removed"],
                        [r for s, r in changes if s == "removed"],
                    )
            if not fresh:
                _chmod(stack_dir, 0o700)
                for relative in _generated_files(new) + [r for s, r in changes if s != "removed"]:
                    _chmod(stack_dir / relative, SECRET_MODE if _is_secret(relative) else 0o644)
                    for parent in Path(relative).parents[:-1]:
                        _chmod(stack_dir / parent, 0o700 if str(parent) == "secrets" else 0o755)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    return changes
