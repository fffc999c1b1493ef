"""doctor's findings as a person reads them: one line each, the fix under it, a count at the end."""

from __future__ import annotations

from collections.abc import Sequence

from generator.doctor.checks import FAIL, OK, WARN, Finding

SYMBOLS = {OK: "✓", WARN: "⚠", FAIL: "✗"}


def format_findings(findings: Sequence[Finding]) -> str:
    lines = []
    for f in findings:
        lines.append(f"{SYMBOLS[f.status]} {f.check}: {f.message}")
        if f.fix and f.status != OK:
            lines.append(f"    fix: {f.fix}")
    counts = {s: sum(1 for f in findings if f.status == s) for s in (OK, WARN, FAIL)}
    lines.append(f"{len(findings)} checks: {counts[OK]} ✓  {counts[WARN]} ⚠  {counts[FAIL]} ✗")
    return "\n".join(lines)
