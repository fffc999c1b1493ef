"""Rendered stacks: golden expectations, determinism, secrets, relocatability."""

from __future__ import annotations

import itertools
import json
import os
import stat
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, VARIANTS, checkout_of, make_stack, masked, stack_secrets, tree

GOLDEN = ROOT / "tests" / "golden"
# The files a reviewer reads; Tutor's own env tree is checked by the tests below.
GOLDEN_FILES = (
    "docker-compose.yml",
    "app.env",
    "plan.json",
    "stack.json",
    "README.md",
    "app/nginx.conf",
    "images/openedx/Dockerfile",
    "bootstrap/Dockerfile",
    "secrets/openedx.env",
    "secrets/credentials.txt",
    "tutor/env/apps/openedx/settings/lms/production.py",
)


@pytest.mark.parametrize("name", VARIANTS)
def test_golden(stacks: dict[str, Path], name: str) -> None:
    """Set ODL_UPDATE_GOLDEN=1 to rewrite the expectations, then read their diff."""
    stack = stacks[name]
    secrets = stack_secrets(stack)
    for relative in GOLDEN_FILES:
        actual = masked((stack / relative).read_text(), secrets)
        if relative.endswith("production.py"):
            # Only our patches: the rest is Tutor's, including key material no mask can name.
            actual = actual[actual.index("# odl-stack:") :]
        expected_path = GOLDEN / name / relative
        if os.environ.get("ODL_UPDATE_GOLDEN"):
            expected_path.parent.mkdir(parents=True, exist_ok=True)
            expected_path.write_text(actual)
        assert expected_path.exists(), f"no golden file {expected_path}; run with ODL_UPDATE_GOLDEN=1"
        assert actual == expected_path.read_text(), f"{name}/{relative} differs from its golden file"


def test_every_golden_stack_is_a_variant() -> None:
    # A golden directory no variant renders would never be compared, and so could never fail.
    assert sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()) == sorted(VARIANTS)


def test_regeneration_is_byte_identical_and_keeps_secrets(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, app="mitxonline")
    first = tree(stack)
    make_stack(tmp_path, app="mitxonline", force=True)
    assert tree(stack) == first


def test_regeneration_keeps_user_files_and_data(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, app="xpro")
    override = stack / "docker-compose.override.yml"
    override.write_text("services:\n  lms:\n    environment:\n      MINE: '1'\n")
    data = stack / "tutor" / "data" / "mysql" / "ibdata1"
    data.parent.mkdir(parents=True)
    data.write_bytes(b"\x00data")
    secrets_before = (stack / "secrets/secrets.json").read_text()
    make_stack(tmp_path, app="xpro", force=True)
    assert override.read_text().endswith("MINE: '1'\n")
    assert data.read_bytes() == b"\x00data"
    assert (stack / "secrets/secrets.json").read_text() == secrets_before


def test_two_new_stacks_get_different_secrets(tmp_path: Path) -> None:
    a = make_stack(tmp_path / "a", app="xpro")
    b = make_stack(tmp_path / "b", app="xpro")
    sa, sb = stack_secrets(a), stack_secrets(b)
    assert all(sa[name] != sb[name] for name in sa)


def test_secret_files_are_private(stacks: dict[str, Path]) -> None:
    for stack in stacks.values():
        assert stat.S_IMODE(stack.stat().st_mode) == 0o700
        for relative in (
            "docker-compose.yml",
            "app.env",
            "tutor/config.yml",
            "secrets/secrets.json",
            "secrets/openedx.env",
            "secrets/credentials.txt",
        ):
            assert stat.S_IMODE((stack / relative).stat().st_mode) == 0o600, relative
        # Every file that holds a secret value is private.
        secrets = stack_secrets(stack)
        for relative, content in tree(stack).items():
            if relative.startswith("tutor/env/"):
                continue  # Tutor's env is bind-mounted into containers running as other uids
            text = content.decode(errors="replace")
            if any(value in text for value in secrets.values()):
                assert stat.S_IMODE((stack / relative).stat().st_mode) == 0o600, relative


