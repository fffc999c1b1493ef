"""Spec validation and plan derivation (no files written)."""

from __future__ import annotations

import ipaddress

import pytest

from generator.errors import StackError
from generator.plan import APP_SERVICES, OPENEDX_SERVICES, make_plan
from generator.spec import make_spec


def test_defaults_differ_per_app_so_stacks_run_side_by_side() -> None:
    xpro, mitx = make_plan(make_spec("xpro")), make_plan(make_spec("mitxonline"))
    assert xpro.project != mitx.project
    assert not ipaddress.ip_network(xpro.network.subnet).overlaps(ipaddress.ip_network(mitx.network.subnet))


def test_every_long_running_service_gets_a_unique_static_address_in_the_lower_half() -> None:
    plan = make_plan(make_spec("xpro"))
    assert list(plan.addresses) == list(OPENEDX_SERVICES + APP_SERVICES)
    net = ipaddress.ip_network(plan.network.subnet)
    dynamic = ipaddress.ip_network(plan.network.ip_range)
    ips = [ipaddress.ip_address(ip) for ip in plan.addresses.values()]
    assert len(set(ips)) == len(ips)
    for ip in ips:
        assert ip in net and ip not in dynamic
        assert str(ip) != plan.network.gateway and ip not in (net.network_address, net.broadcast_address)


def test_addresses_are_stable_for_the_same_answers() -> None:
    assert make_plan(make_spec("mitxonline")).addresses == make_plan(make_spec("mitxonline")).addresses


def test_one_name_one_port_per_public_service() -> None:
    plan = make_plan(make_spec("xpro"))
    # Every Open edX name is served by Tutor's Caddy on the one LMS port (Tutor's studio./apps./meilisearch. names).
    assert plan.urls == {
        "lms": "http://openedx.odl.local:8000",
        "studio": "http://studio.openedx.odl.local:8000",
        "mfe": "http://apps.openedx.odl.local:8000",
        "meilisearch": "http://meilisearch.openedx.odl.local:8000",
        "app": "http://xpro.odl.local:8053",
        "mail": "http://mail.xpro.odl.local:8055",
    }
    assert plan.hostnames == {
        "openedx.odl.local": "caddy",
        "studio.openedx.odl.local": "caddy",
        "apps.openedx.odl.local": "caddy",
        "meilisearch.openedx.odl.local": "caddy",
        "xpro.odl.local": "app-nginx",
        "mail.xpro.odl.local": "mailpit",
    }
    assert plan.ports == {"lms": 8000, "app-nginx": 8053, "mailpit": 8055}
    assert (
        plan.hosts_line
        == "127.0.0.1 apps.openedx.odl.local mail.xpro.odl.local meilisearch.openedx.odl.local openedx.odl.local studio.openedx.odl.local xpro.odl.local"
    )


def test_provider_settings_per_app() -> None:
    xpro = make_plan(make_spec("xpro")).bootstrap["openedx"]["provider"]["other_settings"]
    assert xpro == {
        "AUTHORIZATION_URL": "http://xpro.odl.local:8053/oauth2/authorize/",
        "ACCESS_TOKEN_URL": "http://xpro.odl.local:8053/oauth2/token/",
        "API_ROOT": "http://xpro.odl.local:8053/",
    }
    mitx = make_plan(make_spec("mitxonline")).bootstrap["openedx"]["provider"]["other_settings"]
    assert mitx == {
        "DISCOVERY_URL": "http://mitxonline.odl.local:8013/.well-known/openid-configuration",
        "API_ROOT": "http://mitxonline.odl.local:8013/",
    }


def test_contract_names_secrets_but_never_carries_their_values() -> None:
    plan = make_plan(make_spec("xpro"))
    text = repr(plan.bootstrap)
    for value in plan.secrets.values():
        assert value not in text


def test_redirect_uris_of_both_sides() -> None:
    contract = make_plan(make_spec("mitxonline")).bootstrap
    assert contract["openedx"]["oauth_app"]["redirect_uris"] == [
        "http://mitxonline.odl.local:8013/login/_private/complete",
        "http://mitxonline.odl.local:8013/_/auth/complete",
    ]
    assert contract["app"]["oauth_app"]["redirect_uris"] == ["http://openedx.odl.local:8000/auth/complete/ol-oauth2/"]
    assert contract["openedx"]["site_domain"] == "openedx.odl.local:8000"
    assert contract["openedx"]["provider"]["sites"] == ["openedx.odl.local:8000", "example.com"]


def test_secrets_are_generated_once_then_kept() -> None:
    first = make_plan(make_spec("xpro"))
    again = make_plan(make_spec("xpro"), first.secrets)
    fresh = make_plan(make_spec("xpro"))
    assert again.secrets == first.secrets
    assert all(fresh.secrets[name] != value for name, value in first.secrets.items())


