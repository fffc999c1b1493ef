"""A person's journeys through a running stack, in the browser of browser.py: the steps the
scenario modules share (every URL comes from the stack's plan.json, as a person reads them from
the README and credentials.txt)."""

from __future__ import annotations

import json
import re

from browser import Browser
from harness import Stack, log


def hostnames(*stacks: Stack) -> list[str]:
    """The names the stacks' /etc/hosts lines map to 127.0.0.1."""
    return sorted({name for s in stacks for name in s.plan["network"]["hostnames"]})


def keycloak_sign_in(stack: Stack, b: Browser, username: str, password: str) -> None:
    """--apisix: the app's /login/ on APISIX → Keycloak's form, filled in and sent → the app's
    dashboard, which names the user APISIX's X-Userinfo made."""
    kc = stack.plan["keycloak"]
    b.open(kc["gateway"]["login_url"])
    assert b.url.startswith(f"{kc['issuer']}/protocol/openid-connect/auth"), b.url
    text = b.submit("form#kc-form-login", {"username": username, "password": password})
    assert b.url == f"{kc['gateway']['url']}/dashboard", b.url
    assert json.loads(text)["username"] == username, text


def xpro_sign_in(stack: Stack, b: Browser, email: str, password: str) -> str:
    """xPro's /signin/ form (email, password), then the app's own view of the user: the username."""
    app = stack.plan["app"]["url"]
    b.open(f"{app}/signin/?next=/api/users/me")
    text = b.submit("form#signin", {"email": email, "password": password})
    assert b.url == f"{app}/api/users/me", b.url
    return json.loads(text)["username"]


def cross_over_to_the_lms(stack: Stack, b: Browser, username: str, enrolled: bool = False) -> None:
    """The LMS's third-party-auth login: through the app's authorize URL and back (a learner new
    to the LMS passes its /register page, whose script registers and resumes the login), past the
    LMS's /dashboard to where it sends a signed-in person: the learner-dashboard MFE
    (student_dashboard -> LEARNER_HOME_MICROFRONTEND_URL, learner_home_mfe.enabled being on). Then
    what that page shows (learner_dashboard_shows)."""
    lms = stack.plan["openedx"]
    b.open(f"{lms['url']}/auth/login/{lms['provider']['slug']}/?auth_entry=login")
    b.wait_until(lambda: b.url == lms["front"]["learner_dashboard_url"], "the learner-dashboard MFE")
    hops = b.navigations()
    assert f"302 {lms['url']}/dashboard" in hops, hops
    app_host = stack.plan["app"]["url"]
    assert any(f"{app_host}/oauth2/authorize" in hop for hop in hops), "the app's authorize URL was not visited"
    learner_dashboard_shows(stack, b, username, enrolled)


JWT_COOKIES = ("edx-jwt-cookie-header-payload", "edx-jwt-cookie-signature")  # user_authn/cookies.py


def learner_dashboard_shows(stack: Stack, b: Browser, username: str, enrolled: bool) -> None:
    """The learner-dashboard MFE's page, in the browser's own session: the learner named by the
    JWT login cookies, and the LMS API that MFE calls (/api/learner_home/init) answering 200 with
    the stack's course among the enrollments when `enrolled`. Then the same with every other
    cookie of the LMS's host deleted: the JWT cookies alone authenticate the MFE's call. Saves a
    screenshot of the page."""
    course, lms_host = stack.plan["course"], stack.plan["openedx"]["url"].split("://", 1)[1].rsplit(":", 1)[0]
    put_back: list[dict] = []
    for attempt in ("with the LMS session", "with the JWT cookies alone"):
        b.wait_until(
            lambda: b.driver.find_element("tag name", "body").get_attribute("data-loaded") == "true",
            f"the learner-dashboard page's calls ({attempt})",
        )
        text = b.text
        assert f"signed in as: {username} (" in text, (attempt, text)
        assert "/api/learner_home/init: HTTP 200" in text, (attempt, text)
        line = f"{course['display_name']} ({course['key']}) enrolled"
        assert (line in text) == enrolled, (attempt, enrolled, text)
        if not put_back:
            ours = [c for c in b.cookies() if c["domain"].lstrip(".") == lms_host]
            assert set(JWT_COOKIES) <= {c["name"] for c in ours}, ours
            put_back = [c for c in ours if c["name"] not in JWT_COOKIES]
            for c in put_back:
                b.driver.execute_cdp_cmd("Network.deleteCookies", {"name": c["name"], "domain": c["domain"], "path": c["path"]})
            b.driver.refresh()
    name = f"learner-dashboard {stack.plan['app_name']} {username}"
    log(f"learner-dashboard MFE page ({course['key']} {'listed' if enrolled else 'not asked for'}) saved as {b.screenshot(name)}")
    # The rest of the journey has its LMS session back (the logout journeys sign it out).
    for c in put_back:  # a session cookie has expires -1 there: set without one
        keys = ("name", "value", "domain", "path", "secure", "httpOnly", "sameSite") + (() if c.get("session") else ("expires",))
        b.driver.execute_cdp_cmd("Network.setCookie", {key: c[key] for key in keys if key in c})


def lms_logout(stack: Stack, b: Browser) -> list[str]:
    """The LMS's /logout: "You have signed out.", the app's logout URL (IDA_LOGOUT_URI_LIST, with
    edX's `no_redirect=1`) loaded in an iframe, then on to the LMS home page, signed out. Returns
    that iframe's hops ("STATUS URL"), the app's logout URL first."""
    lms, app_logout = stack.plan["openedx"]["url"], stack.plan["app"]["logout_url"]
    b.open(f"{lms}/logout")
    b.wait_until(lambda: b.url == f"{lms}/", "redirect from the logout page to the LMS home page")
    assert "signed in: nobody" in b.text, b.text
    assert "not logged in" in b.open(f"{lms}/dashboard")
    frames = b.iframe_hops()
    mine = [hops for hops in frames if hops[0].split(" ", 1)[1] == f"{app_logout}?no_redirect=1"]
    assert mine, f"the LMS logout page did not load {app_logout}?no_redirect=1 in an iframe: {frames}"
    # The ID token APISIX hands Keycloak is a credential: left out of the log.
    shown = [re.sub(r"(id_token_hint=)[^&]+", r"\1...", hop) for hop in mine[0]]
    log(f"LMS logout, the app's iframe: {' -> '.join(shown)}")
    return mine[0]


def app_user(url: str, b: Browser) -> str | None:
    """`url` is the app's page naming the signed-in user (JSON "username"; null or a 403 when nobody)."""
    text = b.open(url)
    try:
        return json.loads(text).get("username")
    except ValueError:
        return None


def xpro_sign_out(stack: Stack, b: Browser) -> None:
    """xPro's "Sign Out": the user menu's form, POSTed to /logout/ with the CSRF cookie's token
    (mitodl/mitxpro static/js/components/UserMenu.js:74-88), made and sent on an xPro page."""
    b.open(f"{stack.plan['app']['url']}/api/users/me")
    b.post_form(stack.plan["app"]["logout_url"], {"csrfmiddlewaretoken": b.cookie("csrftoken")})
