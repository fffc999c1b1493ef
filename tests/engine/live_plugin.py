"""A plugin checkout edited on the host, and what the LMS then serves: shared by the engine scenario
(tests/engine/test_engine_live_plugin.py) and the benchmark (tests/bench_live_plugin.py).

The checkout is a copy of the stand-in ol-social-auth (tests/standins/checkouts/ol_social_auth), so the
repository's own copy is never written by a container or an edit. The LMS serves the backend's
DEFAULT_SCOPE in the `scope` of its redirect to the app (GET /auth/login/ol-oauth2/?auth_entry=login,
social-core's BaseOAuth2.auth_url), on the stack's published LMS port with the LMS's Host header.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import time
import urllib.parse
from pathlib import Path

from harness import ROOT, Stack

STANDIN_CHECKOUT = ROOT / "tests/standins/checkouts/ol_social_auth"
BACKEND = Path("ol_social_auth/backends.py")
SCOPE_LINE = re.compile(r"^    DEFAULT_SCOPE = \[.*\]$", re.MULTILINE)
POLL_SECONDS = 0.2
BOUND_SECONDS = 90.0


def copy_checkout(where: Path) -> Path:
    """A fresh copy of the stand-in checkout under `where`, named as the real one is."""
    target = where / STANDIN_CHECKOUT.name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(STANDIN_CHECKOUT, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def served_scope(stack: Stack) -> str:
    """The `scope` of the LMS's login redirect, or what came instead (a status, an error)."""
    plan = stack.plan
    port = int(urllib.parse.urlsplit(plan["openedx"]["url"]).port or 80)
    host = urllib.parse.urlsplit(plan["openedx"]["url"]).netloc
    slug = plan["openedx"]["provider"]["slug"]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", f"/auth/login/{slug}/?auth_entry=login", headers={"Host": host})
        reply = connection.getresponse()
        reply.read()
        location = reply.getheader("Location") or ""
    except OSError as exc:
        return f"no answer ({type(exc).__name__}: {exc})"
    finally:
        connection.close()
    if reply.status != 302 or not location:
        return f"HTTP {reply.status} without a redirect"
    return " ".join(urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).get("scope", ["(no scope)"]))


def set_scope(checkout: Path, scopes: list[str]) -> None:
    """Edit the backend's DEFAULT_SCOPE as an editor saves a file (write, then flush to disk)."""
    path = checkout / BACKEND
    text, count = SCOPE_LINE.subn(f"    DEFAULT_SCOPE = {scopes!r}".replace("'", '"'), path.read_text())
    assert count == 1, f"no DEFAULT_SCOPE line in {path}"
    with open(path, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def edit_until_served(stack: Stack, checkout: Path, marker: str) -> float:
    """Seconds from the saved edit to the first LMS answer that carries it; fails with what was
    last served when BOUND_SECONDS pass first."""
    set_scope(checkout, ["user:read", marker])
    saved = time.monotonic()
    seen = ""
    while time.monotonic() - saved < BOUND_SECONDS:
        seen = served_scope(stack)
        if marker in seen.split():
            return time.monotonic() - saved
        time.sleep(POLL_SECONDS)
    raise AssertionError(
        f"the LMS did not serve the edit '{marker}' within {BOUND_SECONDS:.0f}s; last seen: scope={seen!r}\n"
        f"--- lms log\n{stack.logs('lms', tail=40)}"
    )
