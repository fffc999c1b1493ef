"""`run` and `verify`: wait for the dependencies, reconcile both sides, print the checklist."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from . import inbox, keycloak
from . import plan as planmod
from .engine import Engine
from .probes import Answer, request
from .report import Reporter, Timings, render_checklist, way_in
from .sides import Gate, Launches, run_side
from .verify import (
    Check,
    course_check,
    course_run_checks,
    front_checks,
    learner_checks,
    optional_step_checks,
    reachability_checks,
    record_checks,
)
from .waiting import Dependency, wait_for


def _http_ready(engine: Engine, service: str, url: str, get: Callable[..., Answer]) -> Callable[[], str | None]:
    def check() -> str | None:
        if engine.container(service) is None:
            return engine.describe(service)
        answer = get(url)
        if answer.status == 200:
            return None
        return f"{url} answered {answer.describe()}"

    return check


def dependencies(plan: planmod.Plan, engine: Engine, get: Callable[..., Answer]) -> list[Dependency]:
    """What must answer before any Django process is started, with the plan's timeouts."""
    ox, ap, timeouts = plan.openedx, plan.app, plan.data["timeouts"]
    # Tutor's init jobs (migrations) complete before the LMS container starts, so a running LMS
    # answering /heartbeat is normally a migrated one; each side script also waits, inside its
    # single Django process, for pending migrations (and names them on timeout).
    # Keycloak is waited for by its reconciler (keycloak.run), once the LMS side is reconciled.
    return [
        Dependency(
            f"Open edX LMS answering {ox['heartbeat_url']}",
            ox["service"],
            timeouts["lms"],
            _http_ready(engine, ox["service"], ox["heartbeat_url"], get),
        ),
        Dependency(
            f"MIT app answering {ap['health_url']}",
            ap["service"],
            timeouts["app"],
            _http_ready(engine, ap["service"], ap["health_url"], get),
        ),
    ]


def _keycloak(plan: planmod.Plan, engine: Engine, say: Callable[[str], None], mode: str) -> list[Check]:
    if not plan.keycloak:
        return []

    def exec_in(service: str) -> Callable[[list[str]], Any]:
        return lambda argv: engine.require(service).exec_run(list(argv))

    services = {"apisix": exec_in("apisix"), plan.openedx["service"]: exec_in(plan.openedx["service"])}
    if mode != "run":
        return keycloak.verify(plan.keycloak, plan.secrets, exec_in=services)
    say("Reconciling Keycloak (admin REST API)...")
    changes, kc_checks = keycloak.run(
        plan.keycloak, plan.secrets, timeout=plan.data["timeouts"]["keycloak"], exec_in=services, log=say
    )
    for change in changes:
        say(f"  updated   keycloak: {change}")
    if not changes:
        say("  unchanged keycloak realm client")
    return kc_checks


# The app side's process, plus the checklist's checks that run at once.
POOL = 8


def _run_sides(
    plan: planmod.Plan,
    engine: Engine,
    mode: str,
    launches: Launches,
    out: Reporter,
    pool: ThreadPoolExecutor,
    lms_done: Callable[[], None],
) -> dict[str, dict[str, Any]]:
    """Both Django processes start at once: each one's start-up is most of its side's time.
    The app side's own transaction needs nothing from the LMS side (every secret is in the
    plan); its learner and course steps call the LMS, so they wait for the gate, said once
    the LMS side has committed (`stop` if it failed). Each side's steps are printed in the
    same order every time: the LMS's, then the app's."""
    ox, ap = plan.openedx, plan.app
    if mode == "run":
        out.say(
            f"Reconciling the Open edX side in '{ox['service']}' and the MIT app side in '{ap['service']}' at once "
            "(one Django process each; the app's learner and course steps start once the Open edX side has committed)..."
        )
    gate = Gate(after="lms")
    app = pool.submit(run_side, engine, "app", ap, planmod.app_data(plan, mode), launches, out.mask, gate)
    try:
        results = {"lms": run_side(engine, "lms", ox, planmod.lms_data(plan, mode), launches, out.mask)}
        gate.say("go")
    finally:
        gate.say("stop")  # a no-op after `go`; otherwise the app side stops before calling the LMS
    lms_done()
    for side in ("lms", "app"):
        if side == "app":
            results["app"] = app.result()
        if mode == "run":
            results[side]["counts"] = out.steps(results[side]["steps"])
    return results


