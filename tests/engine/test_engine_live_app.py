"""A stack built from a checkout of the app (--app-src), once per app, on the running stack: the
checklist is all ✓ as in a published-image stack, and each edit in the checkout is served without a
command: a view, a Celery task (the worker restarts and runs the new code), a JS entry point (the
watcher rebuilds the bundle). A dependency change is reported with the command that rebuilds.
Every wait is bounded and fails with what it last saw (live.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import live
import pytest
from harness import Stack, assert_all_green, started_stack


@pytest.fixture(scope="module", params=["xpro", "mitxonline"])
def live_stack(request: pytest.FixtureRequest, engine: None, stacks_dir: Path) -> Iterator[tuple[Stack, live.Edits]]:
    app = request.param
    edits = live.make_checkout(app, stacks_dir / "checkouts" / app)
    with started_stack(stacks_dir, app, f"live-{app}", "--app-src", str(edits.checkout)) as stack:
        yield stack, edits


def _log_lines(stack: Stack, service: str, needle: str) -> list[str]:
    return [line for line in stack.logs(service).splitlines() if needle in line]


def test_up_then_bootstrap_exits_0_with_all_checks_green(live_stack) -> None:
    stack, edits = live_stack
    output = stack.first_bootstrap  # type: ignore[attr-defined]
    assert stack.timings["bootstrap exit code"] == 0, output
    assert_all_green(output)
    # The app runs the checkout: the mounted source (with the probe the checkout added) is served.
    assert live.view_probe(stack) == "view-0"
    config = stack.compose("config", "--format", "json", check=True).stdout
    assert str(edits.checkout) in config  # Compose resolved the stack's relative mount to the checkout


def test_editing_a_view_changes_the_apps_response(live_stack) -> None:
    stack, edits = live_stack
    since = edits.view(1)
    seconds = live.wait_view(stack, 1, since)
    print(f"    [live] {edits.app}: view edit served after {seconds:.2f}s")


def test_editing_a_celery_task_restarts_the_worker_which_runs_the_new_code(live_stack) -> None:
    stack, edits = live_stack
    assert live.wait_task(stack, edits, 0, time.time(), timeout=60) >= 0  # the worker runs the checkout's task
    restarts = len(_log_lines(stack, "app-celery", "odl-stack reload: changed:"))
    since = edits.task(1)
    seconds = live.wait_task(stack, edits, 1, since)
    lines = _log_lines(stack, "app-celery", "odl-stack reload: changed:")
    assert len(lines) > restarts and f"{edits.task_file.parent.name}/tasks.py" in lines[-1], lines
    print(f"    [live] {edits.app}: Celery task edit run after {seconds:.2f}s")


def test_editing_a_js_entry_point_makes_the_watcher_rebuild(live_stack) -> None:
    stack, edits = live_stack
    port = live.watch_port(edits.app)
    assert live.js_bundle(port) == "entry-0"
    builds = len(_log_lines(stack, "watch", "compiled build"))
    since = edits.js(1)
    seconds = live.wait_js(port, 1, since)
    assert len(_log_lines(stack, "watch", "compiled build")) > builds
    print(f"    [live] {edits.app}: JS edit rebuilt after {seconds:.2f}s")


def test_a_dependency_change_is_reported_with_the_command_that_rebuilds(live_stack) -> None:
    stack, edits = live_stack
    lock = edits.checkout / "uv.lock"
    lock.write_text(lock.read_text() + "# a new dependency\n")
    deadline, lines = time.monotonic() + 30, []
    while time.monotonic() < deadline and not lines:
        lines = _log_lines(stack, "app-celery", "uv.lock changed")
        time.sleep(0.5)
    assert lines, f"no report of the uv.lock change in 30s; app-celery's log ends:\n{stack.logs('app-celery', tail=15)}"
    assert "docker compose up -d --build --force-recreate app-init app-web app-celery" in lines[-1], lines
