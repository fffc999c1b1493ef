"""A fake of Mailpit's REST API for the bootstrap tier, over the mail the side projects write with
Django's file backend (one file per connection, messages separated by a line of 79 dashes): the
search and delete calls the checklist makes (generator/bootstrap/inbox.py cites Mailpit's)."""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from generator.bootstrap.probes import Answer

SEPARATOR = "\n" + "-" * 79 + "\n"


class FakeMailpit:
    def __init__(self, directory: Path, url: str) -> None:
        self.directory, self.url = directory, url
        self.deleted: set[str] = set()
        self.calls: list[tuple[str, str]] = []
        self.down = False

    def messages(self) -> list[dict[str, Any]]:
        found = []
        for path in sorted(self.directory.glob("*.log")) if self.directory.is_dir() else []:
            created = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat().replace("+00:00", "Z")
            for index, raw in enumerate(p for p in path.read_text().split(SEPARATOR) if p.strip()):
                message = email.message_from_string(raw, policy=email.policy.default)
                ident = f"{path.stem}-{index}"
                if ident in self.deleted:
                    continue
                to = [{"Name": n, "Address": a} for n, a in email.utils.getaddresses(message.get_all("To", []))]
                body = message.get_body(preferencelist=("plain", "html"))
                found.append(
                    {
                        "ID": ident,
                        "To": to,
                        "Subject": str(message["Subject"]),
                        "Created": created,
                        "Text": body.get_content() if body is not None else "",
                    }
                )
        return list(reversed(found))

    def __call__(
        self, method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 10
    ) -> Answer:
        self.calls.append((method, url))
        if self.down or not url.startswith(self.url + "/"):
            return Answer(None, error="URLError: connection refused")
        parsed = urlparse(url)
        if method == "GET" and parsed.path == "/api/v1/search":
            query = parse_qs(parsed.query)["query"][0]
            assert query.startswith("to:")
            hits = [m for m in self.messages() if any(query[3:].lower() in a["Address"].lower() for a in m["To"])]
            return Answer(200, body=json.dumps({"messages": hits, "messages_count": len(hits)}).encode())
        if method == "DELETE" and parsed.path == "/api/v1/messages":
            ids = json.loads(body or b"{}").get("IDs") or []
            assert ids, "the checklist must never delete the whole inbox"
            self.deleted.update(ids)
            return Answer(200, body=b"ok")
        return Answer(404)
