"""The stack's one mail inbox (Mailpit): where each side is told to send, what Tutor renders,
how the inbox is published and announced. Nothing here may point mail outside the stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from helpers import VARIANTS, make_stack

from generator import stackdir, versions
from generator.plan import MAIL_SERVICE, MAIL_SMTP_PORT, make_plan
from generator.profiles import APPS
from generator.spec import make_spec

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _env(stack: Path) -> dict[str, str]:
    lines = [line for line in (stack / "app.env").read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def _compose(stack: Path) -> dict:
    return yaml.safe_load((stack / "docker-compose.yml").read_text())


@pytest.mark.parametrize("name", VARIANTS)
def test_every_stack_has_the_pinned_mailpit_on_loopback_with_its_hostname(stacks: dict[str, Path], name: str) -> None:
    stack = stacks[name]
    plan = json.loads((stack / "plan.json").read_text())
    services = _compose(stack)["services"]
    mail = services[MAIL_SERVICE]
    port = int(plan["mail"]["url"].rsplit(":", 1)[1])
    assert mail["image"] == versions.images()["mailpit"] == "docker.io/axllent/mailpit:v1.30.7"
    assert mail["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert mail["environment"]["MP_UI_BIND_ADDR"] == f"0.0.0.0:{port}"
    assert mail["environment"]["MP_SMTP_BIND_ADDR"] == f"0.0.0.0:{MAIL_SMTP_PORT}"
    # Nothing onward: no relay or forward configured, no version check against GitHub.
    assert not [k for k in mail["environment"] if k.startswith(("MP_SMTP_RELAY", "MP_SMTP_FORWARD"))]
    assert mail["environment"]["MP_DISABLE_VERSION_CHECK"] == "1"
    hostname = plan["mail"]["url"].split("//", 1)[1].rsplit(":", 1)[0]
    assert hostname == f"mail.{APPS[plan['app_name']].hostname}"
    assert mail["networks"]["odl"]["aliases"] == [hostname]
    assert plan["network"]["hostnames"][hostname] == MAIL_SERVICE
    assert hostname in stackdir.load(stack).hosts_line.split()
    # Tutor's exim relay (which delivers onward) is gone, and nothing waits for it.
    assert "smtp" not in services
    assert not [n for n, s in services.items() if "smtp" in (s.get("depends_on") or {})]
    assert services["bootstrap"]["depends_on"][MAIL_SERVICE] == {"condition": "service_started"}


@pytest.mark.parametrize("name", VARIANTS)
def test_open_edx_sends_through_tutors_smtp_keys_to_mailpit(stacks: dict[str, Path], name: str) -> None:
    stack = stacks[name]
    config = yaml.safe_load((stack / "tutor" / "config.yml").read_text())
    assert {k: config[k] for k in ("RUN_SMTP", "SMTP_HOST", "SMTP_PORT", "SMTP_USE_TLS", "SMTP_USE_SSL")} == {
        "RUN_SMTP": False,
        "SMTP_HOST": MAIL_SERVICE,
        "SMTP_PORT": MAIL_SMTP_PORT,
        "SMTP_USE_TLS": False,
        "SMTP_USE_SSL": False,
    }
    for variant in ("lms", "cms"):
        env = yaml.safe_load((stack / "tutor" / "env" / "apps" / "openedx" / "config" / f"{variant}.env.yml").read_text())
        assert (env["EMAIL_HOST"], env["EMAIL_PORT"], env["EMAIL_USE_TLS"]) == (MAIL_SERVICE, MAIL_SMTP_PORT, False), variant
        assert env.get("EMAIL_BACKEND", SMTP_BACKEND) == SMTP_BACKEND


@pytest.mark.parametrize("name", VARIANTS)
def test_the_app_sends_every_kind_of_mail_to_mailpit_never_to_mailgun(stacks: dict[str, Path], name: str) -> None:
    stack = stacks[name]
    env = _env(stack)
    p = APPS[json.loads((stack / "plan.json").read_text())["app_name"]].env_prefix
    # mitxpro/settings.py:452-475 and main/settings.py:554-581 (Django's own backend), :525-529 and
    # :632-636 (NOTIFICATION_EMAIL_BACKEND, default anymail's Mailgun).
    assert env[f"{p}_EMAIL_BACKEND"] == SMTP_BACKEND
    assert (env[f"{p}_EMAIL_HOST"], env[f"{p}_EMAIL_PORT"], env[f"{p}_EMAIL_TLS"]) == (MAIL_SERVICE, str(MAIL_SMTP_PORT), "False")
    assert env[f"{p}_NOTIFICATION_EMAIL_BACKEND"] == SMTP_BACKEND
    if p == "MITX_ONLINE":  # main/settings.py:549-553, mitol.mail's own backend
        assert env["MITOL_MAIL_CONNECTION_BACKEND"] == SMTP_BACKEND
    backends = {k: v for k, v in env.items() if k.endswith("BACKEND") and "MAIL" in k}
    assert backends and set(backends.values()) == {SMTP_BACKEND}, backends
    assert not [k for k, v in env.items() if "anymail" in v.lower() or "console" in v.lower()]


def test_up_and_status_print_the_inbox_and_the_readme_says_where_it_is(stacks: dict[str, Path]) -> None:
    stack = stackdir.load(stacks["xpro"])
    assert stack.urls["Mail inbox"] == "http://mail.xpro.odl.local:8055"
    from generator.lifecycle import print_urls

    said: list[str] = []
    print_urls(stack, said.append)
    assert any("Mail inbox" in line and "http://mail.xpro.odl.local:8055" in line for line in said), said
    readme = (stacks["xpro"] / "README.md").read_text()
    assert "## Mail" in readme and "http://mail.xpro.odl.local:8055" in readme


def test_the_two_apps_inboxes_differ_and_a_port_answer_moves_it(tmp_path: Path) -> None:
    xpro, mitx = make_plan(make_spec("xpro")), make_plan(make_spec("mitxonline"))
    assert xpro.ports[MAIL_SERVICE] != mitx.ports[MAIL_SERVICE]
    assert xpro.urls["mail"] != mitx.urls["mail"]
    moved = make_stack(tmp_path, app="xpro", ports={"mail": 8199})
    assert _compose(moved)["services"][MAIL_SERVICE]["ports"] == ["127.0.0.1:8199:8199"]
    assert json.loads((moved / "plan.json").read_text())["mail"]["url"] == "http://mail.xpro.odl.local:8199"


def test_mailpit_takes_the_relays_address_so_no_other_service_moves() -> None:
    plan = make_plan(make_spec("xpro"))
    assert plan.addresses[MAIL_SERVICE] == "172.28.53.14" and plan.addresses["lms"] == "172.28.53.15"


@pytest.mark.parametrize("name", VARIANTS)
def test_mailgun_is_unreachable_from_every_app_service_that_sends_mail(stacks: dict[str, Path], name: str) -> None:
    """What no env variable routes (xPro's mitol.mail through anymail's Mailgun) must still not leave the
    stack: Mailgun's API names resolve to the container itself in the services that send mail."""
    services = _compose(stacks[name])["services"]
    for service in ("app-web", "app-celery"):
        hosts = services[service].get("extra_hosts") or []
        pinned = dict(h.split(":", 1) for h in hosts) if isinstance(hosts, list) else dict(hosts)
        assert pinned.get("api.mailgun.net") == "127.0.0.1" and pinned.get("api.eu.mailgun.net") == "127.0.0.1", (service, hosts)
