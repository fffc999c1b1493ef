"""`new`: answers -> StackSpec -> StackPlan -> files, as one library call.

The CLI's `new`, both cookiecutter hooks, `upgrade` and the tests all come through here: answers become a
spec in `spec_from_answers` only, and a stack is written by `generate` only. Rendering (and so Tutor) is
imported when a stack is written, so `upgrade`'s and `status`'s imports stay light.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import click

from generator import kept as kept_state
from generator import neighbours, plugin_checkouts, stackdir, versions, wording
from generator.errors import StackError
from generator.ports import BY_PLAN_KEY
from generator.spec import StackSpec, check_name, default_name, make_spec
from generator.stackfiles import STACK_FILE
from generator.wording import Echo

# The answers cookiecutter asks for (cookiecutter.json); its own keys (`_template`, ...) are not answers.
COOKIECUTTER_ANSWERS = (
    "app",
    "apisix",
    "profile",
    "name",
    "subnet",
    "lms_port",
    "app_port",
    "app_src",
    "images_file",
    "openedx_plugin_src",
)


def stack_name(answers: Mapping[str, Any]) -> str:
    """The stack's name: the one given, else the default of its app, gateway and profile."""
    return str(
        answers.get("name") or default_name(answers["app"], bool(answers.get("apisix")), answers.get("profile") or "tutor")
    )


def spec_from_answers(
    answers: Mapping[str, Any], stack_dir: Path | None = None, kept: Mapping[str, Any] | None = None
) -> StackSpec:
    """Answers -> a validated StackSpec: the one conversion, whoever asked.

    Empty answers count as not given. Ports come as a `ports` mapping (as a stack records them) and/or as
    `lms_port` / `app_port` (as the CLI and cookiecutter ask); images as an `images` mapping (recorded) or an
    `images_file` (asked). An `app_src` is a checkout path to check and store relative to `stack_dir` when
    that is given, else one already recorded relative to the stack; so is each `openedx_plugin_src`. `kept` (the answers a stack recorded)
    fills the subnet and the ports a regeneration does not give.
    """
    kept = kept or {}
    images = dict(answers.get("images") or {})
    if answers.get("images_file"):
        images = versions.read_overrides(Path(answers["images_file"]))
    app_src = answers.get("app_src") or None
    if app_src and stack_dir is not None:
        app_src = _app_src(app_src, stack_dir, answers["app"])
    plugin_src = _plugin_src(answers.get("openedx_plugin_src"))
    if plugin_src and stack_dir is not None:
        plugin_src = list(plugin_checkouts.check(plugin_src, stack_dir))
    return make_spec(
        app=answers["app"],
        apisix=bool(answers.get("apisix")),
        profile=answers.get("profile") or "tutor",
        name=stack_name(answers),
        subnet=answers.get("subnet") or kept.get("subnet") or None,
        app_src=app_src,
        openedx_plugin_src=tuple(plugin_src),
        images=images,
        ports={**(kept.get("ports") or {}), **given_ports(answers)},
        addresses=answers.get("addresses") or {},
        # Ports the generator picked itself: kept while the stack stays of its kind, never as chosen ones.
        picked_ports={**(kept.get("picked_ports") or {}), **(answers.get("picked_ports") or {})},
    )


