"""odl-stack: the command line. Parses answers, calls spec -> plan -> render."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

import click

from generator import __version__, wording
from generator.errors import StackError

# Exit codes, as `odl-stack --help` lists them (EXIT_CODES_HELP).
EXIT_OK = 0
EXIT_FAILED = 1  # a check or a docker command failed, or something unexpected happened
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_CODES_HELP = (
    "\b\nExit codes:\n"
    f"  {EXIT_OK}    done\n"
    f"  {EXIT_FAILED}    a check or a docker command failed (its output says which), or an unexpected error\n"
    "       (one line; the full traceback is written to a file it names)\n"
    f"  {EXIT_BAD_INPUT}    bad input: the error names the field and the fix; nothing was written\n"
    f"  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)"
)


def _parse_addresses(values: tuple[str, ...]) -> dict[str, str]:
    result = {}
    for value in values:
        service, sep, address = value.partition("=")
        if not sep or not service or not address:
            raise StackError("--ip", f"'{value}' is not SERVICE=ADDRESS", "write e.g. --ip lms=172.28.53.40")
        result[service] = address
    return result


def _app_src(value: str | None, stack_dir: Path) -> str | None:
    """A checkout path, stored relative to the stack so the stack stays relocatable."""
    if value is None:
        return None
    path = Path(value).resolve()
    if not (path / "Dockerfile").is_file():
        raise StackError("--app-src", f"{value} has no Dockerfile", "pass the root of a checkout of the app's repository")
    return os.path.relpath(path, stack_dir.resolve())


def stack_dir_for(out: str, name: str) -> Path:
    return Path(out) / name


def generate(
    answers: dict[str, Any],
    out: str,
    force: bool,
    echo: Any = click.echo,
    networks: Callable[[], Sequence[Any] | None] | None = None,
) -> Path:
    """answers -> StackSpec -> StackPlan -> files. Shared by the CLI and the cookiecutter hook.

    `networks` lists the Docker engine's networks (default: ask the engine; None when none answers).
    """
    from generator import render, secrets_store, versions, wording
    from generator.plan import make_plan
    from generator.spec import default_name, make_spec
    from generator.stackfiles import STACK_FILE
    from generator.upgrade import recorded

    images = versions.read_overrides(Path(answers["images_file"])) if answers.get("images_file") else {}
    apisix, profile = bool(answers.get("apisix")), answers.get("profile") or "tutor"
    name = answers.get("name") or default_name(answers["app"], apisix, profile)
    stack_dir = stack_dir_for(out, name)
    existing = stack_dir.exists() and stack_dir.is_dir() and any(stack_dir.iterdir())
    if existing and not (stack_dir / STACK_FILE).exists():
        raise StackError(wording.field("--name"), f"{stack_dir} exists and is not an odl-stack stack", f"choose another {wording.option('--name')}")
    if existing and not force:
        raise StackError(
            wording.field("--name"),
            f"{stack_dir} already holds a stack",
            f"pass {wording.option('--force')} to regenerate it (secrets and data are kept), or choose another {wording.option('--name')}",
        )
    # A regeneration keeps what the stack was given or picked before, unless told otherwise.
    kept = dict(recorded(stack_dir).get("answers") or {}) if existing else {}
    given_ports = {k: v for k, v in (("lms", answers.get("lms_port")), ("app", answers.get("app_port"))) if v}
    spec = make_spec(
        app=answers["app"],
        apisix=apisix,
        profile=profile,
        name=name,
        subnet=answers.get("subnet") or kept.get("subnet") or None,
        app_src=_app_src(answers.get("app_src") or None, stack_dir),
        images=images,
        ports={**(kept.get("ports") or {}), **given_ports},
        addresses=answers.get("addresses") or {},
    )
    if kept and kept.get("app") != spec.app:
        _refuse_app_change(stack_dir, Path(out), kept, spec.app, apisix, profile)
    spec, picked = _side_by_side(spec, Path(out), fixed_subnet=bool(answers.get("subnet") or kept.get("subnet")),
                                 fixed_ports=set(given_ports) | set(kept.get("ports") or {}), networks=networks)
    plan = make_plan(spec, secrets_store.load(stack_dir))
    echo(f"{'Regenerating' if existing else 'Generating'} {stack_dir} ({plan.app.title}, Open edX via Tutor 22.0.3)...")
    for line in picked:
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
    echo(f"LMS {plan.urls['lms']}  |  {plan.app.title} {plan.urls['app']}  |  credentials: {stack_dir}/secrets/credentials.txt")
    return stack_dir


def _refuse_app_change(stack_dir: Path, out: Path, kept: dict[str, Any], app: str, apisix: bool, profile: str) -> None:
    """FORCE regenerates a stack; it never turns one app's stack into another's (the old app's
    database volume would stay next to the new app)."""
    from generator import wording
    from generator.profiles import APPS
    from generator.spec import default_name

    base = default_name(app, apisix, profile)
    new_name = next(n for n in [base] + [f"{base}{i}" for i in range(2, 100)] if not (out / n).exists())
    raise StackError(
        wording.field("--app"),
        f"{stack_dir} is a {APPS[kept['app']].title} stack; regenerating it never changes its app",
        f"start a new stack beside it: {wording.command('new', None, ('--app', app), ('--name', new_name))}"
        f" (or keep {wording.option('--app', kept['app'])} to regenerate this one)",
    )


# Spec port name for each published service of the plan.
PORT_KEYS = {"lms": "lms", "app-nginx": "app", "apisix": "apisix", "keycloak": "keycloak"}


def _side_by_side(
    spec: Any, out: Path, fixed_subnet: bool, fixed_ports: set[str], networks: Callable[[], Sequence[Any] | None] | None
) -> tuple[Any, list[str]]:
    """Next to other stacks (and the engine's networks, when it answers): a subnet or port the user
    did not choose moves to the next free one, and says so; one they chose is refused when taken."""
    import dataclasses
    import ipaddress

    from generator import addressing, doctor, stackdir, wording
    from generator.plan import NETWORK_NAME, make_plan

    neighbours = stackdir.neighbour_subnets(out, spec.name)
    own_network = f"{spec.name}_{NETWORK_NAME}"
    engine = [n for n in ((networks or doctor.engine_networks)() or []) if n.name != own_network]
    # The stacks next to this one first: they are the likelier reason, and the user knows them.
    taken = sorted((f"stack '{k}'", v) for k, v in neighbours.items()) + sorted((f"Docker network '{n.name}'", s) for n in engine for s in n.subnets)
    subnets = [other for _who, other in taken]
    picked = []
    mine = ipaddress.ip_network(spec.subnet)
    clash = next(((who, other) for who, other in taken if mine.overlaps(ipaddress.ip_network(other, strict=False))), None)
    if clash and fixed_subnet:
        raise StackError(
            wording.field("--subnet"),
            f"{spec.subnet} overlaps {clash[1]} of {clash[0]}; Compose would fail with 'Pool overlaps'",
            f"pass {wording.option('--subnet', addressing.next_free_subnet(spec.subnet, subnets))} (or another range nothing uses)",
        )
    if clash:
        free = addressing.next_free_subnet(spec.subnet, subnets)
        picked.append(f"subnet {free} ({spec.subnet} is used by {clash[0]})")
        spec = dataclasses.replace(spec, subnet=free)

    used = _neighbour_ports(out, spec)
    ports = dict(spec.ports)
    defaults = make_plan(spec).ports
    own_ports = set(defaults.values())
    for service, port in defaults.items():
        key = PORT_KEYS[service]
        if key in fixed_ports or port not in used:
            continue
        new = port + 1
        while new in used or new in own_ports:
            new += 1
        own_ports.add(new)
        ports[key] = new
        picked.append(f"{key} port {new} ({port} is published by stack '{used[port]}')")
    if ports != dict(spec.ports):
        spec = dataclasses.replace(spec, ports=ports)
    return spec, picked


def _neighbour_ports(out: Path, spec: Any) -> dict[int, str]:
    """Host ports published by the other stacks of the same kind (app, gateway, profile) in the same
    output directory: a second xPro stack is meant to run beside the first. Stacks of different kinds
    share the LMS port by default and run one at a time (doctor says so)."""
    from generator import stackdir

    kind = (spec.app, spec.apisix, spec.profile)
    found: dict[int, str] = {}
    for path in sorted(out.iterdir()) if out.is_dir() else []:
        if path.name != spec.name and path.is_dir() and stackdir.is_stack(path):
            try:
                stack = stackdir.load(path)
            except (StackError, OSError, ValueError, KeyError):
                continue
            answers = stack.answers
            if (answers.get("app"), bool(answers.get("apisix")), answers.get("profile") or "tutor") != kind:
                continue
            for pub in stack.published:
                found.setdefault(pub.port, stack.project)
    return found


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="odl-stack")
def cli() -> None:
    """Generate and run Docker Compose stacks that wire Open edX to MIT xPro or MITx Online.

    Start with `odl-stack new --app xpro`, then `docker compose up -d` in the stack directory.
    """


@cli.command()
@click.option("--app", required=True, help="The MIT app: xpro or mitxonline.")
@click.option("--apisix", is_flag=True, help="MITx Online behind APISIX + Keycloak (port 9080).")
@click.option("--profile", default="tutor", show_default=True, help="Runbook era: tutor (openedx.odl.local:8000) or devstack.")
@click.option("--name", help="Stack name and compose project (default: the app, e.g. xpro).")
@click.option("--subnet", help="Private IPv4 subnet of the stack network (default differs per app).")
@click.option("--out", default="stacks", show_default=True, help="Directory the stack directory is created in.")
@click.option("--app-src", type=click.Path(file_okay=False), help="Build the app from this local checkout instead of the published image.")
@click.option("--images", "images_file", help="YAML file: image name -> reference, overriding the versions table.")
@click.option("--lms-port", type=int, help="Port of every Open edX URL: LMS, Studio, MFEs, Meilisearch (Tutor's Caddy; host and container), default 8000.")
@click.option("--app-port", type=int, help="App port (host and container), default 8053 / 8013.")
@click.option("--ip", "addresses", multiple=True, metavar="SERVICE=ADDRESS", help="Pin a service to an address (repeatable).")
@click.option("--force", is_flag=True, help="Regenerate an existing stack (secrets, data and your override file are kept).")
def new(addresses: tuple[str, ...], out: str, force: bool, **answers: Any) -> None:
    """Write a complete, self-contained stack into OUT/NAME."""
    answers["addresses"] = _parse_addresses(addresses)
    generate(answers, out, force)


# ------------------------------------------------------------------ operating a stack
# Each command reads a stack directory and delegates to doctor / hosts / lifecycle / upgrade.

STACK_ARG = click.argument("stack", default=".", type=click.Path(file_okay=False))
HOSTS_FILE_OPT = click.option(
    "--hosts-file", type=click.Path(dir_okay=False, path_type=Path), default="/etc/hosts", show_default=True, help="The hosts file to check."
)


def _stack(path: str) -> Any:
    from generator import stackdir

    return stackdir.load(path)


def _exit(code: int) -> None:
    if code:
        sys.exit(code)  # SystemExit passes through main(); click's Exit would be swallowed there


@cli.command()
@STACK_ARG
@HOSTS_FILE_OPT
def doctor(stack: str, hosts_file: Path) -> None:
    """Check that STACK can start here: engine, Compose, memory, arch, ports, /etc/hosts, subnet, old data."""
    from generator import lifecycle

    _exit(0 if lifecycle.run_doctor(_stack(stack), click.echo, hosts_file) else 1)


@cli.command()
@click.argument("stacks", nargs=-1, type=click.Path(file_okay=False))
@click.option("--write", is_flag=True, help="Append the line (after a backup); needs write access, e.g. sudo.")
@HOSTS_FILE_OPT
def hosts(stacks: tuple[str, ...], write: bool, hosts_file: Path) -> None:
    """Print the /etc/hosts line for STACKS (default: this stack, or every stack in stacks/)."""
    from generator import hosts as hosts_mod
    from generator import stackdir

    paths = [Path(s) for s in stacks] or stackdir.find_stacks()
    if not paths:
        raise StackError("STACK", "no stack found here or in stacks/", f"create one first: {wording.command('new', None, ('--app', 'xpro'))}")
    loaded = [stackdir.load(p) for p in paths]
    names = sorted({h for s in loaded for h in s.hostnames})
    if not write:
        click.echo(hosts_mod.hosts_line(names))
        return
    result = hosts_mod.write(hosts_file, names, label=", ".join(s.project for s in loaded))
    if result.added:
        click.echo(f"Added to {hosts_file}: {result.added}" + (f"  (backup: {result.backup})" if result.backup else ""))
    else:
        click.echo(f"{hosts_file} already maps {', '.join(names)}; nothing written.")
    for name, (address, line) in sorted(result.state.elsewhere.items()):
        click.echo(f"Warning: {hosts_file} line {line} maps {name} to {address}, before ours; edit that line by hand.", err=True)
    _exit(0 if result.state.complete else 1)


@cli.command()
@STACK_ARG
@click.option("--skip-doctor", is_flag=True, help="Start even if doctor finds a problem.")
@HOSTS_FILE_OPT
def up(stack: str, skip_doctor: bool, hosts_file: Path) -> None:
    """Doctor, then build/pull and start STACK, follow the bootstrap until it exits, print the URLs."""
    from generator import lifecycle

    _exit(lifecycle.up(_stack(stack), click.echo, check=not skip_doctor, hosts_file=hosts_file))


@cli.command()
@STACK_ARG
def down(stack: str) -> None:
    """Stop STACK and remove its containers and network (data and secrets are kept)."""
    from generator import lifecycle

    _exit(lifecycle.down(_stack(stack), click.echo))


@cli.command()
@STACK_ARG
def status(stack: str) -> None:
    """Every container of STACK with its state, then the URLs."""
    from generator import lifecycle

    _exit(lifecycle.status(_stack(stack), click.echo))


@cli.command()
@STACK_ARG
@click.argument("service", required=False)
@click.option("-f", "--follow", is_flag=True, help="Keep following the log.")
@click.option("--tail", help="Only the last N lines of each container.")
def logs(stack: str, service: str | None, follow: bool, tail: str | None) -> None:
    """Logs of STACK (or of one SERVICE, e.g. bootstrap, lms, app-web)."""
    from generator import lifecycle

    _exit(lifecycle.logs(_stack(stack), click.echo, service, follow, tail))


@cli.command()
@STACK_ARG
@click.option("--data", is_flag=True, help="Also delete the data: the stack's named volumes and tutor/data/ (asks first).")
@click.option("--yes", is_flag=True, help="Do not ask before deleting data.")
def reset(stack: str, data: bool, yes: bool) -> None:
    """Remove STACK's containers and network; volumes, data and secrets stay unless --data."""
    from generator import lifecycle

    _exit(lifecycle.reset(_stack(stack), click.echo, data=data, confirm=lambda q: yes or click.confirm(q, default=False)))


@cli.command()
@STACK_ARG
def bootstrap(stack: str) -> None:
    """Run the bootstrap again (docker compose run --rm bootstrap); a wired stack stays unchanged."""
    from generator import lifecycle

    _exit(lifecycle.bootstrap(_stack(stack), click.echo))


@cli.command()
@STACK_ARG
def verify(stack: str) -> None:
    """Only the bootstrap's checklist (docker compose run --rm bootstrap verify); non-zero on any ✗."""
    from generator import lifecycle

    _exit(lifecycle.verify(_stack(stack), click.echo))


@cli.command()
@click.argument("stack", type=click.Path(file_okay=False, exists=True))
@click.option("--lms-port", type=int, help="Move every Open edX URL (LMS, Studio, MFEs, Meilisearch) to this port (host and container).")
@click.option("--app-port", type=int, help="Move the app to this port (host and container).")
@click.option("--subnet", help="Move the stack to this private subnet (pinned addresses are re-derived).")
def upgrade(stack: str, lms_port: int | None, app_port: int | None, subnet: str | None) -> None:
    """Re-render STACK from the answers in its stack.json with this odl-stack; secrets, data and
    docker-compose.override.yml are kept. Shows what changed."""
    from generator import upgrade as upgrade_mod

    upgrade_mod.upgrade(Path(stack), click.echo, {"lms": lms_port, "app": app_port, "subnet": subnet})


def _write_traceback(exc: BaseException) -> str:
    """The whole traceback, kept for the report in a private file in the temporary directory; its path."""
    import tempfile
    import traceback

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        fd, path = tempfile.mkstemp(prefix="odl-stack-error-", suffix=".txt")  # mode 0600
        with os.fdopen(fd, "w") as handle:
            handle.write(f"odl-stack {__version__}: {' '.join(sys.argv)}\n{text}")
    except OSError as write_error:
        return f"nowhere (it could not be written: {write_error}; run again with ODL_STACK_DEBUG=1 to see it)"
    return path


def main() -> None:
    try:
        # Without standalone mode click returns an Exit's code instead of exiting with it.
        code = cli.main(standalone_mode=False)
    except StackError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_FAILED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except OSError as exc:
        # E.g. files a container wrote (owned by its user) in a stack directory.
        what = f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else str(exc)
        click.echo(f"Error: {what}. Fix: check that path's owner and permissions (files containers wrote may need sudo to change)", err=True)
        sys.exit(EXIT_FAILED)
    except Exception as exc:  # noqa: BLE001 - the one place an unexpected failure becomes one line
        if os.environ.get("ODL_STACK_DEBUG"):
            raise
        where = _write_traceback(exc)
        click.echo(f"Error: unexpected {type(exc).__name__}: {exc}. The full traceback is in {where}; please report it with that file", err=True)
        sys.exit(EXIT_FAILED)
    sys.exit(code if isinstance(code, int) else 0)
