#!/usr/bin/env python3
"""STAND-IN for Mailpit (axllent/mailpit v1.30): SMTP in, a REST API and a minimal web UI out.

Behaviour mimicked, with the upstream file it follows (axllent/mailpit at v1.30.5):
- config/config.go: SMTP on "[::]:1025", HTTP on "[::]:8025"; cmd/root.go: MP_SMTP_BIND_ADDR and
  MP_UI_BIND_ADDR override them. No relay or forward (MP_SMTP_RELAY_*/MP_SMTP_FORWARD_* unset):
  messages are only stored, here in memory (Mailpit's default is a temporary database).
- server/server.go routes: GET /livez, /readyz; GET /api/v1/messages; GET /api/v1/search;
  DELETE /api/v1/messages; GET /api/v1/message/{id}; GET /view/{id}.html and .txt
  (viewHandler: the message's HTML / text part); GET / and /view/{id} (the web UI).
- server/apiv1/messages.go: GetMessages and Search answer a MessagesSummary {total, unread,
  count, messages_count, messages_unread, start, tags, messages}, newest first; start/limit
  (getStartLimit, limit default 50); Search without a query is 400 "Error: no search query";
  DeleteMessages deletes the IDs given, or every message when none are given.
- internal/storage/structs.go: MessageSummary {ID, MessageID, Read, From, To, Cc, Bcc, ReplyTo,
  Subject, Created, Username, Tags, Size, Attachments, Snippet} and Message {..., Text, HTML};
  addresses as Go's net/mail.Address {Name, Address}.
- internal/storage/search.go: `to:`, `from:`, `subject:` match (case-insensitively) within the To,
  From and Subject fields; other words within subject, addresses and body. Quoted values.
- cmd/readyz.go: `mailpit readyz` GETs /readyz on MP_UI_BIND_ADDR and exits 0 or 1.
Not mimicked: the Vue web UI (here one HTML list and a message page), persistence, tags, read
state changes, websockets, POP3, chaos, HTML/link/spam checks, attachments' parts, the send API.
"""

import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

# ruff: noqa: E402  (the imports follow the filter: Debian's 3.11 warns on importing asyncore and smtpd)
import asyncore
import email
import email.policy
import email.utils
import html
import json
import os
import shlex
import smtpd
import sys
import threading
import urllib.request
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

MESSAGES = []  # newest last; dicts as Mailpit's Message plus "Created"
LOCK = threading.Lock()


def _bind(variable, default):
    value = os.environ.get(variable) or default
    host, _, port = value.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


def _addresses(values):
    return [{"Name": name, "Address": address} for name, address in email.utils.getaddresses(values) if address]


def _created():
    # Go's time.Time in JSON: RFC 3339 with nanoseconds (structs.go: Created).
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}000Z"