def test_no_absolute_host_paths(stacks: dict[str, Path]) -> None:
    for stack in stacks.values():
        for relative, content in tree(stack).items():
            text = content.decode(errors="replace")
            assert str(stack.parent) not in text, relative
            assert str(ROOT) not in text, relative


def test_app_env_sets_every_variable_the_app_requires(stacks: dict[str, Path]) -> None:
    # The app refuses to start without these: each app's RootConfig.ready() (mitxpro/apps.py, main/apps.py)
    # calls mitol.common.envs.validate() (mitodl/ol-django src/common/mitol/common/envs.py) on its required=True variables.
    required = {
        "xpro": [
            "MITXPRO_BASE_URL",
            "SECRET_KEY",
            "MAILGUN_SENDER_DOMAIN",
            "MAILGUN_KEY",
            "MITXPRO_ADMIN_EMAIL",
            "OPENEDX_API_CLIENT_ID",
            "OPENEDX_API_CLIENT_SECRET",
            "EXTERNAL_COURSE_SYNC_API_KEY",
            "DATABASE_URL",
        ],
        "mitxonline": [
            "MITX_ONLINE_BASE_URL",
            "SECRET_KEY",
            "MAILGUN_SENDER_DOMAIN",
            "MAILGUN_KEY",
            "MITX_ONLINE_ADMIN_EMAIL",
            "OPENEDX_API_CLIENT_ID",
            "OPENEDX_API_CLIENT_SECRET",
            "DATABASE_URL",
            "MITXONLINE_DOCKER_BASE_URL",
        ],
    }
    runbook = [
        "OPENEDX_IP",
        "EDX_IP",
        "OPENEDX_API_BASE_URL",
        "OPENEDX_BASE_REDIRECT_URL",
        "OPENEDX_SERVICE_WORKER_USERNAME",
        "OPENEDX_SERVICE_WORKER_API_TOKEN",
        "OPENEDX_OAUTH_PROVIDER",
        "OPENEDX_SOCIAL_LOGIN_PATH",
        "LOGOUT_REDIRECT_URL",
    ]
    for name, stack in stacks.items():
        env = dict(
            line.split("=", 1) for line in (stack / "app.env").read_text().splitlines() if line and not line.startswith("#")
        )
        for var in required[name.split("-")[0]] + runbook:
            assert env.get(var), f"{name}: {var} missing or empty"
        names = [
            line.split("=", 1)[0] for line in (stack / "app.env").read_text().splitlines() if line and not line.startswith("#")
        ]
        assert len(names) == len(set(names)), "a variable is set twice"
        plan = json.loads((stack / "plan.json").read_text())
        assert env["OPENEDX_IP"] == plan["network"]["addresses"]["caddy"]  # the LMS name resolves to the front
        backend = plan["openedx"]["provider"]["backend_name"]
        assert env["OPENEDX_OAUTH_PROVIDER"] == backend
        assert env["OPENEDX_SOCIAL_LOGIN_PATH"] == f"/auth/login/{backend}/?auth_entry=login"
        assert "mailgun" not in " ".join(v for k, v in env.items() if k.endswith("BACKEND")).lower()
        secrets = json.loads((stack / "secrets/secrets.json").read_text())
        assert env["OPENEDX_API_CLIENT_ID"] == secrets["openedx_client_id"]
        assert env["OPENEDX_SERVICE_WORKER_API_TOKEN"] == secrets["service_worker_token"]


