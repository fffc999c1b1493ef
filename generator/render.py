"""Render a StackPlan into a stack directory: the only stage that writes files.

Everything is rendered into a staging directory first and moved into place
only when all of it succeeded, so a failure never leaves a half-written stack.
Files the generator does not own (Tutor's data/, the user's
docker-compose.override.yml) are never touched.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
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
        f"Check the wiring  make verify STACK={plan.project}   (the bootstrap's ✓/✗ checklist, from the odl-stack checkout)",
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
    _write(stage, "images/openedx/Dockerfile", templates.render("images/openedx.Dockerfile.j2", context))
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


def changed_files(stage: Path, stack_dir: Path) -> list[tuple[str, str]]:
    """(status, path) for each generated file that is new or differs."""
    changes = []
    for relative in _generated_files(stage):
        old = stack_dir / relative
        if not old.exists():
            changes.append(("added", relative))
        elif old.read_bytes() != (stage / relative).read_bytes():
            changes.append(("changed", relative))
    return changes


def _chmod(path: Path, mode: int) -> None:
    if (path.stat().st_mode & 0o7777) != mode:
        os.chmod(path, mode)


def write_stack(plan: StackPlan, stack_dir: Path) -> list[tuple[str, str]]:
    """Render `plan` into `stack_dir` (new or existing); return what changed."""
    stack_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{stack_dir.name}.render-", dir=stack_dir.parent))
    try:
        stage_stack(plan, stage, kept_tutor_config(stack_dir))
        changes = changed_files(stage, stack_dir)
        stack_dir.mkdir(exist_ok=True)
        _chmod(stack_dir, 0o700)  # the stack holds secrets; containers still read their bind mounts
        changed = {relative for _status, relative in changes}
        for relative in _generated_files(stage):
            target = stack_dir / relative
            if relative in changed:  # an unchanged file keeps its inode and mtime (make, editors, Compose watch)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(stage / relative, target)
            _chmod(target, SECRET_MODE if _is_secret(relative) else 0o644)
            # Not left to the umask: containers whose user is not the host's (Keycloak 1000,
            # APISIX 636, Open edX 1000) read the directories bind-mounted from here.
            for parent in Path(relative).parents[:-1]:
                _chmod(stack_dir / parent, 0o755)
        _chmod(stack_dir / "secrets", 0o700)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return changes
