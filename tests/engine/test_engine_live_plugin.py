"""An Open edX plugin from a checkout, live: `odl-stack new --openedx-plugin-src` with a stand-in
ol-social-auth checkout (tests/standins/checkouts/ol_social_auth, laid out as mitodl/open-edx-plugins'
src/ol_social_auth). The checkout replaces the pinned wheel in lms, cms and their workers (installed
editable at start, mounted at /mnt/ol_social_auth by Tutor's MOUNTS), the bootstrap's checklist is all
✓ with the checkout's backend doing the logins, and an edit saved in the checkout is what the LMS serves
next (uWSGI py-autoreload; the stand-in honours it, tests/standins/images/lms-standin/bin/uwsgi)."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Stack, assert_all_green, run, started_stack
from live_plugin import copy_checkout, edit_until_served, served_scope, set_scope

CODE_SERVICES = ("lms", "cms", "lms-worker", "cms-worker")
STEADY = 8  # answers in a row (the LMS runs 2 workers; each must serve the same code)
WHERE = "import importlib.metadata as m, ol_social_auth; print(ol_social_auth.__file__, m.version('ol-social-auth'))"


@pytest.fixture(scope="module")
def live(engine: None, stacks_dir: Path) -> Iterator[tuple[Stack, Path]]:
    root = stacks_dir / "live-plugin"
    root.mkdir(parents=True, exist_ok=True)
    checkout = copy_checkout(root / "checkouts")
    with started_stack(stacks_dir, "xpro", "live-plugin", "--openedx-plugin-src", str(checkout)) as stack:
        yield stack, checkout


def test_checklist_is_all_green_with_the_checkouts_backend(live: tuple[Stack, Path]) -> None:
    stack, _checkout = live
    assert stack.timings["bootstrap exit code"] == 0, stack.first_bootstrap  # type: ignore[attr-defined]
    assert_all_green(stack.first_bootstrap)  # type: ignore[attr-defined]


def test_the_checkout_replaces_the_pinned_wheel_in_every_code_service(live: tuple[Stack, Path]) -> None:
    stack, _checkout = live
    for service in CODE_SERVICES:
        proc = stack.exec(service, "python", "-c", WHERE)
        assert proc.returncode == 0, f"{service}: {proc.stderr}"
        assert proc.stdout.split() == ["/mnt/ol_social_auth/ol_social_auth/__init__.py", "0.2.2+standin"], (service, proc.stdout)


def test_an_edit_in_the_checkout_changes_what_the_lms_serves(live: tuple[Stack, Path]) -> None:
    stack, checkout = live
    # Every LMS worker has the backend loaded before the edit (several answers, all the old scope), so
    # only a reload can make them serve the new one: a worker importing the module late would not prove it.
    before = [served_scope(stack) for _ in range(STEADY)]
    assert before == ["user:read"] * STEADY, f"before the edit the LMS served scope={before!r}"
    try:
        edit_until_served(stack, checkout, "odl-live-edit")
        after = [served_scope(stack) for _ in range(STEADY)]
        assert all("odl-live-edit" in scope.split() for scope in after), f"after the edit was first served: {after!r}"
    finally:
        set_scope(checkout, ["user:read"])


def _started_at(stack: Stack, service: str) -> str:
    return run(["docker", "inspect", "--format", "{{.State.StartedAt}}", stack.container(service)], check=True).stdout.strip()


def test_compose_watch_restarts_the_workers_on_an_edit(live: tuple[Stack, Path]) -> None:
    """Celery does not reload: the workers' `develop.watch` rule (action `restart`) restarts them."""
    stack, checkout = live
    workers = ("lms-worker", "cms-worker")
    before = {w: _started_at(stack, w) for w in workers}
    watch = subprocess.Popen(
        ["docker", "compose", "watch", "--no-up", *workers],
        cwd=stack.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(watch.stdout.readline, "")), daemon=True).start()  # type: ignore[union-attr]
    try:
        deadline = time.monotonic() + 30
        while not any("watch enabled" in line.lower() for line in lines):
            assert time.monotonic() < deadline and watch.poll() is None, f"compose watch did not start: {''.join(lines)[-2000:]}"
            time.sleep(0.2)
        set_scope(checkout, ["user:read", "odl-worker-edit"])
        deadline, seen = time.monotonic() + 60, before
        while time.monotonic() < deadline:
            seen = {w: _started_at(stack, w) for w in workers}
            if all(seen[w] != before[w] for w in workers):
                break
            time.sleep(1)
        assert all(seen[w] != before[w] for w in workers), f"workers not restarted within 60 s: {before} -> {seen}"
    finally:
        set_scope(checkout, ["user:read"])
        watch.terminate()
        watch.wait(timeout=30)
    for w in workers:
        proc = stack.exec(w, "python", "-c", WHERE)
        assert proc.returncode == 0 and "/mnt/ol_social_auth/" in proc.stdout, (
            w,
            proc.stdout,
            proc.stderr,
            "".join(lines)[-2000:],
        )
