"""Engine-tier harness: generate a stack with the stand-in images, drive it with the real
`docker compose`, inspect it, tear it down.

Traffic rule: the tests talk to 127.0.0.1 (published ports) and, through `docker exec`, to
containers of the stack under test by the stack's own hostnames. Nothing else.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# `make e2e REAL=1`: the published images of the versions table, no --images at all.
REAL = os.environ.get("ODL_E2E_REAL") == "1"
IMAGES_FILE = None if REAL else Path(os.environ.get("ODL_E2E_IMAGES", ROOT / "tests/engine/standin-images.yml"))
PYTHON = os.environ.get("ODL_E2E_PYTHON", sys.executable)
PROJECT_PREFIX = "odl-e2e-"
UP_TIMEOUT = int(os.environ.get("ODL_E2E_UP_TIMEOUT", "1200"))
TIMES: list[tuple[str, float]] = []
FIGURES: list[str] = []  # per stack: seconds from `up` to the bootstrap's all ✓, peak memory


def log(message: str) -> None:
    print(f"    [engine] {message}", flush=True)


def record(label: str, seconds: float) -> None:
    """Time of a step, printed now and in the summary at the end."""
    TIMES.append((label, seconds))
    log(f"{label}: {seconds:.0f}s")


def run(
    cmd: list[str], *, cwd: Path | None = None, timeout: float = 600, input: str | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, timeout=timeout, input=input, text=True, capture_output=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} -> exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def generate(app: str, out: Path, name: str, *extra: str) -> Path:
    """`python -m generator new` exactly as a user would, plus --images with the stand-ins."""
    images = ["--images", str(IMAGES_FILE)] if IMAGES_FILE else []
    cmd = [PYTHON, "-m", "generator", "new", "--app", app, "--name", name, "--out", str(out), *images, *extra]
    run(cmd, cwd=ROOT, check=True, timeout=300)
    return out / name


@dataclass
class Stack:
    path: Path
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def project(self) -> str:
        return self.path.name

    @property
    def plan(self) -> dict:
        return json.loads((self.path / "plan.json").read_text())

    @property
    def secrets(self) -> dict:
        return json.loads((self.path / "secrets/secrets.json").read_text())

    # ------------------------------------------------------------------ compose
    def compose(
        self, *args: str, timeout: float = 600, input: str | None = None, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        return run(["docker", "compose", *args], cwd=self.path, timeout=timeout, input=input, check=check)

    def up(self) -> subprocess.CompletedProcess[str]:
        t0 = time.monotonic()
        proc = self.compose("up", "-d", timeout=UP_TIMEOUT)
        self.timings["compose up -d"] = time.monotonic() - t0
        return proc

    def container(self, service: str) -> str:
        proc = self.compose("ps", "-a", "-q", service, check=True)
        ids = proc.stdout.split()
        assert ids, f"no container for service {service} in {self.project}"
        return ids[0]

    def wait_exit(self, service: str, timeout: float = UP_TIMEOUT) -> int:
        """Exit code of a one-shot service's container once it has stopped."""
        cid = self.container(service)
        proc = run(["docker", "wait", cid], timeout=timeout, check=True)
        return int(proc.stdout.strip())

    def logs(self, service: str, tail: int | None = None) -> str:
        args = ["logs", "--no-color", "--no-log-prefix"]
        if tail:
            args += ["--tail", str(tail)]
        return self.compose(*args, service).stdout

    def exec(
        self, service: str, *cmd: str, input: str | None = None, timeout: float = 120, user: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        args = ["exec", "-T"] + (["--user", user] if user else []) + [service, *cmd]
        return self.compose(*args, input=input, timeout=timeout)

    def python(self, service: str, code: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return self.exec(service, "python", "-c", code, input=stdin, timeout=timeout)

    def http_status_from(self, service: str, url: str) -> str:
        """HTTP status of `url` fetched from inside `service` (its own resolver: stack hostnames)."""
        code = (
            "import sys, urllib.request, urllib.error\n"
            "class NoRedirect(urllib.request.HTTPRedirectHandler):\n"
            "    def redirect_request(self, *a, **k): return None\n"
            "opener = urllib.request.build_opener(NoRedirect)\n"
            "try:\n"
            "    print(opener.open(sys.argv[1], timeout=20).status)\n"
            "except urllib.error.HTTPError as e:\n"
            "    print(e.code)\n"
            "except Exception as e:\n"
            "    print('ERROR', type(e).__name__, e)\n"
        )
        proc = self.exec(service, "python", "-c", code, url)
        return (proc.stdout.strip() or proc.stderr.strip()).splitlines()[-1] if (proc.stdout or proc.stderr) else "no output"

    def container_ips(self) -> dict[str, str]:
        """service -> IPv4 address on the stack's network, for every running container."""
        network = f"{self.project}_{self.plan['network']['name']}"
        proc = run(["docker", "ps", "-q", "--filter", f"label=com.docker.compose.project={self.project}"], check=True)
        ips: dict[str, str] = {}
        for cid in proc.stdout.split():
            info = json.loads(run(["docker", "inspect", cid], check=True).stdout)[0]
            service = info["Config"]["Labels"]["com.docker.compose.service"]
            net = info["NetworkSettings"]["Networks"].get(network)
            ips[service] = net["IPAddress"] if net else ""
        return ips

    def diagnose(self) -> str:
        """What to print when something failed: states and the tail of every log."""
        parts = [self.compose("ps", "-a", "--format", "table {{.Service}}\t{{.State}}\t{{.Status}}").stdout]
        services = self.compose("config", "--services").stdout.split()
        for service in services:
            text = self.logs(service, tail=25)
            if text.strip():
                parts.append(f"--- {service} (last 25 lines)\n{text}")
        return "\n".join(parts)

    def down(self) -> None:
        t0 = time.monotonic()
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "5", timeout=300)
        self.timings["compose down"] = time.monotonic() - t0
        # Bind-mounted Tutor data is owned by container uids; we are root, so it goes too.
        shutil.rmtree(self.path / "tutor" / "data", ignore_errors=True)


_UNITS = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "kB": 10**3, "MB": 10**6, "GB": 10**9}


