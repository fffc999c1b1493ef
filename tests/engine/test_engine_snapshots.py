"""Snapshot and restore on the real engine, on each app's stack: data made after a snapshot is gone
after the restore, the snapshot's data is back, the checklist is all ✓ with every step `unchanged`, the
init one-shots skip what their data records as done, and a restore killed while staging or while
swapping converges on the next `up`. The seconds of a fresh up and of a restore go to
.cache/engine/bench-snapshots.json, which `make bench` (tests/bench_snapshots.py) prints."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import FIGURES, PYTHON, ROOT, Stack, assert_all_green, bootstrap_report, log, record, started_stack

FIGURES_FILE = ROOT / ".cache" / "engine" / "bench-snapshots.json"
SNAPSHOT = "s1"
SKIPPING_INITS = ("openedx-init-2-mysql", "openedx-init-4-lms", "openedx-init-5-cms", "openedx-course-import", "app-init")


@pytest.fixture(scope="module", params=["xpro", "mitxonline"])
def stack(request: pytest.FixtureRequest, engine: None, stacks_dir: Path) -> Iterator[Stack]:
    """A stack of each app of this module's own (the scenarios' stacks of the same apps are gone by now,
    their directories are not): snapshots change its data."""
    with started_stack(stacks_dir, request.param, f"snap-{request.param}") as s:
        yield s


def _odl(stack: Stack, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "generator", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def _users(stack: Stack, code: str) -> dict[str, list[str]]:
    """Run `code` in a Django shell of each side; what it prints last, per side."""
    out = {}
    for side in ("app", "openedx"):
        facts = stack.plan[side]
        # Just after a start the side's database may not answer yet: retried for a bounded time.
        deadline = time.monotonic() + 120
        while True:
            proc = stack.exec(
                facts["service"],
                *facts["manage"],
                "shell",
                input="from django.contrib.auth import get_user_model\nU = get_user_model()\n" + code,
                timeout=300,
            )
            if proc.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(3)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        out[side] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def _make(stack: Stack, name: str) -> None:
    _users(stack, f"U.objects.create_user({name!r}, {name!r} + '@example.com', 'pw')\nprint('[]')\n")


def _present(stack: Stack, *names: str) -> dict[str, list[str]]:
    return _users(
        stack,
        f"import json\nprint(json.dumps(sorted(U.objects.filter(username__in={list(names)!r}).values_list('username', flat=True))))\n",
    )


def _restore_killed_at(stack: Stack, marker: str) -> str:
    """`odl-stack restore --yes`, SIGKILLed once it prints `marker`; its output so far."""
    proc = subprocess.Popen(
        [PYTHON, "-m", "generator", "restore", str(stack.path), SNAPSHOT, "--yes"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    seen = []
    deadline = time.monotonic() + 600
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if marker in line:  # the journal says which phase before this line is printed
            proc.send_signal(signal.SIGKILL)
            break
        assert time.monotonic() < deadline, "".join(seen)
    proc.wait(timeout=60)
    text = "".join(seen)
    assert proc.returncode == -signal.SIGKILL, f"restore ended before '{marker}':\n{text}"
    return text


def _up_green(stack: Stack) -> str:
    proc = _odl(stack, "up", str(stack.path), "--skip-doctor")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    assert_all_green(output)
    return output


def test_snapshot_restore_and_an_interrupted_restore_converge(stack: Stack) -> None:
    app = stack.plan["app_name"]
    fresh = stack.timings["up to bootstrap exit"]
    _make(stack, "snapkept")

    t0 = time.monotonic()
    proc = _odl(stack, "snapshot", str(stack.path), SNAPSHOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    record(f"{app}: odl-stack snapshot", time.monotonic() - t0)
    manifest = json.loads((stack.path / "snapshots" / SNAPSHOT / "snapshot.json").read_text())
    size = sum(s["bytes"] for s in manifest["stores"])
    listed = _odl(stack, "snapshots", str(stack.path))
    assert SNAPSHOT in listed.stdout and stack.plan["openedx"]["service"] in json.dumps(manifest["images"]), listed.stdout

    _make(stack, "snaplost")
    assert _present(stack, "snapkept", "snaplost") == {"app": ["snapkept", "snaplost"], "openedx": ["snapkept", "snaplost"]}

    t0 = time.monotonic()
    proc = _odl(stack, "restore", str(stack.path), SNAPSHOT, "--yes")
    restored = time.monotonic() - t0
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    record(f"{app}: odl-stack restore → bootstrap exited", restored)
    report = assert_all_green(output)
    changed = [f"{r} {n}" for r, n in report["steps"] if r != "unchanged"]
    assert report["steps"] and not changed, f"after a restore the bootstrap changed: {changed}\n{output[-4000:]}"
    for service in SKIPPING_INITS:
        last = stack.logs(service, tail=3)
        assert "skipped" in last, f"{service} ran again on restored data:\n{last}"
    assert _present(stack, "snapkept", "snaplost") == {"app": ["snapkept"], "openedx": ["snapkept"]}

    rerun = stack.compose("run", "--rm", "bootstrap", timeout=900)
    rerun_report = assert_all_green(rerun.stdout + rerun.stderr)
    assert all(r == "unchanged" for r, _ in rerun_report["steps"]), rerun.stdout[-3000:]

    FIGURES.append(
        f"{app}: fresh up → all ✓ {fresh:.0f}s; restore → all ✓ {restored:.0f}s "
        f"(ratio {restored / fresh:.2f}, target ≤ 0.3); snapshot {size / 2**20:.0f} MiB"
    )
    figures = json.loads(FIGURES_FILE.read_text()) if FIGURES_FILE.exists() else {}
    figures[app] = {
        "fresh_up_s": round(fresh, 1),
        "restore_s": round(restored, 1),
        "snapshot_bytes": size,
        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
    FIGURES_FILE.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")

    # Killed while staging: the next `up` undoes it, the data is as it was (snaplost2 stays).
    _make(stack, "snaplost2")
    log(_restore_killed_at(stack, "Staging")[-300:])
    assert (stack.path / ".odl-stack" / "restore.json").exists()
    _up_green(stack)
    assert _present(stack, "snapkept", "snaplost2") == {"app": ["snapkept", "snaplost2"], "openedx": ["snapkept", "snaplost2"]}
    # Killed while swapping: the next `up` finishes it, the snapshot's data (snaplost2 gone).
    log(_restore_killed_at(stack, "Swapping")[-300:])
    output = _up_green(stack)
    assert "finishing it" in output, output[-3000:]
    assert _present(stack, "snapkept", "snaplost2") == {"app": ["snapkept"], "openedx": ["snapkept"]}
    assert not (stack.path / ".odl-stack" / "restore.json").exists()
    assert bootstrap_report(output)["checks"]
    assert Path(stack.path / "snapshots" / SNAPSHOT).is_dir()
