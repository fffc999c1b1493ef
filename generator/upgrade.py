"""`odl-stack upgrade STACK`: re-render a stack from the answers recorded in it.

The answers come from the stack's stack.json (written by the generator that
made it); secrets come from secrets/secrets.json and Tutor's from
tutor/config.yml, so every password stays. Files the generator does not own
are never touched: tutor/data/, the Docker volumes, and the user's own
additions in docker-compose.override.yml (Compose reads that file after
docker-compose.yml).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import __version__, kept, wording
from generator.errors import StackError
from generator.stackfiles import OVERRIDE_FILE, STACK_FILE
from generator.wording import Echo

if TYPE_CHECKING:
    from generator.enginefacts import DockerNetwork


def upgrade(
    stack_dir: Path,
    echo: Echo,
    changes: Mapping[str, Any] | None = None,
    new_secrets: bool = False,
    volumes: kept.VolumeLister | None = None,
    networks: Callable[[], Sequence[DockerNetwork] | None] | None = None,
) -> list[tuple[str, str]]:
    """Re-render `stack_dir` with this generator; `changes` may set ports (lms/app) or the subnet.
    Secrets are kept; where their files are gone, see kept.check (`volumes` lists the engine's volumes,
    `networks` its networks: default, ask the engine)."""
    import click

    from generator import stacklock

    # One writer at a time: the answers and secrets read here are the ones the render replaces.
    with stacklock.hold(stack_dir, lambda line: click.echo(line, err=True)):
        return _upgrade(stack_dir, echo, changes, new_secrets, volumes, networks)


def _upgrade(
    stack_dir: Path,
    echo: Echo,
    changes: Mapping[str, Any] | None,
    new_secrets: bool,
    volumes: kept.VolumeLister | None,
    networks: Callable[[], Sequence[DockerNetwork] | None] | None,
) -> list[tuple[str, str]]:
    import dataclasses

    from generator import neighbours, render, secrets_store, stackdir
    from generator.enginefacts import engine_networks
    from generator.new import check_given_ports, spec_from_answers
    from generator.plan import NETWORK_NAME, make_plan

    record = stackdir.recorded(stack_dir)
    answers = dict(record.get("answers") or {})
    if not answers.get("app"):
        raise StackError(
            str(stack_dir / STACK_FILE),
            "records no answers",
            f"regenerate the stack: {wording.command('new', None, ('--app', '...'), ('--name', stack_dir.name), '--force')}",
        )
    changes = dict(changes or {})
    if changes.get("subnet"):
        answers["subnet"] = changes["subnet"]
        # Pinned addresses of the old subnet would not fit the new one.
        answers["addresses"] = {}
    answers.update(lms_port=changes.get("lms"), app_port=changes.get("app"))
    spec = spec_from_answers(answers)
    # The same rule as `new --force`: a subnet given now must be free, the one the stack has stays.
    taken = neighbours.subnets_taken(stack_dir, spec.name, f"{spec.name}_{NETWORK_NAME}", (networks or engine_networks)())
    subnet, warnings = neighbours.settle_subnet(
        spec.subnet, taken, given=bool(changes.get("subnet")), kept=True, stack_dir=stack_dir
    )
    spec = dataclasses.replace(spec, subnet=subnet)
    check_given_ports(
        stack_dir, {k: v for k, v in (("lms", changes.get("lms")), ("app", changes.get("app"))) if v not in (None, "")}
    )
    renewed = kept.check(stack_dir, new_secrets, wording.command("upgrade", stack_dir, "--new-secrets"), volumes)
    plan = make_plan(spec, secrets_store.load(stack_dir))
    old_version = record.get("generator_version", "?")
    echo(
        f"Re-rendering {stack_dir} from its recorded answers (generator {old_version} -> {__version__})"
        + ("; secrets and data are kept." if not renewed else ".")
    )
    for line in warnings + renewed:
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
