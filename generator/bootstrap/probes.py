"""HTTP checks: from the bootstrap container itself, and from inside another container.

Redirects are not followed and proxies are ignored: we want the answer of the named host.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .engine import Engine, EngineError

TIMEOUT = 10
# Runs inside the LMS / app containers with the URL as argv[1] (never formatted into the code).
PROBE = """
import sys, urllib.error, urllib.request
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)
try:
    print("HTTP", opener.open(sys.argv[1], timeout=10).status)
except urllib.error.HTTPError as exc:
    print("HTTP", exc.code)
except Exception as exc:
    print("ERROR", type(exc).__name__, exc)
"""


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer at all
    error: str = ""
    body: bytes = b""

    def describe(self) -> str:
        return f"HTTP {self.status}" if self.status is not None else self.error


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# The bootstrap's own HTTP (here and in keycloak.py): no proxy from the environment, since every URL is
# inside the stack's network, and a redirect is returned as the answer, not followed.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)


def get(url: str, headers: Mapping[str, str] | None = None, timeout: float = TIMEOUT) -> Answer:
    """GET from the bootstrap container (it is on the stack network, so hostnames resolve)."""
    return request("GET", url, headers=headers, timeout=timeout)


def request(
    method: str, url: str, body: bytes | None = None, headers: Mapping[str, str] | None = None, timeout: float = TIMEOUT
) -> Answer:
    """Any method, from the bootstrap container; the answer, never an exception."""
    request = urllib.request.Request(url, data=body, headers=dict(headers or {}), method=method)
    try:
        with DIRECT.open(request, timeout=timeout) as response:
            return Answer(response.status, body=response.read(65536))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, body=exc.read(65536) if exc.fp else b"")
    except Exception as exc:  # URLError, timeouts, resets
        reason = getattr(exc, "reason", exc)
        return Answer(None, error=f"{type(exc).__name__}: {reason}")


def probe_from(engine: Engine, service: str, url: str) -> Answer:
    """GET `url` from inside `service`'s container, with the container's own Python."""
    last = ""
    for python in ("python", "python3"):
        try:
            result = engine.exec(service, [python, "-c", PROBE, url])
        except EngineError as exc:
            return Answer(None, error=str(exc))
        words = result.output.strip().splitlines()[-1:] or [""]
        line = words[0]
        if result.exit_code == 0 and line.startswith("HTTP "):
            return Answer(int(line.split()[1]))
        if result.exit_code == 0 and line.startswith("ERROR "):
            return Answer(None, error=line[len("ERROR ") :])
        last = result.output.strip() or f"exit {result.exit_code}"
    return Answer(None, error=f"no usable python in '{service}': {last}")
