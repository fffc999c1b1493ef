"""STAND-IN for the apps' webpack dev servers (NOT webpack): serves each entry point as a "bundle"
rebuilt when its source changes, and /health.

    python3 webpack_standin.py --port 8012 --entry root=frontend/public/src/entry/root.js [...]

What it mimics, and no more: a dev server on the app's port that rebuilds a bundle when an entry
point's file changes (mitodl/mitxonline frontend/public/webpack.config.js:15-20 entries, :124
`/health`; mitodl/mitxpro webpack.config.shared.js:6-10 entries, hot-reload-dev-server.js:16-31
serving the compiler's output at PUBLIC_PATH), and the "compiled" line webpack prints. A bundle is
the entry's text under a header with the build number; no modules are resolved (tests/engine/README.md).
"""

from __future__ import annotations

import argparse
import http.server
import os
import threading
import time
import urllib.parse
from pathlib import Path

POLL = 0.2  # seconds; webpack's own watcher is inotify-based, a bind mount from macOS is polled


class Bundles:
    def __init__(self, entries: dict[str, Path]) -> None:
        self.entries, self.lock, self.build = entries, threading.Lock(), 0
        self.stamps: dict[str, tuple[int, int]] = {}
        self.bundles: dict[str, bytes] = {}
        self.rebuild()

    def stamp(self, path: Path) -> tuple[int, int]:
        try:
            info = path.stat()
            return info.st_mtime_ns, info.st_size
        except OSError:
            return (0, 0)

    def rebuild(self) -> None:
        stamps = {name: self.stamp(path) for name, path in self.entries.items()}
        if stamps == self.stamps:
            return
        started = time.monotonic()
        with self.lock:
            self.build += 1
            for name, path in self.entries.items():
                source = path.read_text() if path.is_file() else ""
                self.bundles[f"{name}.js"] = f"/* webpack stand-in build {self.build} of {path} */\n{source}".encode()
            self.stamps = stamps
        print(f"webpack stand-in: compiled build {self.build} in {int((time.monotonic() - started) * 1000)} ms", flush=True)

    def get(self, name: str) -> bytes | None:
        with self.lock:
            return self.bundles.get(name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--entry", action="append", default=[], metavar="NAME=PATH")
    args = parser.parse_args()
    bundles = Bundles({name: Path(path) for name, path in (e.split("=", 1) for e in args.entry)})
    public = urllib.parse.urlsplit(os.environ.get("PUBLIC_PATH", "/")).path or "/"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            body = b"ok" if path == "/health" else bundles.get(path[len(public) :]) if path.startswith(public) else None
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/javascript")
            self.send_header("Access-Control-Allow-Origin", "*")  # hot-reload-dev-server.js:18-21
            self.end_headers()
            self.wfile.write(body or b"not found")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("0.0.0.0", args.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"webpack stand-in: listening on {args.port}", flush=True)
    while True:
        time.sleep(POLL)
        bundles.rebuild()


if __name__ == "__main__":
    main()
