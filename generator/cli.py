"""odl-stack: the command line. Parses options and hands each command to its library module (new, lifecycle, ...)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import click

from generator import __version__, wording
from generator.errors import StackError
from generator.profiles import APISIX_PORT, APPS, ERAS

# Exit codes, as `odl-stack --help` lists them (EXIT_CODES_HELP).
EXIT_OK = 0
EXIT_FAILED = 1  # a check or a docker command failed, or something unexpected happened
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process SIGTERM ended
EXIT_CODES_HELP = (
    "\b\nExit codes:\n"
    f"  {EXIT_OK}    done\n"
    f"  {EXIT_FAILED}    a check or a docker command failed (its output says which), or an unexpected error\n"
    "       (one line; the full traceback is written to a file it names)\n"
    f"  {EXIT_BAD_INPUT}    bad input: the error names the field and the fix; nothing was written\n"
    f"  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)\n"
    f"  {EXIT_TERMINATED}  terminated (SIGTERM, e.g. a closed terminal); a stack being written is left whole: as it was, or fully written"
)


def _parse_addresses(values: tuple[str, ...]) -> dict[str, str]:
    result = {}
    for value in values:
        service, sep, address = value.partition("=")
        if not sep or not service or not address:
            raise StackError("--ip", f"'{value}' is not SERVICE=ADDRESS", "write e.g. --ip lms=172.28.53.40")
        result[service] = address
    return result


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="odl-stack")
def cli() -> None:
    """Generate and run Docker Compose stacks that wire Open edX to MIT xPro or MITx Online.

    Start with `odl-stack new --app xpro`, then `docker compose up -d` in the stack directory.
    """


# Help texts name the choices and defaults from profiles.py, so they cannot drift from the data.
_APPS_HELP = " or ".join(APPS)
_ERAS_HELP = ", ".join(f"{era.name} ({era.lms_hostname}:{era.lms_port})" for era in ERAS.values())
_LMS_PORTS_HELP = ", ".join(f"{era.lms_port} ({era.name})" for era in ERAS.values())
_APP_PORTS_HELP = ", ".join(f"{app.port} ({app.name})" for app in APPS.values())


@cli.command()
@click.option("--app", required=True, help=f"The MIT app: {_APPS_HELP}.")
@click.option("--apisix", is_flag=True, help=f"MITx Online behind APISIX + Keycloak (port {APISIX_PORT}).")
@click.option("--profile", default="tutor", show_default=True, help=f"Runbook era: {_ERAS_HELP}.")
@click.option("--name", help="Stack name and compose project (default: the app, e.g. xpro).")
@click.option("--subnet", help="Private IPv4 subnet of the stack network (default differs per app).")
@click.option("--out", default="stacks", show_default=True, help="Directory the stack directory is created in.")
@click.option(
    "--app-src",
    type=click.Path(file_okay=False),
    help='Run the app from this checkout of its repository, live: its development target, the checkout mounted, the dev server and Celery reloaded on change, its webpack watcher (see the README, "Working on the app\'s code").',
)
@click.option(
    "--openedx-plugin-src",
    multiple=True,
    metavar="PATH",
    help="Mount this Open edX plugin checkout into lms, cms and their workers, installed editable (replacing its pinned"
    " wheel) and reloaded on change (repeatable).",
)
@click.option("--images", "images_file", help="YAML file: image name -> reference, overriding the versions table.")
@click.option(
    "--lms-port",
    type=int,
    help=f"Port of every Open edX URL: LMS, Studio, MFEs, Meilisearch (Tutor's Caddy; host and container); default per profile: {_LMS_PORTS_HELP}.",
)
@click.option("--app-port", type=int, help=f"App port (host and container); default per app: {_APP_PORTS_HELP}.")
@click.option("--ip", "addresses", multiple=True, metavar="SERVICE=ADDRESS", help="Pin a service to an address (repeatable).")
@click.option("--force", is_flag=True, help="Regenerate an existing stack (secrets, data and your override file are kept).")
@click.option(
    "--new-secrets",
    is_flag=True,
    help="Where secrets/secrets.json or tutor/config.yml is gone or empty and the stack has data, make new secrets anyway (then delete the data with `reset --data`); without data they are made anew unasked.",
)
@click.option(
    "--change-kind",
    is_flag=True,
    help="With --force: let the regeneration change the stack's --profile or --apisix (hostnames, ports and files change; data made for the old kind is left behind, and listed). Without it such a change is refused.",
)
def new(addresses: tuple[str, ...], out: str, force: bool, new_secrets: bool, change_kind: bool, **answers: Any) -> None:
    """Write a complete, self-contained stack into OUT/NAME."""
    from generator import new as new_mod

    answers["addresses"] = _parse_addresses(addresses)
    new_mod.generate(answers, out, force, echo=click.echo, new_secrets=new_secrets, change_kind=change_kind)


# ------------------------------------------------------------------ operating a stack
# Each command reads a stack directory and delegates to doctor / hosts / lifecycle / upgrade.

STACK_ARG = click.argument("stack", default=".", type=click.Path(file_okay=False))
HOSTS_FILE_OPT = click.option(
    "--hosts-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default="/etc/hosts",
    show_default=True,
    help="The hosts file to check.",
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
        raise StackError(
            "STACK", "no stack found here or in stacks/", f"create one first: {wording.command('new', None, ('--app', 'xpro'))}"
        )
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
    """Doctor, then build/pull and start STACK, follow the bootstrap until it exits, print the URLs
    (and, while the stack has no snapshot, the command that takes one)."""
    from generator import lifecycle, snapshots

    loaded = _stack(stack)
    # A restore killed half-way is finished or undone before any datastore starts.
    snapshots.recover_pending(loaded, click.echo)
    code = lifecycle.up(loaded, click.echo, check=not skip_doctor, hosts_file=hosts_file)
    if code == 0:
        snapshots.offer(loaded, click.echo)
    _exit(code)


@cli.command()
@STACK_ARG
def down(stack: str) -> None:
    """Stop STACK and remove its containers and network (data and secrets are kept)."""
    from generator import lifecycle

    try:
        loaded = _stack(stack)
    except StackError as exc:
        if not Path(stack).exists():
            # Doctor names the Compose projects it finds on the engine; one odl-stack did not make here is no STACK.
            name = Path(stack).name
            raise StackError(
                exc.field,
                exc.problem,
                f"{exc.fix}; a Compose project named {name} that no stack here made is stopped with: docker compose -p {name} down",
            ) from None
        raise
    _exit(lifecycle.down(loaded, click.echo))


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


TO_OPT = click.option(
    "--to", "to", type=click.Path(file_okay=False), help="Directory of the snapshots (default: STACK/snapshots/)."
)


@cli.command()
@click.argument("stack", type=click.Path(file_okay=False))
@click.argument("name", required=False)
@TO_OPT
def snapshot(stack: str, name: str | None, to: str | None) -> None:
    """Copy every datastore of STACK (its named volumes and tutor/data/) into snapshot NAME (default: the
    UTC time). The stack is stopped for the copy and started again."""
    from generator import snapshots

    snapshots.take(_stack(stack), click.echo, name, to)


@cli.command()
@click.argument("stack", type=click.Path(file_okay=False))
@click.argument("name")
@TO_OPT
@click.option("--yes", is_flag=True, help="Do not ask before replacing the data.")
def restore(stack: str, name: str, to: str | None, yes: bool) -> None:
    """Replace every datastore of STACK with snapshot NAME, all or nothing (asks first); a running stack is
    started again and its bootstrap's checklist shown."""
    from generator import snapshots

    _exit(snapshots.restore(_stack(stack), click.echo, name, to, confirm=lambda q: yes or click.confirm(q, default=False)))


