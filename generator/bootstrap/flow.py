"""`run` and `verify`: wait for the dependencies, reconcile both sides, print the checklist."""

from __future__ import annotations

from typing import Any, Callable

from . import keycloak
from . import plan as planmod
from .engine import Engine
from .probes import Answer
from .report import Reporter, render_checklist, way_in
from .sides import Launches, run_side
from .verify import Check, course_check, course_run_checks, front_checks, learner_checks, optional_step_checks, reachability_checks, record_checks
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
    # Keycloak is waited for by its reconciler (keycloak.run), after both sides are reconciled.
    return [
        Dependency(f"Open edX LMS answering {ox['heartbeat_url']}", ox["service"], timeouts["lms"], _http_ready(engine, ox["service"], ox["heartbeat_url"], get)),
        Dependency(f"MIT app answering {ap['health_url']}", ap["service"], timeouts["app"], _http_ready(engine, ap["service"], ap["health_url"], get)),
    ]


def _keycloak(plan: planmod.Plan, engine: Engine, out: Reporter, mode: str) -> list[Check]:
    if not plan.keycloak:
        return []

    def exec_in(service: str) -> Callable[[list[str]], Any]:
        return lambda argv: engine.require(service).exec_run(list(argv))

    services = {"apisix": exec_in("apisix"), plan.openedx["service"]: exec_in(plan.openedx["service"])}
    if mode != "run":
        return keycloak.verify(plan.keycloak, plan.secrets, exec_in=services)
    out.say("Reconciling Keycloak (admin REST API)...")
    changes, kc_checks = keycloak.run(
        plan.keycloak, plan.secrets, timeout=plan.data["timeouts"]["keycloak"], exec_in=services, log=out.say
    )
    for change in changes:
        out.say(f"  updated   keycloak: {change}")
    if not changes:
        out.say("  unchanged keycloak realm client")
    return kc_checks


def execute(
    command: str,
    plan: planmod.Plan,
    engine: Engine,
    out: Reporter,
    get: Callable[..., Answer],
    wait: Callable[..., float] = wait_for,
) -> int:
    """The whole bootstrap (`run`) or only the checklist (`verify`); the exit code (0 or 1)."""
    for dep in dependencies(plan, engine, get):
        wait(dep, out.say)

    mode = "run" if command == "run" else "verify"
    launches = Launches()
    results: dict[str, dict[str, Any]] = {}
    for side, section, data in (
        ("lms", plan.openedx, planmod.lms_data(plan, mode)),
        ("app", plan.app, planmod.app_data(plan, mode)),
    ):
        if mode == "run":
            out.say(f"Reconciling the {'Open edX' if side == 'lms' else 'MIT app'} side in '{section['service']}' (one Django process)...")
        results[side] = run_side(engine, side, section, data, launches, out.mask)
        if mode == "run":
            counts = out.steps(results[side]["steps"])
            results[side]["counts"] = counts
    if mode == "run":
        total = {k: results["lms"]["counts"][k] + results["app"]["counts"][k] for k in ("created", "updated", "unchanged")}
        out.summary(total, launches.counts)
        seconds = (results["app"]["facts"].get("course") or {}).get("seconds")
        if seconds is not None:
            out.say(f"Course steps in the app's process (run, product, sync, enrollment): {seconds:.1f}s")
    else:
        out.say(f"Django launches: {launches.total} ({', '.join(f'{s} {n}' for s, n in sorted(launches.counts.items()))})")

    kc_checks = _keycloak(plan, engine, out, mode)
    checks: list[Check] = record_checks(plan, results["lms"]["facts"], results["app"]["facts"])
    checks += learner_checks(plan, results["app"]["facts"], results["app"].get("failures", {}), get)
    checks += reachability_checks(plan, engine, get)
    checks += front_checks(plan, get)
    checks.append(course_check(plan, get))
    checks += course_run_checks(plan, results["app"]["facts"], results["app"].get("failures", {}), get)
    checks += kc_checks
    checks += optional_step_checks(plan, engine)
    out.say("Verification:")
    for line in render_checklist(checks):
        out.say(line)
    failed = [c for c in checks if not c.ok]
    warned = sum(1 for c in checks if c.warn)
    counted = len(checks) - warned
    if failed:
        out.say(f"{len(failed)} of {counted} checks failed. Fix the cause, then re-run: docker compose run --rm bootstrap")
        return 1
    out.say(f"All {counted} checks passed." + (f" {warned} ⚠ above: optional, the stack works without." if warned else ""))
    for line in way_in(plan.data):
        out.say(line)
    return 0
