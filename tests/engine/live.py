"""A stand-in checkout of an MIT app, edits to it, and the wait for each edit to be served: shared by
the engine scenarios of a stack built from a checkout (test_engine_live_app.py) and its benchmark
(tests/bench_live_app.py).

The checkout is the app stand-in's own source tree (copied out of its image, so the code the
development target was built from is the code that is mounted) with the files of
tests/standins/checkouts/<app>/ on top: the Dockerfile's development target, the JS dev servers'
scripts and entry points, laid out as in the app's repository.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml
from harness import IMAGES_FILE, ROOT, Stack, run

CHECKOUTS = ROOT / "tests/standins/checkouts"
# The stand-in's Open edX app, where a Celery task module lives (mitapp_standin/settings.py
# INSTALLED_APPS: xPro `courseware`, MITx Online `openedx`, as in the apps).
TASK_PACKAGE = {"xpro": "courseware", "mitxonline": "openedx"}
VIEW_FILE = "mitapp_standin/views.py"
VIEW_LINE = 'return JsonResponse({"status": "up", "standin": settings.STANDIN_APP})'
PROBE_TASK = """

# odl-stack engine test: a task whose result the test edits to see the worker run new code.
from celery import shared_task as _live_shared_task  # noqa: E402


@_live_shared_task
def live_probe():
    return "task-0"
"""


@dataclass(frozen=True)
class Edits:
    """Where each kind of edit goes in a checkout of `app`, and how its result is read back."""

    app: str
    checkout: Path

    @property
    def task_file(self) -> Path:
        return self.checkout / TASK_PACKAGE[self.app] / "tasks.py"

    @property
    def task_name(self) -> str:
        return f"{TASK_PACKAGE[self.app]}.tasks.live_probe"

    @property
    def js_entry(self) -> Path:
        return self.checkout / {"xpro": "static/js/entry/root.js", "mitxonline": "frontend/public/src/entry/root.js"}[self.app]

    def view(self, n: int) -> float:
        return _replace(self.checkout / VIEW_FILE, r'"view-\d+"', f'"view-{n}"')

    def task(self, n: int) -> float:
        return _replace(self.task_file, r'"task-\d+"', f'"task-{n}"')

    def js(self, n: int) -> float:
        return _replace(self.js_entry, r'"entry-\d+"', f'"entry-{n}"')


def _replace(path: Path, pattern: str, new: str) -> float:
    """Edit `path` as an editor saves it; the wall-clock time of the save."""
    text = path.read_text()
    changed, count = re.subn(pattern, new, text)
    assert count == 1, f"{path}: {pattern} found {count} times"
    path.write_text(changed)
    return time.time()


def standin_image(app: str) -> str:
    from generator.profiles import APPS

    return yaml.safe_load(Path(IMAGES_FILE).read_text())[APPS[app].image]


def make_checkout(app: str, dest: Path) -> Edits:
    """The stand-in checkout of `app` at `dest` (made anew)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    cid = run(["docker", "create", standin_image(app)], check=True).stdout.strip()
    try:
        archive = subprocess.run(["docker", "cp", f"{cid}:/src", "-"], capture_output=True, check=True, timeout=120).stdout
    finally:
        run(["docker", "rm", "-f", cid])
    staging = dest.parent / f".{dest.name}.extract"
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(staging, filter="tar")
    (staging / "src").rename(dest)
    staging.rmdir()
    shutil.copytree(CHECKOUTS / app, dest, dirs_exist_ok=True)
    (dest / "scripts").mkdir(exist_ok=True)
    shutil.copy(CHECKOUTS / "webpack_standin.py", dest / "scripts/webpack_standin.py")
    # The app's lock file, edited by the test of a dependency change (the stand-in installs from
    # its image's requirements.txt; only the file's change is watched).
    (dest / "uv.lock").write_text("# stand-in of the app's uv.lock\nversion = 1\n")
    edits = Edits(app, dest)
    view = dest / VIEW_FILE
    assert VIEW_LINE in view.read_text(), f"{view} no longer has {VIEW_LINE}"
    view.write_text(view.read_text().replace(VIEW_LINE, VIEW_LINE.replace("})", ', "probe": "view-0"})')))
    task = edits.task_file
    task.write_text((task.read_text() if task.exists() else "") + PROBE_TASK)
    return edits


class Timeout(AssertionError):
    pass


def _poll(what: str, read, expected: str, since: float, timeout: float, interval: float = 0.05) -> float:
    """Seconds from `since` until `read()` returns `expected`; fails with what it last saw."""
    last = "nothing yet"
    while time.time() - since < timeout:
        try:
            last = read()
        except Exception as exc:  # the server restarting: connection refused, 502, ...
            last = f"{type(exc).__name__}: {exc}"
        if last == expected:
            return time.time() - since
        time.sleep(interval)
    raise Timeout(f"{what}: not {expected!r} {timeout:.0f}s after the edit; last seen: {last}")


def view_probe(stack: Stack) -> str:
    """The probe of the app's health view, fetched as a browser would: its public URL, on loopback."""
    url = urllib.parse.urlsplit(stack.plan["app"]["health_url"])
    request = urllib.request.Request(f"http://127.0.0.1:{url.port}{url.path}", headers={"Host": url.netloc})
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return str(json.loads(reply.read()).get("probe"))
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"


def wait_view(stack: Stack, n: int, since: float, timeout: float = 60) -> float:
    return _poll("the app's health view (through its nginx)", lambda: view_probe(stack), f"view-{n}", since, timeout)


# Run inside app-web: sends the probe task until the worker answers `expected`; prints the seconds
# since the edit (the host's and the container's clocks are one kernel's).
_TASK_WAITER = """
import importlib, sys, time
module, attr = sys.argv[1].split(":")
app = getattr(importlib.import_module(module), attr)
name, expected, since, timeout = sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
last = "nothing yet"
while time.time() - since < timeout:
    try:
        last = app.send_task(name).get(timeout=2)
    except Exception as exc:
        last = f"{type(exc).__name__}: {exc}"
    if last == expected:
        print(f"OK {time.time() - since:.3f}")
        sys.exit(0)
print(f"LAST {last}")
sys.exit(1)
"""


def wait_task(stack: Stack, edits: Edits, n: int, since: float, timeout: float = 120) -> float:
    from generator.profiles import APPS

    proc = stack.exec(
        "app-web",
        "python",
        "-c",
        _TASK_WAITER,
        APPS[edits.app].celery_app,
        edits.task_name,
        f"task-{n}",
        str(since),
        str(timeout),
        timeout=timeout + 60,
    )
    out = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not out or not out[-1].startswith("OK "):
        raise Timeout(
            f"Celery task {edits.task_name}: not 'task-{n}' {timeout:.0f}s after the edit; "
            f"last seen: {out[-1] if out else proc.stderr[-1500:]}"
        )
    return float(out[-1].split()[1])


def js_bundle(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/root.js", timeout=5) as reply:
        found = re.search(r'"entry-\d+"', reply.read().decode())
        return found.group(0).strip('"') if found else "no entry marker in the bundle"


def wait_js(port: int, n: int, since: float, timeout: float = 30) -> float:
    return _poll(f"the bundle served on 127.0.0.1:{port}", lambda: js_bundle(port), f"entry-{n}", since, timeout)


def watch_port(app: str) -> int:
    from generator.profiles import APPS

    dev = APPS[app].dev
    assert dev is not None
    return next(f.port for f in dev.frontends if f.service == "watch")
