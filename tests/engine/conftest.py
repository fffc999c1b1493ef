"""Fixtures of the engine tier. Run through tests/engine/run.sh (`make e2e`), which installs
and starts the engine and builds the stand-in images; run directly, these tests FAIL (never
skip) when no engine answers or a stand-in image is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from harness import FAILED_STACKS, FIGURES, IMAGES_FILE, REAL, TIMES, Stack, run, started_stack


@pytest.fixture(scope="session")
def engine() -> None:
    proc = run(["docker", "info", "--format", "{{.ServerVersion}}"], timeout=30)
    if proc.returncode != 0:
        pytest.fail(f"No Docker engine answers (run tests/engine/run.sh): {proc.stderr.strip()}", pytrace=False)
    if REAL:
        return  # the published images, pulled by run.sh (real_images.py)
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
        title = run(
            ["docker", "image", "inspect", "--format", '{{index .Config.Labels "org.opencontainers.image.title"}}', ref]
        ).stdout
        if "stand-in" in title:
            run(["docker", "image", "rm", "-f", ref])


@pytest.fixture(scope="session")
def stacks_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine-stacks")


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
                FAILED_STACKS[value.project] = value


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        outcome = "xfailed" if hasattr(report, "wasxfail") and report.skipped else report.outcome
        TIMES.append((f"scenario {report.nodeid.split('::', 1)[-1]} [{outcome}]", report.duration))


def pytest_terminal_summary(terminalreporter) -> None:
    if not TIMES:
        return
    terminalreporter.section("engine tier: time of each step and scenario")
    for label, seconds in TIMES:
        terminalreporter.write_line(f"{seconds:7.1f}s  {label}")
    terminalreporter.write_line(f"{sum(s for _, s in TIMES):7.1f}s  total (steps + scenarios)")
    terminalreporter.section(f"engine tier: each stack on {'the published' if REAL else 'stand-in'} images")
    for line in FIGURES:
        terminalreporter.write_line(line)
