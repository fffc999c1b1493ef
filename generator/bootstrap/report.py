"""Everything printed goes through here, masked: step results, the checklist, the way in."""

from __future__ import annotations

import sys
from typing import Any, Callable, Iterable, TextIO

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