def execute(
    command: str,
    plan: planmod.Plan,
    engine: Engine,
    out: Reporter,
    get: Callable[..., Answer],
    wait: Callable[..., float] = wait_for,
    timings: Timings | None = None,
    http: Callable[..., Answer] = request,
) -> int:
    """The whole bootstrap (`run`) or only the checklist (`verify`); the exit code (0 or 1).
    `http` (any method) reaches the stack's mail inbox."""
    timings = timings or Timings()
    for dep in dependencies(plan, engine, get):
        wait(dep, out.say)
    timings.lap("waits")

    mode = "run" if command == "run" else "verify"
    launches = Launches()
    # One pool for the app side's process and the checklist's HTTP checks; results are
    # gathered in a fixed order, so the output reads the same whatever finishes first.
    with ThreadPoolExecutor(max_workers=POOL) as pool:
        early: list[Future[list[Check]]] = []
        kc_lines: list[str] = []  # Keycloak's lines, printed where they always were

        def lms_done() -> None:
            # Keycloak, and the checks that need only the LMS side's rows (the service-worker
            # token), start now, while the app side runs on.
            early.extend(
                [
                    pool.submit(_keycloak, plan, engine, kc_lines.append, mode),
                    pool.submit(reachability_checks, plan, engine, get),
                    pool.submit(front_checks, plan, get),
                    pool.submit(lambda: [course_check(plan, get)]),
                    pool.submit(optional_step_checks, plan, engine),
                ]
            )

        results = _run_sides(plan, engine, mode, launches, out, pool, lms_done)
        timings.lap("sides")
        for side in ("lms", "app"):
            timings.side(side, results[side].get("seconds", {}), results[side].get("step_seconds"))
        if mode == "run":
            total = {k: results["lms"]["counts"][k] + results["app"]["counts"][k] for k in ("created", "updated", "unchanged")}
            out.summary(total, launches.counts)
            seconds = (results["app"]["facts"].get("course") or {}).get("seconds")
            if seconds is not None:
                out.say(f"Course steps in the app's process (run, product, sync, enrollment): {seconds:.1f}s")
        else:
            out.say(f"Django launches: {launches.total} ({', '.join(f'{s} {n}' for s, n in sorted(launches.counts.items()))})")

        app_facts, app_failures = results["app"]["facts"], results["app"].get("failures", {})
        learner = pool.submit(learner_checks, plan, app_facts, app_failures, get)
        course_runs = pool.submit(course_run_checks, plan, app_facts, app_failures, get)
        mail = pool.submit(inbox.mail_checks, plan, {"lms": results["lms"]["facts"], "app": app_facts}, http)
        try:
            kc_checks = early[0].result()
        finally:
            for line in kc_lines:
                out.say(line)
        timings.lap("waiting on keycloak")
        reach, front, course, optional = (f.result() for f in early[1:])
        checks: list[Check] = record_checks(plan, results["lms"]["facts"], app_facts)
        checks += learner.result() + reach + front + course + course_runs.result() + mail.result() + kc_checks + optional
    timings.lap("checks")
    out.say("Verification:")
    for line in render_checklist(checks):
        out.say(line)
    out.say(timings.line())
    failed = [c for c in checks if not c.ok]
    warned = sum(1 for c in checks if c.warn)
    counted = len(checks) - warned
    if failed:
        out.say(
            f"{len(failed)} of {counted} checks failed. Fix the cause, then re-run: docker compose run --rm --no-deps bootstrap"
        )
        return 1
    out.say(f"All {counted} checks passed." + (f" {warned} ⚠ above: optional, the stack works without." if warned else ""))
    for line in way_in(plan.data):
        out.say(line)
    return 0