def test_lms_settings_carry_the_runbook_private_py(stacks: dict[str, Path]) -> None:
    settings = (stacks["xpro"] / "tutor/env/apps/openedx/settings/lms/production.py").read_text()
    for line in (
        'FEATURES["ALLOW_PUBLIC_ACCOUNT_CREATION"] = True',
        'FEATURES["ENABLE_COMBINED_LOGIN_REGISTRATION"] = True',
        'FEATURES["ENABLE_THIRD_PARTY_AUTH"] = True',
        'FEATURES["ENABLE_OAUTH2_PROVIDER"] = True',
        'FEATURES["SKIP_EMAIL_VALIDATION"] = True',
        'FEATURES["ENABLE_AUTHN_MICROFRONTEND"] = False',
        'FEATURES["ENABLE_UNICODE_USERNAME"] = True',
        'REGISTRATION_EXTRA_FIELDS["country"] = "hidden"',
        'REGISTRATION_RATELIMIT = "1000/h"',  # every registration comes from the app's one IP
        'THIRD_PARTY_AUTH_BACKENDS = ["ol_social_auth.backends.OLOAuth2"]',
        '+ ["http://xpro.odl.local:8053/logout/"]',  # IDA_LOGOUT_URI_LIST: xPro's own logout/ path
        'SOCIAL_AUTH_OAUTH_SECRETS = {"ol-oauth2": os.environ.get("ODL_PROVIDER_CLIENT_SECRET", "")}',
        'SESSION_COOKIE_DOMAIN = "openedx.odl.local"',
        # lms/envs/production.py derived it from the YAML's "openedx.odl.local:8000": the JWT
        # login cookies the MFEs use would carry a port in their Domain, which browsers drop.
        'SHARED_COOKIE_DOMAIN = "openedx.odl.local"',
        'ALLOWED_HOSTS = list(ALLOWED_HOSTS) + ["openedx.odl.local"]',
        "heartbeat)",
    ):
        assert line in settings, line
    # The patches come after Tutor's own ALLOWED_HOSTS, so they win.
    assert settings.index('"lms",\n]') < settings.index("ALLOWED_HOSTS = list(")
    # Tutor itself derives the LMS's one URL from LMS_HOST, which carries the front's port.
    env = (stacks["xpro"] / "tutor/env/apps/openedx/config/lms.env.yml").read_text()
    assert 'LMS_BASE: "openedx.odl.local:8000"' in env and 'LMS_ROOT_URL: "http://openedx.odl.local:8000"' in env


def _compose(stack: Path) -> dict:
    return yaml.safe_load((stack / "docker-compose.yml").read_text())


def test_network_addresses_and_aliases(stacks: dict[str, Path]) -> None:
    for stack in stacks.values():
        compose, plan = _compose(stack), json.loads((stack / "plan.json").read_text())
        net = compose["networks"]["odl"]["ipam"]["config"][0]
        assert (net["subnet"], net["gateway"]) == (plan["network"]["subnet"], plan["network"]["gateway"])
        for name, service in compose["services"].items():
            attachment = (service["networks"] or {}).get("odl") or {}
            if name in plan["network"]["addresses"]:
                assert attachment["ipv4_address"] == plan["network"]["addresses"][name]
            else:
                assert "ipv4_address" not in attachment, name
        for hostname, service in plan["network"]["hostnames"].items():
            assert hostname in compose["services"][service]["networks"]["odl"]["aliases"]


def test_published_ports_match_the_listening_ports_on_loopback(stacks: dict[str, Path]) -> None:
    compose = _compose(stacks["xpro"])
    published = {name: s["ports"] for name, s in compose["services"].items() if s.get("ports")}
    assert published == {
        "caddy": ["127.0.0.1:8000:8000"],
        "app-nginx": ["127.0.0.1:8053:8053"],
        "mailpit": ["127.0.0.1:8055:8055"],
    }
    assert "listen 8053;" in (stacks["xpro"] / "app/nginx.conf").read_text()


def test_start_order(stacks: dict[str, Path]) -> None:
    services = _compose(stacks["mitxonline"])["services"]
    inits = [name for name in services if name.startswith("openedx-init-")]
    assert inits == [
        "openedx-init-1-lms",
        "openedx-init-2-mysql",
        "openedx-init-3-lms",
        "openedx-init-4-lms",
        "openedx-init-5-cms",
        "openedx-init-6-lms",
    ]
    for before, after in itertools.pairwise(inits):
        assert services[after]["depends_on"][before] == {"condition": "service_completed_successfully"}
    assert services["lms"]["depends_on"][inits[-1]] == {"condition": "service_completed_successfully"}
    assert "./manage.py lms migrate" in services["openedx-init-4-lms"]["command"][-1]
    assert services["app-web"]["depends_on"]["app-init"] == {"condition": "service_completed_successfully"}
    # A fresh PostgreSQL takes seconds to accept connections; migrate must not race it (engine tier).
    assert services["app-init"]["depends_on"]["app-db"] == {"condition": "service_healthy"}
    assert services["app-db"]["healthcheck"]["test"][1:4] == ["pg_isready", "-h", "127.0.0.1"]
    assert "configure_wagtail" in services["app-init"]["command"][-1]
    boot = services["bootstrap"]
    assert boot["restart"] == "no" and "${ODL_DOCKER_SOCKET:-/var/run/docker.sock}:/var/run/docker.sock" in boot["volumes"]
    assert set(boot["depends_on"]) >= {"lms", "app-web"}
    assert "build" in boot and all(v.startswith(("./", "${ODL_DOCKER_SOCKET:-/var/run/docker.sock}:")) for v in boot["volumes"])


