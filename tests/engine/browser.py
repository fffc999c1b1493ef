"""A person's browser for the engine tier: Debian's headless Chromium on the host, driven by
Selenium through Debian's chromedriver (path set explicitly: nothing is downloaded).

It reaches a stack only as a person does: through the ports published on 127.0.0.1, by the
stack's hostnames, which `--host-resolver-rules` maps to 127.0.0.1 exactly as the README's
/etc/hosts line does (no container IP, no edited /etc/hosts; any other name does not resolve).
Every navigation (redirects and iframes too) is read from Chrome's performance log, so a
failing journey prints its hop list and the page's visible text; the last page of each journey
is saved as a PNG under .cache/engine/browser/ (the engine tier's artifacts).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from harness import ROOT, log

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = ROOT / ".cache/engine/browser"
# What this machine's headless Chromium needs (root, no GPU, no network beyond loopback).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
    "--window-size=1280,900",
)


def resolver_rules(hostnames: list[str]) -> str:
    """The hosts line as Chromium's resolver rules: each name → 127.0.0.1, nothing else resolves."""
    return ", ".join([f"MAP {name} 127.0.0.1" for name in sorted(set(hostnames))] + ["MAP * ~NOTFOUND"])


class Browser:
    """One Chromium profile (a fresh --user-data-dir); cookies live as long as it does."""

    def __init__(self, hostnames: list[str]) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.profile = tempfile.mkdtemp(prefix="odl-e2e-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*FLAGS, f"--user-data-dir={self.profile}", f"--host-resolver-rules={resolver_rules(hostnames)}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(60)
        self.main_frame = self.driver.execute_cdp_cmd("Page.getFrameTree", {})["frameTree"]["frame"]["id"]
        self.hops: list[str] = []
        self.frames: dict[str, list[str]] = {}  # each iframe's own hops, by Chrome's frame id

    # ------------------------------------------------------------------ navigation
    def open(self, url: str) -> str:
        """Navigate as if typed in the address bar; the page's visible text once loaded."""
        self.driver.get(url)
        return self.text

    def submit(self, form_css: str, fields: dict[str, str]) -> str:
        """Type `fields` into the form's inputs (by name), press its submit button; the next page's text."""
        from selenium.webdriver.common.by import By

        form = self.driver.find_element(By.CSS_SELECTOR, form_css)
        for name, value in fields.items():
            box = form.find_element(By.NAME, name)
            box.clear()
            box.send_keys(value)
        old = self.driver.find_element(By.TAG_NAME, "html")
        buttons = form.find_elements(By.CSS_SELECTOR, "[type=submit]")
        if buttons:
            buttons[0].click()
        else:
            form.submit()
        self.wait_until(lambda: not _attached(old), "the form's next page")
        return self.text

    def post_form(self, action: str, fields: dict[str, str]) -> str:
        """What a page's own `<form method="post">` does: one made on the current page with
        these hidden fields and submitted; the next page's text."""
        from selenium.webdriver.common.by import By

        old = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.execute_script(
            "const form = document.createElement('form'); form.method = 'post'; form.action = arguments[0];"
            "for (const [name, value] of Object.entries(arguments[1])) {"
            " const box = document.createElement('input'); box.type = 'hidden'; box.name = name; box.value = value;"
            " form.appendChild(box); }"
            "document.body.appendChild(form); form.submit();",
            action,
            fields,
        )
        self.wait_until(lambda: not _attached(old), "the form's next page")
        return self.text

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"browser: no {what} within {timeout:.0f}s (at {self.url})")
            time.sleep(0.2)

    @property
    def url(self) -> str:
        return self.driver.current_url

    @property
    def text(self) -> str:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.TAG_NAME, "body").text

    def cookies(self) -> list[dict]:
        """Every cookie of the profile (all hosts), as the browser holds them."""
        return self.driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]

    def cookie(self, name: str) -> str:
        """The value of the current page's cookie `name` (as the page's script reads it)."""
        found = self.driver.get_cookie(name)
        assert found, f"no cookie {name!r} at {self.url}"
        return found["value"]

    # ------------------------------------------------------------------ hops
    def navigations(self) -> list[str]:
        """'STATUS METHOD URL' of each document the browser loaded (redirect hops and iframes
        too, iframes marked), read from Chrome's performance log; accumulates over the session."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if params.get("type") != "Document":
                continue
            if message["method"] == "Network.requestWillBeSent" and "redirectResponse" in params:
                response = params["redirectResponse"]
            elif message["method"] == "Network.responseReceived":
                response = params["response"]
            else:
                continue
            hop = f"{response['status']} {response['url']}"
            if params.get("frameId") == self.main_frame:
                self.hops.append(hop)
            else:
                self.hops.append(f"(iframe) {hop}")
                self.frames.setdefault(params.get("frameId", ""), []).append(hop)
        return self.hops

    def iframe_hops(self) -> list[list[str]]:
        """The hops of each iframe loaded so far, one list per frame."""
        self.navigations()
        return list(self.frames.values())

    def report(self) -> str:
        """What a failing journey prints: every hop, then the page's visible text."""
        try:
            hops, where, text = self.navigations(), self.url, self.text
        except Exception as exc:  # the browser itself may be what failed
            return f"(browser unreadable: {exc})\nhops so far:\n" + "\n".join(self.hops)
        return "hops (status, URL):\n  " + "\n  ".join(hops or ["(none)"]) + f"\npage: {where}\nvisible text:\n{text[:3000]}"

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        self.driver.save_screenshot(str(path))
        return path

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


def _attached(element: object) -> bool:
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        _ = element.tag_name  # type: ignore[attr-defined]
        return True
    except StaleElementReferenceException:
        return False


@contextlib.contextmanager
def journey(name: str, hostnames: list[str]) -> Iterator[Browser]:
    """A journey in a fresh profile. On failure prints the hop list and the visible text; always
    saves a screenshot of the last page as .cache/engine/browser/<name>.png."""
    t0 = time.monotonic()
    browser = Browser(hostnames)
    try:
        yield browser
    except BaseException:
        print(f"\n===== browser journey '{name}' failed =====\n{browser.report()}", flush=True)
        raise
    finally:
        with contextlib.suppress(Exception):
            log(f"browser '{name}': {time.monotonic() - t0:.1f}s, last page saved as {browser.screenshot(name)}")
        browser.close()