class PeakMemory:
    """The highest total memory of the projects' containers, from the engine's own stats
    (`docker stats`), sampled every `interval` seconds in a thread while the block runs."""

    def __init__(self, *projects: str, interval: float = 3.0) -> None:
        self.projects, self.interval, self.peak = projects, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> int:
        ids = [
            cid
            for p in self.projects
            for cid in run(["docker", "ps", "-q", "--filter", f"label=com.docker.compose.project={p}"]).stdout.split()
        ]
        if not ids:
            return 0
        usage = run(["docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", *ids]).stdout
        total = 0
        for line in usage.splitlines():
            amount = line.split("/", 1)[0].strip()
            number = amount.rstrip("BKMGTikb")
            total += int(float(number or 0) * _UNITS.get(amount[len(number) :], 1))
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.sample())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.sample())

    @property
    def mib(self) -> int:
        return round(self.peak / 2**20)


def bootstrap_report(text: str) -> dict:
    """Parse the bootstrap's output: step results and checklist lines."""
    steps, checks = [], []
    for line in text.splitlines():
        stripped = line.strip()
        word = stripped.split(" ", 1)[0]
        if word in ("created", "updated", "unchanged"):
            steps.append((word, stripped[len(word) :].strip()))
        elif stripped.startswith(("✓", "✗")):
            checks.append((stripped[0], stripped[1:].strip()))
    return {"steps": steps, "checks": checks}


def assert_all_green(output: str) -> dict:
    report = bootstrap_report(output)
    assert report["checks"], f"no checklist in the bootstrap output:\n{output}"
    failed = [text for mark, text in report["checks"] if mark != "✓"]
    assert not failed, "checklist has ✗:\n" + "\n".join(failed) + f"\n--- output:\n{output}"
    return report


def host_get(port: int, path: str, host_header: str, timeout: float = 20) -> int:
    """GET on the host's loopback (published port), with the Host header a browser would send."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host_header})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        return urllib.request.build_opener(NoRedirect).open(request, timeout=timeout).status
    except urllib.error.HTTPError as exc:
        return exc.code


class _LoopbackConnection(http.client.HTTPConnection):
    """Keeps the URL's host for the Host header but connects to 127.0.0.1 on the same port:
    what a browser does with the /etc/hosts lines the stack's README gives."""

    allowed: frozenset[str] = frozenset()

    def connect(self) -> None:
        if self.host not in self.allowed:
            raise AssertionError(f"test traffic to {self.host!r}: only the stack's hostnames go to loopback")
        self.sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)


