#!/usr/bin/env python3
"""STAND-IN for Meilisearch: the API subset Tutor's init job uses (keys), plus health.
Authorization: Bearer MEILI_MASTER_KEY is required on /keys, as with the real server."""

import json
import os
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MASTER_KEY = os.environ.get("MEILI_MASTER_KEY", "")
STORE = os.path.join(os.environ.get("MEILI_DB_PATH", "/meili_data"), "standin-keys.json")


def load():
    try:
        with open(STORE) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def save(keys):
    with open(STORE, "w") as f:
        json.dump(keys, f)


def error(code, message, status):
    return status, {
        "message": message,
        "code": code,
        "type": "invalid_request",
        "link": f"https://docs.meilisearch.com/errors#{code}",
    }


class Handler(BaseHTTPRequestHandler):
    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self):
        return not MASTER_KEY or self.headers.get("Authorization", "") == f"Bearer {MASTER_KEY}"

    def _route(self, method):
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/health":
            return 200, {"status": "available"}
        if path == "/version":
            return 200, {"pkgVersion": "standin", "commitSha": "standin", "commitDate": "standin"}
        if not self._authorized():
            return error("invalid_api_key", "The provided API key is invalid.", 403)
        keys = load()
        if path == "/keys" and method == "GET":
            return 200, {"results": list(keys.values()), "offset": 0, "limit": 20, "total": len(keys)}
        if path == "/keys" and method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            uid = body.get("uid") or str(uuid.uuid4())
            now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            key = dict(body, uid=uid, key=uuid.uuid4().hex, createdAt=now, updatedAt=now)
            keys[uid] = key
            save(keys)
            return 201, key
        if path.startswith("/keys/") and method == "GET":
            uid = path.split("/", 2)[2]
            if uid in keys:
                return 200, keys[uid]
            return error("api_key_not_found", f"API key `{uid}` not found.", 404)
        if path.startswith("/indexes"):
            return 202, {"taskUid": 0, "status": "enqueued", "type": "standin"}
        return error("not_found", "Not found (meilisearch stand-in).", 404)

    def do_GET(self):
        self._send(*self._route("GET"))

    def do_POST(self):
        self._send(*self._route("POST"))

    def do_PATCH(self):
        self._send(*self._route("PATCH"))

    def do_DELETE(self):
        self._send(*self._route("DELETE"))


if __name__ == "__main__":
    print("meilisearch stand-in (NOT Meilisearch) on 0.0.0.0:7700", flush=True)
    ThreadingHTTPServer(("0.0.0.0", 7700), Handler).serve_forever()
