"""Fixtures of the engine tier. Run through tests/engine/run.sh (`make e2e`), which installs
and starts the engine and builds the stand-in images; run directly, these tests FAIL (never
skip) when no engine answers or a stand-in image is missing."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from harness import IMAGES_FILE, PROJECT_PREFIX, TIMES, Stack, generate, record, run

_FAILED_STACKS: dict[str, Stack] = {}


@pytest.fixture(scope="session")
def engine() -> None:
    proc = run(["docker", "info", "--format", "{{.ServerVersion}}"], timeout=30)
    if proc.returncode != 0:
        pytest.fail(f"No Docker engine answers (run tests/engine/run.sh): {proc.stderr.strip()}", pytrace=False)
    images = yaml.safe_load(IMAGES_FILE.read_text())
    missing = [ref for ref in images.values() if run(["docker", "image", "inspect", ref]).returncode != 0]
    if missing:
        pytest.fail(f"Stand-in images missing (run tests/engine/run.sh): {', '.join(missing)}", pytrace=False)
    # Images the stacks build FROM a stand-in (the thin openedx image, the bootstrap image)
    # must be rebuilt from this run's stand-ins, not reused from an earlier run.
    remove_standin_derived_images()


def remove_standin_derived_images() -> None:
    proc = run(["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "odl-stack/*"])
    for ref in proc.stdout.split():
        title = run(["docker", "image", "inspect", "--format",
                     '{{index .Config.Labels "org.opencontainers.image.title"}}', ref]).stdout
        if "stand-in" in title:
            run(["docker", "image", "rm", "-f", ref])


@pytest.fixture(scope="session")
def stacks_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine-stacks")


def bring_up(stack: Stack, label: str) -> str:
    """`docker compose up -d`, then wait for the one-shot bootstrap to exit; its output."""
    t0 = time.monotonic()
    proc = stack.up()
    if proc.returncode != 0:
        raise AssertionError(f"docker compose up -d failed for {stack.project}:\n{proc.stderr[-4000:]}\n{stack.diagnose()}")
    code = stack.wait_exit("bootstrap")
    stack.timings["up to bootstrap exit"] = time.monotonic() - t0
    record(f"{label}: docker compose up -d → bootstrap exited {code}", stack.timings["up to bootstrap exit"])
    stack.timings["bootstrap exit code"] = code
    return stack.logs("bootstrap")


@contextlib.contextmanager
def started_stack(stacks_dir: Path, app: str, label: str, *extra: str) -> Iterator[Stack]:
    """Generate `app` (with `extra` options of `odl-stack new`), bring it up, wait for its
    bootstrap; always torn down, with diagnostics when one of its tests failed."""
    t0 = time.monotonic()
    s = Stack(generate(app, stacks_dir / label, f"{PROJECT_PREFIX}{label}", *extra))
    record(f"{label}: odl-stack new", time.monotonic() - t0)
    try:
        s.first_bootstrap = bring_up(s, label)  # type: ignore[attr-defined]
        yield s
    finally:
        if s.project in _FAILED_STACKS:
            print(f"\n===== diagnostics of {s.project} =====\n{s.diagnose()}", flush=True)
        s.down()
        record(f"{label}: docker compose down -v", s.timings.get("compose down", 0))


@pytest.fixture(scope="module", params=["xpro", "mitxonline"])
def stack(request: pytest.FixtureRequest, engine: None, stacks_dir: Path) -> Iterator[Stack]:
    with started_stack(stacks_dir, request.param, request.param) as s:
        yield s


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, Stack):
                _FAILED_STACKS[value.project] = value


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        TIMES.append((f"scenario {report.nodeid.split('::', 1)[-1]} [{report.outcome}]", report.duration))


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    if not TIMES:
        return
    terminalreporter.section("engine tier: time of each step and scenario")
    for label, seconds in TIMES:
        terminalreporter.write_line(f"{seconds:7.1f}s  {label}")
    terminalreporter.write_line(f"{sum(s for _, s in TIMES):7.1f}s  total (steps + scenarios)")
