"""The stack's mail inbox, read through Mailpit's REST API: did each side's mail arrive?

Mailpit's routes (axllent/mailpit server/server.go): GET /api/v1/search?query= (apiv1/messages.go
Search: the MessagesSummary of the matching messages, newest first, `to:` matching the To
addresses, internal/storage/search.go) and DELETE /api/v1/messages with {"IDs": [...]}
(apiv1/messages.go DeleteMessages: those messages; with no IDs it deletes ALL, so an empty list is
never sent). A summary (internal/storage/structs.go MessageSummary) has ID, To [{Name, Address}],
Subject and Created (RFC 3339 with nanoseconds, when Mailpit received it).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from .plan import Plan
from .probes import Answer
from .verify import Check

POLL = 0.5
# Container clocks are the host's; a message is received after its side's `since`. The slack
# only covers a clock read and the ISO round trip.
SLACK = timedelta(seconds=2)
SIDES = (("lms", "Open edX", "lms_sender"), ("app", "MIT app", "app_sender"))


def _created(summary: dict[str, Any]) -> datetime | None:
    raw = str(summary.get("Created") or "")
    # Go writes up to nine fraction digits; Python before 3.12 reads at most six.
    raw = re.sub(r"(\.\d{6})\d+", r"\1", raw).replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def _addressed_to(summary: dict[str, Any], email: str) -> bool:
    return any(isinstance(a, dict) and str(a.get("Address", "")).lower() == email.lower() for a in summary.get("To") or [])


def search(api: str, http: Callable[..., Answer], email: str) -> tuple[list[dict[str, Any]] | None, str]:
    """Messages to `email` (Mailpit's search, then the exact address), or None and why."""
    answer = http("GET", f"{api}/api/v1/search?{urlencode({'query': f'to:{email}'})}", headers={"Accept": "application/json"})
    if answer.status != 200:
        return None, f"{api}/api/v1/search answered {answer.describe()}"
    try:
        messages = json.loads(answer.body.decode("utf-8", "replace")).get("messages")
    except (ValueError, AttributeError):
        return None, f"{api}/api/v1/search answered HTTP 200 without a messages list"
    if not isinstance(messages, list):
        return None, f"{api}/api/v1/search answered HTTP 200 without a messages list"
    return [m for m in messages if isinstance(m, dict) and _addressed_to(m, email)], ""


def delete(api: str, http: Callable[..., Answer], ids: list[str]) -> Answer:
    assert ids, "an empty IDs list makes Mailpit delete every message"
    return http(
        "DELETE", f"{api}/api/v1/messages", body=json.dumps({"IDs": ids}).encode(), headers={"Content-Type": "application/json"}
    )


def arrived(
    api: str,
    http: Callable[..., Answer],
    sent: dict[str, Any],
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[list[dict[str, Any]], str]:
    """Poll the inbox (bounded) for mail to `sent['to']` received since `sent['since']`; what was found,
    else what was last seen."""
    since = datetime.fromisoformat(sent["since"]) - SLACK
    deadline = clock() + timeout
    while True:
        messages, problem = search(api, http, sent["to"])
        if messages is not None:
            new = [m for m in messages if (_created(m) or since) >= since]
            if new:
                return new, ""
            problem = f"{len(messages)} older message(s) to {sent['to']}, none since {sent['since']}"
        if clock() >= deadline:
            return [], f"nothing after {timeout:.0f}s: {problem}"
        sleep(POLL)


def mail_checks(
    plan: Plan,
    facts: dict[str, dict[str, Any]],
    http: Callable[..., Answer],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Check]:
    """One line per side: its password-reset mail is in the inbox (then deleted from it)."""
    mail = plan.data.get("mail")
    if not mail:
        return []
    api, checks = mail["url"], []
    for side, who, sender in SIDES:
        sent = (facts.get(side) or {}).get("mail")
        to = (sent or {}).get("to") or mail[f"{side}_recipient"]
        label = f"{who}'s password-reset mail ({mail[sender]}) to {to} arrives in the inbox {api} (read through its API, then deleted)"
        if not sent:
            checks.append(Check(label, False, f"the {side} side sent none (its script has no mail step)"))
            continue
        if sent.get("error"):
            checks.append(Check(label, False, f"sending failed: {sent['error']}"))
            continue
        found, problem = arrived(api, http, sent, mail["timeout"], clock, sleep)
        if not found:
            checks.append(Check(label, False, problem))
            continue
        answer = delete(api, http, [str(m["ID"]) for m in found])
        ok = answer.status == 200
        checks.append(Check(label, ok, "" if ok else f"arrived, but DELETE {api}/api/v1/messages answered {answer.describe()}"))
    return checks