def test_thin_openedx_image_is_used_by_every_openedx_service(stacks: dict[str, Path]) -> None:
    stack = stacks["xpro"]
    services = _compose(stack)["services"]
    thin = services["lms"]["image"]
    for name in ("lms", "cms", "lms-worker", "cms-worker", "lms-job", "cms-job", "openedx-init-4-lms"):
        assert services[name]["image"] == thin, name
    dockerfile = (stack / "images/openedx/Dockerfile").read_text()
    assert dockerfile.startswith("# ") and "FROM docker.io/overhangio/openedx:22.0.3" in dockerfile
    assert "--no-deps ol-social-auth==0.2.2 openedx-companion-auth==1.2.0" in dockerfile


def test_image_overrides_reach_every_service(tmp_path: Path) -> None:
    images = tmp_path / "images.yml"
    images.write_text("postgres: mirror.local/pg:15\nopenedx-base: mirror.local/openedx:1\nmysql: mirror.local/mysql:8\n")
    stack = make_stack(tmp_path, app="xpro", images_file=str(images))
    services = _compose(stack)["services"]
    assert services["app-db"]["image"] == "mirror.local/pg:15"
    assert services["mysql"]["image"] == services["openedx-init-2-mysql"]["image"] == "mirror.local/mysql:8"
    assert "FROM mirror.local/openedx:1" in (stack / "images/openedx/Dockerfile").read_text()
    # A thin image on another base gets its own tag, so it never shadows the real one.
    assert (
        services["lms"]["image"].startswith("odl-stack/openedx-ol:22.0.3-")
        and services["cms"]["image"] == services["lms"]["image"]
    )
    assert json.loads((stack / "stack.json").read_text())["answers"]["images"]["postgres"] == "mirror.local/pg:15"


def test_app_src_builds_from_a_relative_checkout(tmp_path: Path) -> None:
    checkout = checkout_of("xpro", tmp_path / "src" / "mitxpro")
    stack = make_stack(tmp_path / "out", app="xpro", app_src=str(checkout))
    services = _compose(stack)["services"]
    assert services["app-init"]["build"] == {"context": "../../src/mitxpro", "target": "dev"}
    assert services["app-web"]["image"] == services["app-init"]["image"]
    assert services["app-web"]["image"].startswith("odl-stack/xpro-app:dev-")


def test_devstack_profile_is_only_different_plan_data(stacks: dict[str, Path]) -> None:
    """The devstack runbook (mitodl/handbook openedx/MITx-edx-integration-devstack.md): same generator, same bootstrap, other values."""
    stack = stacks["xpro-devstack"]
    plan = json.loads((stack / "plan.json").read_text())
    assert plan["openedx"]["url"] == "http://edx.odl.local:18000"
    provider = plan["openedx"]["provider"]
    assert (provider["backend_class"], provider["slug"], provider["pip_package"]) == (
        "social_auth_mitxpro.backends.MITxProOAuth2",
        "mitxpro-oauth2",
        "social-auth-mitxpro",
    )
    assert plan["openedx"]["service_worker"]["username"] == "mit_application_serviceworker"
    assert plan["app"]["oauth_app"]["redirect_uris"] == ["http://edx.odl.local:18000/auth/complete/mitxpro-oauth2/"]
    env = (stack / "app.env").read_text()
    assert "OPENEDX_OAUTH_PROVIDER=mitxpro-oauth2\n" in env
    assert "OPENEDX_SOCIAL_LOGIN_PATH=/auth/login/mitxpro-oauth2/?auth_entry=login\n" in env
    assert "social-auth-mitxpro==0.7.1" in (stack / "images/openedx/Dockerfile").read_text()
    # Tutor's Caddy, the LMS's front, listens on the port it is published on.
    assert "edx.odl.local:18000{$default_site_port} {" in (stack / "tutor/env/apps/caddy/Caddyfile").read_text()
    assert _compose(stack)["services"]["caddy"]["ports"] == ["127.0.0.1:18000:18000"]


