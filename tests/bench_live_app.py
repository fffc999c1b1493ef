"""`make bench`: seconds from a saved edit to the changed response, in a stack built from a checkout.

On the engine tier's stand-in stack (tests/engine/live.py: the same checkout and the same bounded
waits as test_engine_live_app.py), per app: an edit of a view (app Python), of a Celery task, of a
JS entry point, each BENCH_LIVE_EDITS times (default 5); min / median / max printed.
Target on the stand-ins: app Python <= 3 s. Anchor: ol-infrastructure local-dev's README, "granian
--reload picks it up in 10-30 s". Needs the stand-in images (`bash tests/engine/run.sh -k
test_engine_live_app` builds them) and takes the engine tier's lock while its stacks run.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ENGINE = Path(__file__).resolve().parent / "engine"
EDITS = int(os.environ.get("BENCH_LIVE_EDITS", "5"))
APPS = os.environ.get("BENCH_LIVE_APPS", "mitxonline xpro").split()
LOCK = os.environ.get("ODL_E2E_LOCK", "/tmp/odl-stack-engine-tier.lock")
TARGET_PYTHON = 3.0
ANCHOR = "10-30 s (ol-infrastructure local-dev README, granian --reload)"


@contextlib.contextmanager
def engine_lock() -> Iterator[None]:
    with open(LOCK, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("live-app bench: an engine-tier run holds the engine; waiting for it", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def figures(label: str, seconds: list[float], target: float | None = None) -> str:
    line = (
        f"{label:<44}: min {min(seconds):6.2f} s  median {statistics.median(seconds):6.2f} s  "
        f"max {max(seconds):6.2f} s  over {len(seconds)} edits"
    )
    if target is not None:
        line += f"  (target <= {target:.0f} s; anchor {ANCHOR})"
    return line


def bench_app(app: str, work: Path) -> list[str]:
    import harness
    import live

    from generator.profiles import APPS as FACTS

    edits = live.make_checkout(app, work / "checkouts" / app)
    stack = harness.Stack(
        harness.generate(app, work / "stacks", f"{harness.PROJECT_PREFIX}bench-live-{app}", "--app-src", str(edits.checkout))
    )
    try:
        # Built anew: an image of an earlier run would be FROM earlier stand-ins.
        stack.compose("build", "app-init", timeout=1800, check=True)
        output = harness.bring_up(stack, f"bench-live-{app}")
        harness.assert_all_green(output)
        python, task, js = [], [], []
        port = live.watch_port(app)
        for n in range(1, EDITS + 1):
            python.append(live.wait_view(stack, n, edits.view(n)))
            task.append(live.wait_task(stack, edits, n, edits.task(n)))
            js.append(live.wait_js(port, n, edits.js(n)))
        dev = FACTS[app].dev
        how = f"granian {' '.join(dev.web_reload)}" if dev and dev.web_reload else "granian restarted by the stack's watcher"
        return [
            figures(f"{app} app Python ({how})", python, TARGET_PYTHON),
            figures(f"{app} Celery task (worker restarted)", task),
            figures(f"{app} JS bundle (watch rebuilds)", js),
        ]
    except BaseException:
        print(stack.diagnose(), flush=True)
        raise
    finally:
        stack.down()


def main() -> int:
    sys.path.insert(0, str(ENGINE))
    import harness
    import live

    if harness.run(["docker", "info"], timeout=30).returncode != 0:
        print("live-app bench: no Docker engine answers; not measured (it runs on the engine tier's stand-in stack)")
        return 1
    wanted = {live.standin_image(app) for app in APPS} | {"odl-standin/node-standin:e2e", "odl-standin/lms-standin:e2e"}
    missing = sorted(ref for ref in wanted if harness.run(["docker", "image", "inspect", ref]).returncode != 0)
    if missing:
        print(
            f"live-app bench: stand-in images missing ({', '.join(missing)}); build them with "
            "`bash tests/engine/run.sh -k test_engine_live_app`, then run `make bench` again"
        )
        return 1
    lines = []
    work = Path(tempfile.mkdtemp(prefix="odl-bench-live-"))
    try:
        with engine_lock():
            for app in APPS:
                lines += bench_app(app, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("edit saved -> changed response, on the stand-in stack built from a checkout (--app-src):")
    for line in lines:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
