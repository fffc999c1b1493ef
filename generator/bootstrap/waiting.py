"""Bounded waiting with backoff: announce once, retry, and on timeout name the service and error."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

FIRST_DELAY = 1.0
MAX_DELAY = 15.0


class WaitTimeout(Exception):
    """A dependency did not become ready in time (exit code 3)."""


@dataclass(frozen=True)
class Dependency:
    what: str  # e.g. "Open edX LMS answering http://openedx.odl.local:8000/heartbeat"
    service: str
    timeout: float
    check: Callable[[], str | None]  # None when ready, else the reason it is not


def human(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 120:
        return f"{seconds}s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}m" if not rest else f"{minutes}m{rest:02d}s"


def wait_for(
    dep: Dependency,
    say: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Block until dep.check() passes; the seconds waited. Raises WaitTimeout."""
    start = clock()
    error = dep.check()
    if error is None:
        say(f"ready: {dep.what}")
        return 0.0
    say(f"waiting for {dep.what} (service '{dep.service}', up to {human(dep.timeout)}): {error}")
    delay = FIRST_DELAY
    while True:
        remaining = dep.timeout - (clock() - start)
        if remaining <= 0:
            raise WaitTimeout(
                f"timed out after {human(dep.timeout)} waiting for {dep.what} (service '{dep.service}'); last error: {error}"
            )
        sleep(min(delay, remaining))
        delay = min(delay * 2, MAX_DELAY)
        error = dep.check()
        if error is None:
            waited = clock() - start
            say(f"ready after {human(waited)}: {dep.what}")
            return waited