@cli.command(name="snapshots")
@STACK_ARG
@TO_OPT
def list_snapshots(stack: str, to: str | None) -> None:
    """List STACK's snapshots: name, when, size, the odl-stack version and image references they were taken with."""
    from generator import snapshots

    _exit(snapshots.show(_stack(stack), click.echo, to))


@cli.command()
@STACK_ARG
def bootstrap(stack: str) -> None:
    """Run the bootstrap again (docker compose run --rm --no-deps bootstrap); a wired stack stays unchanged."""
    from generator import lifecycle

    _exit(lifecycle.bootstrap(_stack(stack), click.echo))


@cli.command()
@STACK_ARG
def verify(stack: str) -> None:
    """Only the bootstrap's checklist (docker compose run --rm --no-deps bootstrap verify); non-zero on any ✗."""
    from generator import lifecycle

    _exit(lifecycle.verify(_stack(stack), click.echo))


@cli.command()
@click.argument("stack", type=click.Path(file_okay=False))  # a missing STACK gets the list of stacks (stackdir.recorded)
@click.option(
    "--lms-port", type=int, help="Move every Open edX URL (LMS, Studio, MFEs, Meilisearch) to this port (host and container)."
)
@click.option("--app-port", type=int, help="Move the app to this port (host and container).")
@click.option("--subnet", help="Move the stack to this private subnet (pinned addresses are re-derived).")
@click.option(
    "--new-secrets",
    is_flag=True,
    help="Where secrets/secrets.json or tutor/config.yml is gone or empty and the stack has data, make new secrets anyway (then delete the data with `reset --data`); without data they are made anew unasked.",
)
def upgrade(stack: str, lms_port: int | None, app_port: int | None, subnet: str | None, new_secrets: bool) -> None:
    """Re-render STACK from the answers in its stack.json with this odl-stack; secrets, data and
    docker-compose.override.yml are kept. Shows what changed."""
    from generator import upgrade as upgrade_mod

    upgrade_mod.upgrade(Path(stack), click.echo, {"lms": lms_port, "app": app_port, "subnet": subnet}, new_secrets=new_secrets)


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