def test_default_lms_port_adds_no_uwsgi_listener(stacks: dict[str, Path]) -> None:
    assert "odl-stack" not in (stacks["xpro"] / "tutor/env/apps/openedx/uwsgi.ini").read_text()


def test_tutor_mfe_renders_the_mfes_at_the_plans_names(stacks: dict[str, Path]) -> None:
    # Tutor's own mfe plugin renders the service and the settings; the plan's URLs are the ones Tutor derives.
    from importlib import metadata

    from generator import versions

    assert metadata.version("tutor-mfe") == versions.python_packages()["tutor-mfe"]
    stack = stacks["xpro"]
    plan = json.loads((stack / "plan.json").read_text())
    config = yaml.safe_load((stack / "tutor/config.yml").read_text())
    assert config["PLUGINS"] == ["mfe"] and config["LMS_HOST"] == "openedx.odl.local:8000"
    settings = (stack / "tutor/env/apps/openedx/settings/lms/production.py").read_text()
    front = plan["openedx"]["front"]
    assert f'LEARNING_MICROFRONTEND_URL = "{front["learning_mfe_url"]}"' in settings
    assert '"STUDIO_BASE_URL": "http://studio.openedx.odl.local:8000"' in settings
    assert '"LMS_BASE_URL": "http://openedx.odl.local:8000"' in settings
    assert 'CORS_ORIGIN_WHITELIST.append("http://apps.openedx.odl.local:8000")' in settings
    assert 'MEILISEARCH_PUBLIC_URL = "http://meilisearch.openedx.odl.local:8000"' in settings
    # The runbook's legacy login pages: the authn MFE is left out, so nothing turns them off.
    assert "AUTHN_MICROFRONTEND_URL" not in settings and "ENABLE_AUTHN_MICROFRONTEND'] = True" not in settings
    assert "/openedx/dist/authn" not in (stack / "tutor/env/plugins/mfe/apps/mfe/Caddyfile").read_text()
    services = _compose(stack)["services"]
    assert services["mfe"]["image"] == versions.images({})["mfe"]
    assert services["caddy"]["image"] == versions.images({})["caddy"]
    caddyfile = (stack / "tutor/env/apps/caddy/Caddyfile").read_text()
    for url in (
        plan["openedx"]["url"],
        front["studio_url"],
        "http://apps.openedx.odl.local:8000",
        "http://meilisearch.openedx.odl.local:8000",
    ):
        assert url.split("://")[1] + "{$default_site_port} {" in caddyfile
    assert services["caddy"]["environment"]["default_site_port"] == ""


