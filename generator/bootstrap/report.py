"""Everything printed goes through here, masked: step results, the checklist, the way in."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from .verify import Check

RESULTS = ("created", "updated", "unchanged")


class Reporter:
    def __init__(self, mask: Callable[[str], str], stream: TextIO | None = None) -> None:
        self.mask = mask
        self.stream = stream or sys.stdout

    def say(self, text: str) -> None:
        self.stream.write(self.mask(text) + "\n")
        self.stream.flush()

    def steps(self, steps: Iterable[dict[str, Any]]) -> dict[str, int]:
        counts = dict.fromkeys(RESULTS, 0)
        for step in steps:
            counts[step["result"]] = counts.get(step["result"], 0) + 1
            detail = f" ({', '.join(step['changed'])})" if step.get("changed") else ""
            self.say(f"  {step['result']:<9} {step['step']}{detail}")
        return counts

    def summary(self, counts: dict[str, int], launches: dict[str, int]) -> None:
        total = sum(launches.values())
        per_side = ", ".join(f"{side} {n}" for side, n in sorted(launches.items()))
        wrote = "nothing written" if counts["created"] + counts["updated"] == 0 else "changes written"
        self.say(
            f"Reconciled: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged "
            f"({wrote}); Django launches: {total} ({per_side})"
        )


def render_checklist(checks: Iterable[Check]) -> list[str]:
    lines = []
    for check in checks:
        if check.warn:
            lines.append(f"  ⚠ {check.label}: {check.reason}")
        else:
            lines.append(f"  ✓ {check.label}" if check.ok else f"  ✗ {check.label}: {check.reason}")
    return lines


def way_in(plan_data: dict[str, Any]) -> list[str]:
    ox, ap = plan_data["openedx"], plan_data["app"]
    lines = [
        f"Open {ap['url']} and log in: the MIT app sends you through '{ox['provider']['backend_name']}' into the LMS.",
        f"  MIT app admin:  {ap['url']}/admin",
        f"  Open edX LMS:   {ox['url']}   (admin: {ox['url']}/admin)",
    ]
    if plan_data.get("keycloak"):
        lines.append(f"  Keycloak:       {plan_data['keycloak']['url']}/admin")
    lines.append(f"Credentials: {plan_data['credentials_file']} in the stack directory (private, mode 0600).")
    return lines


class Timings:
    """Where a run's seconds go, printed as one line at its end: the process's own start
    (interpreter and imports, before main), then each phase, and inside each Django process
    its start-up (the exec's time less the script's phases) and the script's phases."""

    def __init__(self, started: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.phases: dict[str, float] = {"process start": started} if started else {}
        self.sides: dict[str, dict[str, float]] = {}
        self.steps: dict[str, dict[str, float]] = {}  # steps timed inside a side's phases
        self.mark = clock()

    def lap(self, phase: str) -> None:
        now = self.clock()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - self.mark
        self.mark = now

    def side(self, name: str, seconds: dict[str, float], steps: dict[str, float] | None = None) -> None:
        self.sides[name] = dict(seconds)
        self.steps[name] = dict(steps or {})

    def line(self) -> str:
        parts = []
        for phase, seconds in self.phases.items():
            parts.append(f"{phase} {seconds:.2f}")
        for name, side in self.sides.items():
            process = side.get("process", 0.0)
            inner = {k: v for k, v in side.items() if k != "process"}
            steps = ", ".join(f"{k} {v:.2f}" for k, v in inner.items())
            within = "".join(f"; {k} {v:.2f}" for k, v in self.steps.get(name, {}).items())
            parts.append(
                f"{name} process {process:.2f} (Django start-up {max(process - sum(inner.values()), 0.0):.2f}, {steps}{within})"
            )
        return f"Seconds: {sum(self.phases.values()):.2f} in all: " + "; ".join(parts)