class Terminated(BaseException):
    """SIGTERM, raised where the program is, so every `finally` runs (BaseException: no handler of
    ordinary errors swallows it)."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def main() -> None:
    # A closed terminal or `kill` unwinds like Ctrl-C, so staging directories are removed and a
    # half-done swap is put back.
    signal.signal(signal.SIGTERM, _terminate)
    # Ctrl-C is KeyboardInterrupt (exit 130) even when this process was started with SIGINT ignored
    # (a shell's background job, some test runners), which Python would otherwise keep.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        # Without standalone mode click returns an Exit's code instead of exiting with it.
        code = cli.main(standalone_mode=False)
    except StackError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except click.exceptions.Abort as exc:
        # Click turns Ctrl-C (anywhere, not only at a prompt) into Abort; it is still an interruption.
        if isinstance(exc.__cause__, KeyboardInterrupt):
            click.echo("Interrupted.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        click.echo("Aborted.", err=True)  # end of input at a prompt
        sys.exit(EXIT_FAILED)
    except Terminated:
        click.echo("Terminated.", err=True)
        sys.exit(EXIT_TERMINATED)
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
        click.echo(
            f"Error: {what}. Fix: check that path's owner and permissions (files containers wrote may need sudo to change)",
            err=True,
        )
        sys.exit(EXIT_FAILED)
    except Exception as exc:  # the one place an unexpected failure becomes one line
        if os.environ.get("ODL_STACK_DEBUG"):
            raise
        where = _write_traceback(exc)
        click.echo(
            f"Error: unexpected {type(exc).__name__}: {exc}. The full traceback is in {where}; please report it with that file",
            err=True,
        )
        sys.exit(EXIT_FAILED)
    sys.exit(code if isinstance(code, int) else 0)