def test_app_names_open_edx_pages_by_their_real_routes(stacks: dict[str, Path]) -> None:
    env = dict(
        line.split("=", 1)
        for line in (stacks["mitxonline"] / "app.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert env["OPENEDX_COURSE_BASE_URL"] == "http://apps.openedx.odl.local:8000/learn/course/"
    assert env["OPENEDX_STUDIO_API_BASE_URL"] == "http://studio.openedx.odl.local:8000"
    # /learn/ (the apps' course-link shape) is sent on to Tutor's learning MFE.
    assert "redir @odl_learn /learning/" in (stacks["mitxonline"] / "tutor/env/plugins/mfe/apps/mfe/Caddyfile").read_text()
    xpro = (stacks["xpro"] / "app.env").read_text()
    assert "OPENEDX_COURSE_BASE_URL" not in xpro and "OPENEDX_STUDIO_API_BASE_URL" not in xpro
    assert "location /media/ {\n        alias /srv/media/;" in (stacks["xpro"] / "app/nginx.conf").read_text()
    assert "app-media:/srv/media:ro" in _compose(stacks["xpro"])["services"]["app-nginx"]["volumes"]


def test_an_lms_moved_off_its_port_names_its_cookies_apart(stacks: dict[str, Path], tmp_path: Path) -> None:
    """Browsers share cookies across the ports of one host: a second LMS on openedx.odl.local
    (--lms-port) gets its own session, CSRF, edX login and JWT cookie names; the usual one keeps Tutor's."""
    moved = make_stack(tmp_path, app="mitxonline", lms_port=8100)
    settings = (moved / "tutor/env/apps/openedx/settings/lms/production.py").read_text()
    for line in (
        'SESSION_COOKIE_NAME = "sessionid-8100"',
        'CSRF_COOKIE_NAME = "csrftoken-8100"',
        'EDXMKTG_LOGGED_IN_COOKIE_NAME = "edxloggedin-8100"',
        'EDXMKTG_USER_INFO_COOKIE_NAME = "edx-user-info-8100"',
        'JWT_AUTH["JWT_AUTH_COOKIE_HEADER_PAYLOAD"] = "edx-jwt-cookie-header-payload-8100"',
        'JWT_AUTH["JWT_AUTH_COOKIE_SIGNATURE"] = "edx-jwt-cookie-signature-8100"',
    ):
        assert line in settings, line
    for name in stacks:
        default = (stacks[name] / "tutor/env/apps/openedx/settings/lms/production.py").read_text()
        assert "SESSION_COOKIE_NAME" not in default and "JWT_AUTH_COOKIE" not in default, name


def test_learner_and_client_credentials_reach_env_and_credentials(stacks: dict[str, Path]) -> None:
    for name, stack in stacks.items():
        env = dict(
            line.split("=", 1) for line in (stack / "app.env").read_text().splitlines() if line and not line.startswith("#")
        )
        secrets = json.loads((stack / "secrets/secrets.json").read_text())
        credentials = (stack / "secrets/credentials.txt").read_text()
        assert "testlearner (testlearner@" in credentials and secrets["learner_password"] in credentials
        if name.startswith("mitxonline"):
            # Read by mitxonline main/settings.py OPENEDX_COURSES_SERVICE_WORKER_CLIENT_ID/SECRET.
            assert env["OPENEDX_COURSES_SERVICE_WORKER_CLIENT_ID"] == secrets["courses_client_id"]
            assert env["OPENEDX_COURSES_SERVICE_WORKER_CLIENT_SECRET"] == secrets["courses_client_secret"]
        else:
            assert "OPENEDX_COURSES_SERVICE_WORKER_CLIENT_ID" not in env


def test_plan_names_the_learner_dashboard_url_tutor_renders(stacks: dict[str, Path]) -> None:
    """Where the LMS's /dashboard sends a signed-in person: the browser journeys read it from plan.json."""
    import re

    for name in ("xpro", "xpro-devstack"):
        settings = (stacks[name] / "tutor/env/apps/openedx/settings/lms/production.py").read_text()
        rendered = re.search(r'^LEARNER_HOME_MICROFRONTEND_URL = "([^"]+)"$', settings, re.M)
        plan = json.loads((stacks[name] / "plan.json").read_text())
        assert rendered and plan["openedx"]["front"]["learner_dashboard_url"] == rendered.group(1), name


def test_every_studio_sso_redirect_names_one_port(tmp_path: Path) -> None:
    """Tutor appends ":8001" to CMS_HOST for its dev Studio client; ours carries the LMS port, which made
    "studio...:8000:8001/" (openedx.STUDIO_DEV_REDIRECT). Each redirect URI is a URL with one port."""
    import re
    from urllib.parse import urlsplit

    stack = make_stack(tmp_path, app="xpro", lms_port=8100)
    uris = re.findall(r'--redirect-uris "([^"]+)"', (stack / "docker-compose.yml").read_text())
    assert uris == [
        "http://studio.openedx.odl.local:8100/complete/edx-oauth2/",
        "http://studio.openedx.odl.local:8001/complete/edx-oauth2/",
    ], uris
    for uri in uris:
        assert urlsplit(uri).port in (8100, 8001), uri  # urlsplit raises on "host:8000:8001"
