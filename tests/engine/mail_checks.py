"""The stack's one mail inbox (Mailpit; its stand-in here), run by
test_engine_scenarios.py on its stack of each app: the checklist's mail lines, the inbox left as found, and a person's password reset through it in the browser.

Every URL comes from the stack's plan.json (the inbox's is printed by `new`, `up` and `status`
and written in the stack's README); the host reaches the inbox only on its published loopback port.
"""

from __future__ import annotations

import json
import time
import urllib.parse

import journeys
from browser import journey
from harness import LoopbackBrowser, Stack, assert_all_green, log

MAIL_LINES = ("Open edX's password-reset mail", "MIT app's password-reset mail")


def _inbox(stack: Stack) -> tuple[LoopbackBrowser, str]:
    return LoopbackBrowser(journeys.hostnames(stack)), stack.plan["mail"]["url"]


def _messages_to(stack: Stack, email: str) -> list[dict]:
    client, url = _inbox(stack)
    status, _, body = client.request("GET", f"{url}/api/v1/search?{urllib.parse.urlencode({'query': f'to:{email}'})}")
    assert status == 200, (status, body[:300])
    return [m for m in json.loads(body)["messages"] if any(a["Address"].lower() == email.lower() for a in m["To"])]


def test_checklist_mail_lines_pass_and_leave_the_inbox_as_found(stack: Stack) -> None:
    report = assert_all_green(stack.first_bootstrap)  # type: ignore[attr-defined]
    labels = [text for _, text in report["checks"]]
    for line in MAIL_LINES:
        assert any(text.startswith(line) and stack.plan["mail"]["url"] in text for text in labels), (line, labels)
    mail = stack.plan["mail"]
    for email in (mail["lms_recipient"], mail["app_recipient"]):
        assert _messages_to(stack, email) == [], f"the checklist left its mail to {email} in the inbox"
    # verify sends and deletes again (the app DB stays as it was: test_engine_scenarios' verify test).
    proc = stack.compose("run", "--rm", "--no-deps", "bootstrap", "verify", timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sum(text.startswith(MAIL_LINES) for _, text in assert_all_green(proc.stdout)["checks"]) == 2, proc.stdout
    for email in (mail["lms_recipient"], mail["app_recipient"]):
        assert _messages_to(stack, email) == [], f"verify left its mail to {email} in the inbox"


def test_inbox_is_published_on_loopback_with_its_hostname(stack: Stack) -> None:
    client, url = _inbox(stack)
    status, _, body = client.request("GET", f"{url}/")
    assert status == 200 and b"Mailpit" in body, (status, body[:300])
    status, _, body = client.request("GET", f"{url}/api/v1/messages")
    assert status == 200 and "messages" in json.loads(body), (status, body[:300])
    port = stack.plan["mail"]["url"].rsplit(":", 1)[1]
    published = stack.compose("port", stack.plan["mail"]["service"], port).stdout.strip()
    assert published == f"127.0.0.1:{port}", published


def test_person_resets_the_lms_password_through_the_inbox_and_signs_in(stack: Stack) -> None:
    """At the LMS: "Reset my password" with the learner's email; the inbox's UI from the host; the
    message's link; a new password; then signed in with it (the LMS's /api/user/v1/me names the learner)."""
    lms, learner = stack.plan["openedx"]["url"], stack.plan["app"]["learner"]
    email, password = learner["email"], "A-new-Passw0rd-" + str(int(time.time()))
    mail = stack.plan["mail"]["url"]
    with journey(f"password-reset-{stack.project}", journeys.hostnames(stack)) as b:
        b.open(f"{lms}/login")
        text = b.submit("form#password-reset-form", {"email": email})
        assert "success" in text, text
        assert "Mailpit" in b.open(f"{mail}/")
        deadline, found = time.monotonic() + 60, []
        while not found and time.monotonic() < deadline:
            found = _messages_to(stack, email)
            time.sleep(0.5)
        assert found, f"no mail to {email} in {mail} after 60s"
        message = found[0]
        log(f"password reset mail {message['ID']}: {message['Subject']!r}")
        # Mailpit's message page shows the HTML part from /view/<ID>.html (server/server.go viewHandler).
        b.open(f"{mail}/view/{message['ID']}.html")
        from selenium.webdriver.common.by import By

        link = b.driver.find_element(By.CSS_SELECTOR, "a[href*='/password_reset_confirm/']")
        assert link.get_attribute("href").startswith(f"{lms}/password_reset_confirm/"), link.get_attribute("href")
        link.click()
        b.wait_until(lambda: b.url.startswith(f"{lms}/password_reset_confirm/"), "the LMS's reset page")
        b.submit("form#reset-form", {"new_password1": password, "new_password2": password})
        assert b.url == f"{lms}/password_reset_complete/", (b.url, b.text)
        b.open(f"{lms}/login")
        text = b.submit("form#login-form", {"email": email, "password": password})
        assert '"success": true' in text, text
        # /dashboard sends a signed-in person on to the learner-dashboard MFE; the LMS's own
        # account API says who this session is.
        me = b.open(f"{lms}/api/user/v1/me?format=json")
        assert json.loads(me).get("username") == learner["username"], me
    client, url = _inbox(stack)
    status, _, _ = client.request("DELETE", f"{url}/api/v1/messages", json_body={"IDs": [m["ID"] for m in found]})
    assert status == 200