def store(data):
    message = email.message_from_bytes(data, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    body = message.get_body(preferencelist=("html",))
    text = text.get_content() if text is not None else ""
    body = body.get_content() if body is not None else ""
    snippet = " ".join((text or html.unescape(body)).split())[:250]
    item = {
        "ID": uuid.uuid4().hex[:22],
        "MessageID": str(message.get("Message-ID", "")).strip("<>"),
        "Read": False,
        "From": (_addresses(message.get_all("From", [])) or [None])[0],
        "To": _addresses(message.get_all("To", [])),
        "Cc": _addresses(message.get_all("Cc", [])),
        "Bcc": [],
        "ReplyTo": _addresses(message.get_all("Reply-To", [])),
        "Subject": str(message.get("Subject", "")),
        "Created": _created(),
        "Username": "",
        "Tags": [],
        "Size": len(data),
        "Attachments": 0,
        "Snippet": snippet,
        "Text": text,
        "HTML": body,
    }
    with LOCK:
        MESSAGES.append(item)
    print(
        "mailpit stand-in: stored {} to {} ({} bytes)".format(item["ID"], [a["Address"] for a in item["To"]], len(data)),
        flush=True,
    )


SUMMARY_FIELDS = (
    "ID",
    "MessageID",
    "Read",
    "From",
    "To",
    "Cc",
    "Bcc",
    "ReplyTo",
    "Subject",
    "Created",
    "Username",
    "Tags",
    "Size",
    "Attachments",
    "Snippet",
)


def summary(item):
    return {name: item[name] for name in SUMMARY_FIELDS}


def _text_of(addresses):
    return " ".join("{} <{}>".format(a["Name"], a["Address"]) for a in addresses if a).lower()


def matches(item, query):
    for word in shlex.split(query):
        low = word.lower()
        for prefix, field in (
            ("to:", _text_of(item["To"])),
            ("from:", _text_of([item["From"]])),
            ("subject:", item["Subject"].lower()),
        ):
            if low.startswith(prefix):
                if low[len(prefix) :] not in field:
                    return False
                break
        else:
            haystack = " ".join(
                (item["Subject"], _text_of(item["To"]), _text_of([item["From"]]), item["Text"], item["HTML"])
            ).lower()
            if low not in haystack:
                return False
    return True


def summaries(items, params):
    start = int((params.get("start") or ["0"])[0] or 0)
    limit = int((params.get("limit") or ["50"])[0] or 50)
    newest = list(reversed(items))
    page = newest[start : start + limit]
    with LOCK:
        total = len(MESSAGES)
    return {
        "total": total,
        "unread": total,
        "count": len(page),
        "messages_count": len(items),
        "messages_unread": len(items),
        "start": start,
        "tags": [],
        "messages": [summary(m) for m in page],
    }


def _find(message_id):
    with LOCK:
        return next((m for m in MESSAGES if m["ID"] == message_id), None)


class Handler(BaseHTTPRequestHandler):
    server_version = "Mailpit-standin"

    def log_message(self, *args):
        pass

    def _send(self, status, body, kind="application/json"):
        data = body if isinstance(body, bytes) else (json.dumps(body) if kind == "application/json" else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", kind if kind != "text/html" else "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        params, path = parse_qs(url.query), url.path
        if path in ("/livez", "/readyz"):
            return self._send(200, "ok", "text/plain")
        if path == "/api/v1/messages":
            with LOCK:
                items = list(MESSAGES)
            return self._send(200, summaries(items, params))
        if path == "/api/v1/search":
            query = (params.get("query") or [""])[0].strip()
            if not query:
                return self._send(400, "Error: no search query", "text/plain")
            with LOCK:
                items = [m for m in MESSAGES if matches(m, query)]
            return self._send(200, summaries(items, params))
        if path.startswith("/api/v1/message/"):
            item = _find(path.rsplit("/", 1)[1])
            if item is None:
                return self._send(404, "Message not found", "text/plain")
            return self._send(
                200,
                {k: v for k, v in item.items() if k not in ("Read", "Created", "Snippet", "Attachments")}
                | {"Date": item["Created"], "Inline": [], "Attachments": []},
            )
        if path.startswith("/view/"):
            name = path[len("/view/") :]
            for suffix, part, kind in ((".html", "HTML", "text/html"), (".txt", "Text", "text/plain")):
                if name.endswith(suffix):
                    item = _find(name[: -len(suffix)])
                    if item is None or not item[part]:
                        return self._send(404, "Not found", "text/plain")
                    return self._send(200, item[part], kind)
            item = _find(name)
            if item is None:
                return self._send(404, "Not found", "text/plain")
            return self._send(200, self._page(item), "text/html")
        if path == "/":
            return self._send(200, self._index(), "text/html")
        return self._send(404, "404 page not found", "text/plain")

    def do_DELETE(self):
        if urlparse(self.path).path != "/api/v1/messages":
            return self._send(405, "Method Not Allowed", "text/plain")
        length = int(self.headers.get("Content-Length") or 0)
        try:
            ids = json.loads(self.rfile.read(length) or b"{}").get("IDs") or []
        except (ValueError, AttributeError):
            ids = []
        with LOCK:
            if ids:
                MESSAGES[:] = [m for m in MESSAGES if m["ID"] not in set(ids)]
            else:
                MESSAGES.clear()
        return self._send(200, "ok", "text/plain")

    def _index(self):
        with LOCK:
            items = list(reversed(MESSAGES))
        rows = "".join(
            '<li><a class="message" href="/view/{}">{}</a> to {}</li>'.format(
                html.escape(m["ID"]), html.escape(m["Subject"] or "(no subject)"), html.escape(_text_of(m["To"]))
            )
            for m in items
        )
        return (
            "<!doctype html><html><head><title>Mailpit (STAND-IN)</title></head><body><h1>Mailpit inbox (stand-in)</h1>"
            f'<ul id="messages">{rows}</ul></body></html>'
        )

    def _page(self, item):
        frame = (
            '<iframe id="preview-html" src="/view/{}.html" style="width:100%;height:600px"></iframe>'.format(
                html.escape(item["ID"])
            )
            if item["HTML"]
            else "<pre>{}</pre>".format(html.escape(item["Text"]))
        )
        return "<!doctype html><html><head><title>{0} (Mailpit STAND-IN)</title></head><body><h1>{0}</h1><p>To {1}</p>{2}</body></html>".format(
            html.escape(item["Subject"]), html.escape(_text_of(item["To"])), frame
        )


class Inbox(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        store(data if isinstance(data, bytes) else data.encode())


def readyz():
    host, port = _bind("MP_UI_BIND_ADDR", "[::]:8025")
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/readyz", timeout=5) as answer:
            return 0 if answer.status == 200 else 1
    except Exception as exc:
        print(exc, file=sys.stderr)
        return 1


def main():
    if sys.argv[1:2] == ["readyz"]:
        sys.exit(readyz())
    smtp, ui = _bind("MP_SMTP_BIND_ADDR", "[::]:1025"), _bind("MP_UI_BIND_ADDR", "[::]:8025")
    if smtp[0] == "::":
        smtp = ("0.0.0.0", smtp[1])
    if ui[0] == "::":
        ui = ("0.0.0.0", ui[1])
    server = ThreadingHTTPServer(ui, Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Inbox(smtp, None, decode_data=False)
    print("mailpit stand-in (NOT Mailpit): SMTP on {}:{}, web UI and API on {}:{}".format(*smtp, *ui), flush=True)
    asyncore.loop()


if __name__ == "__main__":
    main()
