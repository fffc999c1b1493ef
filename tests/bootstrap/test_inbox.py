"""The checklist's mail lines (generator/bootstrap/inbox.py) against a fake of Mailpit's API:
what arrives counts only when new, is deleted by its IDs (never the whole inbox), and every way
of not arriving is one ✗ with what was last seen."""

from __future__ import annotations

import json
from typing import Any

from bootstrap_helpers import stack_plan

from generator.bootstrap import inbox
from generator.bootstrap.probes import Answer

SINCE = "2026-12-03T12:00:00.000000+00:00"


class Mailpit:
    def __init__(self, messages: list[dict[str, Any]] | None = None, search_status: int = 200, delete_status: int = 200) -> None:
        self.messages = list(messages or [])
        self.search_status, self.delete_status = search_status, delete_status
        self.deleted: list[list[str]] = []

    def __call__(self, method: str, url: str, body: bytes | None = None, headers: Any = None, timeout: float = 10) -> Answer:
        if method == "GET" and "/api/v1/search?" in url:
            return Answer(self.search_status, body=json.dumps({"messages": self.messages}).encode())
        if method == "DELETE" and url.endswith("/api/v1/messages"):
            ids = json.loads(body or b"{}")["IDs"]
            self.deleted.append(ids)
            self.messages = [m for m in self.messages if m["ID"] not in ids]
            return Answer(self.delete_status, body=b"ok")
        return Answer(404)


def _message(ident: str, to: str, created: str) -> dict[str, Any]:
    return {"ID": ident, "To": [{"Name": "", "Address": to}], "Subject": "Password reset", "Created": created}


def _facts(plan: Any, **errors: str) -> dict[str, Any]:
    mail = plan.data["mail"]
    return {
        side: {"mail": {"to": mail[f"{side}_recipient"], "since": SINCE, **({"error": errors[side]} if side in errors else {})}}
        for side in ("lms", "app")
    }


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_new_mail_of_each_side_passes_and_is_deleted_by_its_ids_only() -> None:
    plan = stack_plan("xpro")
    mail = plan.data["mail"]
    # Go writes nanoseconds: nine fraction digits. An older mail to the same address and a mail
    # to another address stay.
    fake = Mailpit(
        [
            _message("new-lms", mail["lms_recipient"], "2026-12-03T12:00:01.123456789Z"),
            _message("new-app", mail["app_recipient"], "2026-12-03T12:00:02Z"),
            _message("old", mail["app_recipient"], "2026-12-03T11:00:00Z"),
            _message("other", "someone@else.test", "2026-12-03T12:00:03Z"),
        ]
    )
    checks = inbox.mail_checks(plan, _facts(plan), fake)
    assert [c.ok for c in checks] == [True, True], checks
    assert checks[0].label.startswith("Open edX's password-reset mail") and mail["url"] in checks[0].label
    assert fake.deleted == [["new-lms"], ["new-app"]]
    assert {m["ID"] for m in fake.messages} == {"old", "other"}


def test_mail_that_never_arrives_fails_after_the_bound_with_what_was_seen() -> None:
    plan = stack_plan("mitxonline")
    mail = plan.data["mail"]
    fake, clock = Mailpit([_message("old", mail["lms_recipient"], "2026-12-03T11:00:00Z")]), Clock()
    checks = inbox.mail_checks(plan, _facts(plan), fake, clock=clock, sleep=clock.sleep)
    assert [c.ok for c in checks] == [False, False]
    assert (
        checks[0].reason == f"nothing after {mail['timeout']}s: 1 older message(s) to {mail['lms_recipient']}, none since {SINCE}"
    )
    assert clock.now >= 2 * mail["timeout"]
    assert fake.deleted == []


def test_send_errors_an_unreachable_inbox_and_a_refused_delete_are_each_one_reason() -> None:
    plan = stack_plan("xpro")
    clock = Clock()
    checks = inbox.mail_checks(
        plan, _facts(plan, lms="SMTPConnectError: (111, 'refused')"), Mailpit(search_status=503), clock=clock, sleep=clock.sleep
    )
    assert checks[0].reason == "sending failed: SMTPConnectError: (111, 'refused')"
    assert checks[1].reason.endswith(f"{plan.data['mail']['url']}/api/v1/search answered HTTP 503")
    mail = plan.data["mail"]
    fake = Mailpit(
        [
            _message("a", mail["lms_recipient"], "2026-12-03T12:00:01Z"),
            _message("b", mail["app_recipient"], "2026-12-03T12:00:01Z"),
        ],
        delete_status=500,
    )
    checks = inbox.mail_checks(plan, _facts(plan), fake)
    assert checks[0].reason == f"arrived, but DELETE {mail['url']}/api/v1/messages answered HTTP 500"
    facts = {"lms": {"mail": None}, "app": {}}
    assert [c.reason for c in inbox.mail_checks(plan, facts, fake)] == [
        "the lms side sent none (its script has no mail step)",
        "the app side sent none (its script has no mail step)",
    ]
