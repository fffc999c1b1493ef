"""`odl-stack upgrade STACK`: re-render a stack from the answers recorded in it.

The answers come from the stack's stack.json (written by the generator that
made it); secrets come from secrets/secrets.json and Tutor's from
tutor/config.yml, so every password stays. Files the generator does not own
are never touched: tutor/data/, the Docker volumes, and the user's own
additions in docker-compose.override.yml (Compose reads that file after
docker-compose.yml).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from generator import __version__, kept, wording
from generator.errors import StackError
from generator.stackfiles import OVERRIDE_FILE, STACK_FILE
from generator.wording import Echo


def upgrade(
    stack_dir: Path, echo: Echo, changes: Mapping[str, Any] | None = None, new_secrets: bool = False, volumes: kept.VolumeLister | None = None
) -> list[tuple[str, str]]:
    """Re-render `stack_dir` with this generator; `changes` may set ports (lms/app) or the subnet.
    Secrets are kept; where their files are gone, see kept.check (`volumes` lists the engine's volumes)."""
    import click

    from generator import stacklock

    # One writer at a time: the answers and secrets read here are the ones the render replaces.
    with stacklock.hold(stack_dir, lambda line: click.echo(line, err=True)):
        return _upgrade(stack_dir, echo, changes, new_secrets, volumes)


def _upgrade(
    stack_dir: Path, echo: Echo, changes: Mapping[str, Any] | None, new_secrets: bool, volumes: kept.VolumeLister | None
) -> list[tuple[str, str]]:
    from generator import addressing, render, secrets_store, stackdir
    from generator.new import spec_from_answers
    from generator.plan import make_plan

    record = stackdir.recorded(stack_dir)
    answers = dict(record.get("answers") or {})
    if not answers.get("app"):
        raise StackError(str(stack_dir / STACK_FILE), "records no answers", f"regenerate the stack: {wording.command('new', None, ('--app', '...'), ('--name', stack_dir.name), '--force')}")
    changes = dict(changes or {})
    if changes.get("subnet"):
        answers["subnet"] = changes["subnet"]
        # Pinned addresses of the old subnet would not fit the new one.
        answers["addresses"] = {}
    answers.update(lms_port=changes.get("lms"), app_port=changes.get("app"))
    spec = spec_from_answers(answers)
    addressing.check_no_overlap(spec.subnet, stackdir.neighbour_subnets(stack_dir.resolve().parent, spec.name, stack_dir))
    renewed = kept.check(stack_dir, new_secrets, wording.command("upgrade", stack_dir, "--new-secrets"), volumes)
    plan = make_plan(spec, secrets_store.load(stack_dir))
    old_version = record.get("generator_version", "?")
    echo(f"Re-rendering {stack_dir} from its recorded answers (generator {old_version} -> {__version__})"
         + ("; secrets and data are kept." if not renewed else "."))
    for line in renewed:
        echo(f"  {line}")
    changed = render.write_stack(plan, stack_dir)
    for status, path in changed:
        echo(f"  {status:8} {path}")
    if not changed:
        echo("  no file changed")
    if (stack_dir / OVERRIDE_FILE).exists():
        echo(f"  kept     {OVERRIDE_FILE} (yours; the generator never writes it)")
    if any(path == "docker-compose.yml" for _s, path in changed):
        echo(f"Apply it: {wording.command('up', stack_dir)}")
    return changed
