"""Entry point: `python -m odl_bootstrap [run|verify] [--plan PLAN] [--stack DIR]`.

Exit codes: 0 all checks ✓; 1 a check ✗; 2 bad plan/secrets or refused (wrong project);
3 a dependency did not become ready in time; 4 Docker or a Django-side script failed;
130 interrupted (SIGINT/SIGTERM; a re-run converges).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import plan as planmod
from .engine import Engine, EngineError
from .flow import execute
from .probes import get, request
from .report import Reporter, Timings
from .sides import SideError
from .waiting import WaitTimeout

EXIT_OK, EXIT_CHECKS, EXIT_PLAN, EXIT_TIMEOUT, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
PROJECT_ENV = "ODL_COMPOSE_PROJECT"


def _interrupt(signum: int, frame: Any) -> None:
    # As PID 1, Python ignores SIGTERM by default; turn it into the same path as Ctrl-C so
    # `finally` blocks remove the temp files from the containers.
    raise KeyboardInterrupt


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="odl_bootstrap", description="Wire Open edX and the MIT app of this stack, then verify."
    )
    parser.add_argument("command", nargs="?", default="run", choices=("run", "verify"))
    parser.add_argument("--plan", default="/stack/plan.json", type=Path)
    parser.add_argument("--stack", default="/stack", type=Path)
    return parser.parse_args(list(argv))


def _process_age() -> float:
    """Seconds since this process started (Linux /proc), so the run's time line includes the
    interpreter's start and the imports; 0 where /proc is not there."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK"), 0.0)
    except (OSError, ValueError, IndexError):
        return 0.0


def _docker_client() -> Any:
    import docker  # imported late: only the runtime needs it

    return docker.from_env()


def main(
    argv: Sequence[str] | None = None,
    client_factory: Callable[[], Any] = _docker_client,
    environ: dict[str, str] | None = None,
    stream: Any = None,
    http_get: Callable[..., Any] = get,
    http: Callable[..., Any] = request,
) -> int:
    timings = Timings(_process_age() if argv is None else 0.0)  # in-process callers (tests) have no start of their own
    args = parse_args(sys.argv[1:] if argv is None else argv)
    environ = dict(os.environ if environ is None else environ)
    plain = Reporter(lambda text: text, stream)
    try:
        plan = planmod.load(args.plan, args.stack)
    except planmod.PlanError as exc:
        plain.say(f"✗ {exc}")
        return EXIT_PLAN
    out = Reporter(plan.masker(), stream)
    expected = environ.get(PROJECT_ENV)
    if expected is not None and expected != plan.project:
        out.say(f"✗ refusing to run: this container belongs to compose project '{expected}' but the plan is for '{plan.project}'")
        return EXIT_PLAN
    out.say(
        f"odl-stack bootstrap ({args.command}) for compose project '{plan.project}' ({plan.data['app_name']}, profile {plan.data['profile']})"
    )
    try:
        engine = Engine(client_factory(), plan.project)
        return execute(args.command, plan, engine, out, http_get, timings=timings, http=http)
    except planmod.PlanError as exc:
        out.say(f"✗ {exc}")
        return EXIT_PLAN
    except WaitTimeout as exc:
        out.say(f"✗ {exc}")
        return EXIT_TIMEOUT
    except (EngineError, SideError) as exc:
        out.say(f"✗ {exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        out.say("✗ interrupted; nothing is left half-written (each side runs in one transaction). Re-run to converge.")
        return EXIT_INTERRUPTED
    except Exception as exc:  # docker.errors.DockerException (no socket, ...) and the unexpected
        out.say(f"✗ {type(exc).__name__}: {exc}")
        return EXIT_FAILED


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)
    sys.exit(main())