class LoopbackBrowser:
    """A cookie-keeping HTTP client on the host for the stack's public URLs (hostnames → 127.0.0.1).
    Redirects are not followed automatically: `follow` walks them and records each hop."""

    def __init__(self, hostnames: list[str]) -> None:
        connection = type("Conn", (_LoopbackConnection,), {"allowed": frozenset(hostnames)})

        class Handler(urllib.request.HTTPHandler):
            def http_open(self, req):
                return self.do_open(connection, req)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.OpenerDirector()
        for handler in (
            urllib.request.ProxyHandler({}),
            Handler(),
            NoRedirect(),
            urllib.request.HTTPErrorProcessor(),
            urllib.request.HTTPDefaultErrorHandler(),
            urllib.request.HTTPCookieProcessor(self.cookies),
        ):
            self.opener.add_handler(handler)
        self.hops: list[str] = []

    def request(
        self, method: str, url: str, data: dict | None = None, headers: dict | None = None, json_body: object = None
    ) -> tuple[int, dict, bytes]:
        """One exchange: `data` goes as a form, `json_body` as JSON."""
        headers = dict(headers or {})
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        if json_body is not None:
            body, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=60) as reply:
                return reply.status, dict(reply.headers.items()), reply.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers.items()), exc.read()

    def follow(self, url: str, method: str = "GET", data: dict | None = None, limit: int = 12) -> tuple[str, int, dict, bytes]:
        """Request and walk redirects; (final URL, status, headers, body)."""
        for _ in range(limit):
            status, headers, body = self.request(method, url, data)
            parts = urllib.parse.urlsplit(url)
            self.hops.append(f"{method} {status} {parts.netloc}{parts.path}")
            location = headers.get("Location") or headers.get("location")
            if status not in (301, 302, 303, 307) or not location:
                return url, status, headers, body
            url, method, data = urllib.parse.urljoin(url, location), "GET", None
        raise AssertionError(f"more than {limit} redirects: {self.hops}")


# Stacks one of whose tests failed (conftest.py records them): they print their diagnostics at teardown.
FAILED_STACKS: dict[str, Stack] = {}


def bring_up(stack: Stack, label: str) -> str:
    """`docker compose up -d`, then wait for the one-shot bootstrap to exit; its output."""
    t0 = time.monotonic()
    with PeakMemory(stack.project) as memory:
        proc = stack.up()
        stack.up_output = proc.stdout + proc.stderr  # type: ignore[attr-defined]
        if proc.returncode != 0:
            raise AssertionError(f"docker compose up -d failed for {stack.project}:\n{proc.stderr[-4000:]}\n{stack.diagnose()}")
        code = stack.wait_exit("bootstrap")
    seconds = time.monotonic() - t0
    stack.timings["up to bootstrap exit"] = seconds
    record(f"{label}: docker compose up -d → bootstrap exited {code}", seconds)
    stack.timings["bootstrap exit code"] = code
    output = stack.logs("bootstrap")
    figure(label, code, output, seconds, memory)
    return output


def figure(label: str, code: int, output: str, seconds: float, memory: PeakMemory) -> None:
    """The figures `make e2e REAL=1` promises: up → all ✓ in seconds, and the peak memory."""
    checks = bootstrap_report(output)["checks"]
    green = code == 0 and checks and all(mark == "✓" for mark, _ in checks)
    outcome = "all ✓" if green else f"bootstrap exit {code}, not all ✓"
    FIGURES.append(f"{label}: up → {outcome} in {seconds:.0f}s; peak memory {memory.mib} MiB (docker stats)")


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
        if s.project in FAILED_STACKS:
            print(f"\n===== diagnostics of {s.project} =====\n{s.diagnose()}", flush=True)
        s.down()
        record(f"{label}: docker compose down -v", s.timings.get("compose down", 0))