def given_ports(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The ports the answers set, by the spec's port name."""
    # Only None and "" (cookiecutter's empty answer) mean "not given": a 0 must reach the port check.
    asked = {k: v for k, v in (("lms", answers.get("lms_port")), ("app", answers.get("app_port"))) if v not in (None, "")}
    return {**(answers.get("ports") or {}), **asked}


def answers_from_cookiecutter(values: Mapping[str, Any], out: Path) -> dict[str, Any]:
    """cookiecutter's answers (all strings) -> the answers `spec_from_answers` reads."""
    answers = {key: values.get(key, "") for key in COOKIECUTTER_ANSWERS}
    answers["apisix"] = answers["apisix"] == "yes"
    for key in ("app_src", "images_file"):
        # Relative answers are read from the output directory, not from the hook's cwd.
        if answers[key] and not os.path.isabs(answers[key]):
            answers[key] = str(out / answers[key])
    answers["openedx_plugin_src"] = [str(out / p) for p in plugin_checkouts.from_text(answers["openedx_plugin_src"] or "")]
    return answers


def _plugin_src(value: Any) -> list[str]:
    """Plugin checkouts as given: a list (CLI, stack.json) or one string of paths (an answer)."""
    if not value:
        return []
    return plugin_checkouts.from_text(value) if isinstance(value, str) else [str(v) for v in value]


# `FROM <image> AS <stage>`, as a Dockerfile names a build target.
_STAGE_RE = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*\S+\s+AS\s+(\S+)\s*$", re.IGNORECASE | re.MULTILINE)


def _app_src(value: str, stack_dir: Path, app: str) -> str:
    """A checkout of the app's repository, checked, and stored relative to the stack so the stack
    stays relocatable. Nothing is written into it."""
    from generator.profiles import APPS

    facts = APPS.get(app)
    if facts is None or facts.dev is None:
        return value  # an unknown app: make_spec refuses it with its own error
    option = wording.field("--app-src")
    repo = facts.dev.repository
    clone = f"pass the root of a checkout of {repo} (git clone https://github.com/{repo})"
    path = Path(value).resolve()
    if not path.is_dir():
        raise StackError(option, f"{value} does not exist" if not path.exists() else f"{value} is not a directory", clone)
    missing = [marker for marker in ("Dockerfile", *facts.dev.markers) if not (path / marker).is_file()]
    if missing:
        raise StackError(option, f"{value} is not a checkout of {repo} (no {', '.join(missing)})", clone)
    stages = _STAGE_RE.findall((path / "Dockerfile").read_text(errors="replace"))
    if facts.dev.target.lower() not in (stage.lower() for stage in stages):
        raise StackError(
            option,
            f"{value}/Dockerfile has no `{facts.dev.target}` target (the one {repo}'s docker-compose.yml builds for development)",
            f"update the checkout (git pull), or add a stage `FROM ... AS {facts.dev.target}` to its Dockerfile",
        )
    relative = os.path.relpath(path, stack_dir.resolve())
    # `./` or `../` first: Compose reads a bare name in `volumes:` as a named volume, not the checkout.
    return relative if relative.startswith("../") else f"./{relative}"


def generate(
    answers: Mapping[str, Any],
    out: str | Path,
    force: bool,
    echo: Echo = click.echo,
    networks: Callable[[], Sequence[Any] | None] | None = None,
    new_secrets: bool = False,
    volumes: kept_state.VolumeLister | None = None,
    change_kind: bool = False,
) -> Path:
    """answers -> StackSpec -> StackPlan -> files in OUT/NAME; the stack directory.

    `networks` lists the Docker engine's networks (default: ask the engine; None when none answers);
    `volumes` its volume names, asked only when a regeneration finds its secrets gone (kept_state.check);
    `change_kind`: a regeneration may change the profile or the gateway (see _check_kind).
    """
    from generator import stacklock

    out = Path(out)
    # Refused before any lock or write: OUT/. and OUT/.. exist, and a file at OUT holds no stack.
    name = check_name(stack_name(answers))
    if out.exists() and not out.is_dir():
        raise StackError(
            wording.field("--out"),
            f"{out} is a file, not a directory",
            f"give {wording.option('--out')} a directory (it is created if missing)",
        )
    # One writer at a time: a second `new` of the same stack waits, then sees the stack the first made.
    stack_dir = out / name
    with stacklock.hold(stack_dir, lambda line: click.echo(line, err=True)):
        return _generate(answers, out, stack_dir, force, echo, networks, new_secrets, volumes, change_kind)


def _generate(
    answers: Mapping[str, Any],
    out: Path,
    stack_dir: Path,
    force: bool,
    echo: Echo,
    networks: Callable[[], Sequence[Any] | None] | None,
    new_secrets: bool,
    volumes: kept_state.VolumeLister | None,
    change_kind: bool = False,
) -> Path:
    from generator import render, secrets_store
    from generator.plan import make_plan

    existing = stack_dir.exists() and stack_dir.is_dir() and any(stack_dir.iterdir())
    if existing and not (stack_dir / STACK_FILE).exists():
        raise StackError(
            wording.field("--name"),
            f"{stack_dir} exists and is not an odl-stack stack",
            f"choose another {wording.option('--name')}",
        )
    if existing and not force:
        raise StackError(
            wording.field("--name"),
            f"{stack_dir} already holds a stack",
            f"pass {wording.option('--force')} to regenerate it (secrets and data are kept), or choose another {wording.option('--name')}",
        )
    # A regeneration keeps what the stack was given or picked before, unless told otherwise.
    kept = dict(stackdir.recorded(stack_dir).get("answers") or {}) if existing else {}
    spec = spec_from_answers(answers, stack_dir, kept)
    if kept and kept.get("app") != spec.app:
        _refuse_app_change(stack_dir, out, kept, spec)
    kind_lines: list[str] = []
    if kept and _kind(kept) != spec.kind:
        kind_lines = _check_kind(stack_dir, out, kept, spec, change_kind)
        # What the generator picked for the old kind, and the ports of services the new kind lacks, go.
        kept = {
            **kept,
            "picked_ports": {},
            "ports": {k: v for k, v in (kept.get("ports") or {}).items() if k in _port_answers(spec)},
        }
        spec = spec_from_answers(answers, stack_dir, kept)
    spec, picked = _side_by_side(
        spec,
        stack_dir,
        given_subnet=bool(answers.get("subnet")),
        kept_subnet=bool(kept.get("subnet")),
        given=given_ports(answers),
        fixed_ports=set(given_ports(answers)) | set(kept.get("ports") or {}),
        networks=networks,
    )
    renewed = (
        kept_state.check(stack_dir, new_secrets, wording.command("upgrade", stack_dir, "--new-secrets"), volumes)
        if existing
        else []
    )
    if not existing:
        picked += _same_name_elsewhere(spec.name, stack_dir, volumes)
    plan = make_plan(spec, secrets_store.load(stack_dir))
    echo(
        f"{'Regenerating' if existing else 'Generating'} {stack_dir} ({plan.app.title}, Open edX via Tutor {metadata.version('tutor')})..."
    )
    for line in kind_lines + picked + renewed:
        echo(f"  {line}")
    changes = render.write_stack(plan, stack_dir)
    if existing:
        if changes:
            for status, path in changes:
                echo(f"  {status:8} {path}")
        else:
            echo("  no file changed")
    echo("")
    echo("Add this line to /etc/hosts (once):")
    echo(f"  {plan.hosts_line}")
    echo("Then start it:")
    echo(f"  cd {stack_dir} && docker compose up -d")
    echo("  docker compose logs -f bootstrap      # wiring, then a ✓/✗ checklist")
    echo(f"or, from here, doctor + start + the bootstrap's log in one: {wording.command('up', stack_dir)}")
    echo(
        f"LMS {plan.urls['lms']}  |  {plan.app.title} {plan.urls['app']}  |  mail {plan.urls['mail']}  |  credentials: {stack_dir}/secrets/credentials.txt"
    )
    return stack_dir


def _refuse_app_change(stack_dir: Path, out: Path, kept: Mapping[str, Any], spec: StackSpec) -> None:
    """FORCE regenerates a stack; it never turns one app's stack into another's (the old app's
    database volume would stay next to the new app)."""
    from generator.profiles import APPS

    base = default_name(spec.app, spec.apisix, spec.profile)
    new_name = next(n for n in [base] + [f"{base}{i}" for i in range(2, 100)] if not (out / n).exists())
    raise StackError(
        wording.field("--app"),
        f"{stack_dir} is a {APPS[kept['app']].title} stack; regenerating it never changes its app",
        f"start a new stack beside it: {wording.command('new', None, ('--app', spec.app), ('--name', new_name))}"
        f" (or keep {wording.option('--app', kept['app'])} to regenerate this one)",
    )


def _same_name_elsewhere(name: str, stack_dir: Path, volumes: kept_state.VolumeLister | None) -> list[str]:
    """Compose names a stack's project, containers, network and volumes after the stack's name, whatever
    its directory: a second stack of one name elsewhere shares them. Said before the first start."""
    from generator import enginefacts

    lines = []
    other = Path(wording.STACKS_DIR) / name
    if stackdir.is_stack(other) and other.resolve() != stack_dir.resolve():
        lines.append(
            f"warning: {other} is a stack of the same name; both are Compose project '{name}' and would share its containers,"
            f" network and volumes: run one at a time, or choose another {wording.option('--name')}"
        )
    present = (volumes or enginefacts.engine_volumes)() or set()
    theirs = sorted(v for v in present if v.startswith(f"{name}_"))
    if theirs:
        lines.append(
            f"warning: the Docker engine already has volumes of a Compose project '{name}' ({', '.join(theirs[:3])}"
            f"{', ...' if len(theirs) > 3 else ''}), from another stack of this name or an earlier one: this stack would"
            f" start on that data, made with other passwords; choose another {wording.option('--name')}, or delete them first"
        )
    return lines


def _kind(answers: Mapping[str, Any]) -> tuple[str, bool, str]:
    return (str(answers.get("app")), bool(answers.get("apisix")), str(answers.get("profile") or "tutor"))


def _port_answers(spec: StackSpec) -> set[str]:
    """The port answers a stack of this kind has (the gateway's only with APISIX)."""
    from generator.plan import make_plan

    return {BY_PLAN_KEY[key].answer for key in make_plan(dataclasses.replace(spec, ports={}, picked=frozenset())).ports}


def _check_kind(stack_dir: Path, out: Path, kept: Mapping[str, Any], spec: StackSpec, change_kind: bool) -> list[str]:
    """A regeneration that changes the profile or the gateway: refused unless asked for with
    --change-kind, because it moves hostnames and ports and leaves data made for the old kind. The
    refusal and the lines printed when asked say what changes and what is left behind."""
    from generator.profiles import ERAS

    old_era, new_era = ERAS[_kind(kept)[2]], ERAS[spec.profile]
    changes, left = [], []
    if old_era.name != new_era.name:
        changes.append(
            f"profile {old_era.name} -> {new_era.name}: Open edX moves from {old_era.lms_hostname}:{old_era.lms_port}"
            f" to {new_era.lms_hostname}:{new_era.lms_port} (its login backend from {old_era.backend_name} to {new_era.backend_name})"
        )
        left.append(
            f"the LMS database's {old_era.name}-era Site and provider records, and its learners' links through {old_era.backend_name}"
        )
    if bool(kept.get("apisix")) != spec.apisix:
        if spec.apisix:
            changes.append("APISIX on: the app is served through APISIX + Keycloak (apisix/ and keycloak/ are added)")
        else:
            changes.append("APISIX off: apisix/ and keycloak/ and their ports are removed")
            left.append(f"Keycloak's database (volume {spec.name}_keycloak-db-data; docker volume rm it when done)")
    if change_kind:
        return [f"changing the kind of stack (asked with {wording.option('--change-kind')}): {'; '.join(changes)}"] + (
            [f"left unused: {'; '.join(left)}"] if left else []
        )
    base = default_name(*spec.kind)
    new_name = next(n for n in [base] + [f"{base}{i}" for i in range(2, 100)] if not (out / n).exists())
    field = "--apisix" if bool(kept.get("apisix")) != spec.apisix else "--profile"
    beside = wording.command(
        "new",
        None,
        ("--app", spec.app),
        *([("--apisix")] if spec.apisix else []),
        ("--profile", spec.profile),
        ("--name", new_name),
    )
    confirm = (
        ""
        if wording.via_cookiecutter()
        else f", or change this one and leave that data behind: add {wording.option('--change-kind')}"
    )
    raise StackError(
        wording.field(field),
        f"regenerating {stack_dir} would change what kind of stack it is ({'; '.join(changes)})"
        + (f" and leave unused: {'; '.join(left)}" if left else ""),
        f"start a new stack beside it: {beside}{confirm}",
    )


def _side_by_side(
    spec: StackSpec,
    stack_dir: Path,
    given_subnet: bool,
    kept_subnet: bool,
    given: Mapping[str, Any],
    fixed_ports: set[str],
    networks: Callable[[], Sequence[Any] | None] | None,
) -> tuple[StackSpec, list[str]]:
    """Next to other stacks (and the engine's networks, when it answers): a subnet or port the user
    did not choose moves to the next free one, and says so; one they chose now is refused when taken
    (neighbours.settle_subnet, check_given_ports); the subnet a stack has already stays."""
    from generator.enginefacts import engine_networks
    from generator.plan import NETWORK_NAME, make_plan

    taken = neighbours.subnets_taken(stack_dir, spec.name, f"{spec.name}_{NETWORK_NAME}", (networks or engine_networks)())
    subnet, picked = neighbours.settle_subnet(spec.subnet, taken, given=given_subnet, kept=kept_subnet, stack_dir=stack_dir)
    if subnet != spec.subnet:
        spec = dataclasses.replace(spec, subnet=subnet)
    check_given_ports(stack_dir, given)

    used = neighbours.published_ports(stack_dir, spec.kind)
    ports = dict(spec.ports)
    defaults = make_plan(spec).ports
    own_ports = set(defaults.values())
    chosen_by_us = set(spec.picked)
    for service, port in defaults.items():
        key = BY_PLAN_KEY[service].answer
        if key in fixed_ports or port not in used:
            continue
        new = port + 1
        while new in used or new in own_ports:
            new += 1
        own_ports.add(new)
        ports[key] = new
        chosen_by_us.add(key)
        picked.append(f"{key} port {new} ({port} is published by stack '{used[port]}')")
    if ports != dict(spec.ports):
        spec = dataclasses.replace(spec, ports=ports, picked=frozenset(chosen_by_us))
    return spec, picked


def check_given_ports(stack_dir: Path, given: Mapping[str, Any]) -> None:
    """A port the user gives now that a stack beside this one publishes is refused (whatever its kind:
    the two could then never run together)."""
    used = neighbours.all_published_ports(stack_dir)
    for key, value in sorted(given.items()):
        try:
            port = int(value)
        except (TypeError, ValueError):
            continue  # make_spec has refused it already
        if port in used:
            option = next((p.option for p in BY_PLAN_KEY.values() if p.answer == key), None)
            free = next(p for p in range(port + 1, 65536) if p not in used)
            raise StackError(
                wording.field(option) if option else f"{key} port",
                f"port {port} is published by stack '{used[port]}' beside this one; the two could never run at the same time",
                f"pass {wording.option(option, free) if option else f'another {key} port, e.g. {free}'} (or another port no stack publishes)",
            )