@pytest.mark.parametrize(
    ("kwargs", "field", "fix"),
    [
        ({"app": "edx"}, "app", "xpro, mitxonline"),
        ({"app": "xpro", "subnet": "8.8.8.0/24"}, "subnet", "10.0.0.0/8"),
        ({"app": "xpro", "subnet": "172.28.53.0/28"}, "subnet", "/26"),
        ({"app": "xpro", "subnet": "172.28.53.7/24"}, "subnet", "CIDR"),
        ({"app": "xpro", "subnet": "fd00::/64"}, "subnet", "IPv4"),
        ({"app": "xpro", "name": "Bad Name"}, "name", "lowercase"),
        ({"app": "xpro", "apisix": True}, "apisix", "mitxonline"),
        ({"app": "xpro", "ports": {"web": 1}}, "ports", "lms"),
    ],
    ids=["unknown-app", "public-subnet", "small-subnet", "host-bits", "ipv6", "bad-name", "apisix-on-xpro", "unknown-port"],
)
def test_bad_spec_names_field_and_fix(kwargs: dict, field: str, fix: str) -> None:
    with pytest.raises(StackError) as err:
        make_plan(make_spec(**kwargs))
    assert err.value.field == field
    assert fix in err.value.fix


@pytest.mark.parametrize(
    ("addresses", "problem"),
    [
        ({"lms": "10.0.0.5"}, "outside the subnet"),
        ({"lms": "172.28.53.1"}, "gateway"),
        ({"lms": "172.28.53.0"}, "network or broadcast"),
        ({"lms": "172.28.53.200"}, "dynamic"),
        ({"lms": "172.28.53.30", "cms": "172.28.53.30"}, "already used"),
        ({"nosuch": "172.28.53.30"}, "no long-running service"),
        ({"lms": "not-an-ip"}, "not an IP"),
    ],
    ids=["outside", "gateway", "network-address", "dynamic-range", "twice", "unknown-service", "not-an-ip"],
)
def test_bad_addresses(addresses: dict, problem: str) -> None:
    with pytest.raises(StackError) as err:
        make_plan(make_spec("xpro", addresses=addresses))
    assert problem in str(err.value)


def test_an_address_override_is_honoured_and_others_avoid_it() -> None:
    plan = make_plan(make_spec("xpro", addresses={"cms": "172.28.53.10"}))
    assert plan.addresses["cms"] == "172.28.53.10"
    assert plan.addresses["mysql"] != "172.28.53.10"


@pytest.mark.parametrize(
    ("ports", "problem"), [({"lms": 8053}, "both lms and app-nginx"), ({"app": 80}, "outside")], ids=["shared", "privileged"]
)
def test_bad_ports(ports: dict, problem: str) -> None:
    with pytest.raises(StackError) as err:
        make_plan(make_spec("xpro", ports=ports))
    assert problem in str(err.value)


def test_unknown_image_override_is_rejected() -> None:
    with pytest.raises(StackError) as err:
        make_plan(make_spec("xpro", images={"postgress": "x:1"}))
    assert "postgres" in err.value.fix


@pytest.mark.parametrize("app", ["xpro", "mitxonline"])
def test_the_test_learner_is_planned_with_a_kept_password_and_the_apps_own_sync(app: str) -> None:
    plan = make_plan(make_spec(app))
    learner = plan.bootstrap["app"]["learner"]
    assert learner["username"] == "testlearner"
    assert learner["email"] == f"testlearner@{plan.app.hostname}"
    assert learner["password_secret"] == "learner_password" and plan.secrets["learner_password"]
    assert make_plan(make_spec(app), plan.secrets).secrets["learner_password"] == plan.secrets["learner_password"]
    # Upstream module paths: mitxonline openedx/api.py, mitxpro courseware/api.py.
    assert (learner["api"], learner["record"]) == {
        "xpro": ("courseware.api", "courseware_users"),
        "mitxonline": ("openedx.api", "openedx_users"),
    }[app]
    assert learner["image"] == plan.images[plan.app.image]
    assert plan.bootstrap["openedx"]["learner"]["provider_id"] == f"oa2-{plan.era.backend_name}"


def test_only_mitxonline_gets_a_client_credentials_app_with_its_own_secrets() -> None:
    online, xpro = make_plan(make_spec("mitxonline")), make_plan(make_spec("xpro"))
    cc = online.bootstrap["openedx"]["courses_oauth_app"]
    assert cc["grant_type"] == "client-credentials" and cc["owner"] == online.era.service_worker
    assert online.secrets[cc["client_id_secret"]] and online.secrets[cc["client_secret_secret"]]
    assert online.secrets[cc["client_id_secret"]] != online.secrets["openedx_client_id"]
    assert online.bootstrap["app"]["learner"]["client_credentials"]["token_url"].endswith("/oauth2/access_token")
    assert xpro.bootstrap["openedx"]["courses_oauth_app"] is None
    assert xpro.bootstrap["app"]["learner"]["client_credentials"] is None
    assert "courses_client_id" not in xpro.secrets
