"""`odl-stack doctor`: can this stack start here? Every finding ✓/⚠/✗ with its fix.

checks: the pure checks and their `Finding`s; formatting: findings as text; diagnosis: `diagnose`, every
check run on one stack. The facts they are given (engine, Compose, host routes) come from
generator.enginefacts, the one place that asks the Docker engine.
"""

from __future__ import annotations

from generator.doctor.checks import FAIL, OK, WARN, Finding
from generator.doctor.diagnosis import diagnose
from generator.doctor.formatting import format_findings

__all__ = ["FAIL", "OK", "WARN", "Finding", "diagnose", "format_findings"]
