"""StackPlan: everything derived from a StackSpec (and the secrets kept so far).

A plain function of its inputs: no files are read or written here. The plan
is what render writes out and what the bootstrap reads back (`plan.json`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from generator import addressing, course, hosts, secrets_store, versions, wording
from generator.errors import StackError
from generator.ports import BY_PLAN_KEY
from generator.profiles import (
    APISIX_PORT,
    APPS,
    ERAS,
    KEYCLOAK_HOSTNAME,
    KEYCLOAK_PORT,
    KEYCLOAK_REALM,
    OPTIONAL_STEP_FAILED,
    AppFacts,
    EraFacts,
    Frontend,
)
from generator.spec import StackSpec
from generator.stackfiles import CREDENTIALS_FILE, SECRETS_FILE

PLAN_SCHEMA = 1
NETWORK_NAME = "odl"

# The stack's one mail inbox, for both sides. It takes the address Tutor's `smtp` relay had
# (the relay is not rendered: RUN_SMTP is off), so no other service's address moves.
MAIL_SERVICE = "mailpit"
# Mailpit's own SMTP port (config/config.go SMTPListen "[::]:1025"); only the stack reaches it.
MAIL_SMTP_PORT = 1025
OPENEDX_SERVICES = (
    "mysql",
    "mongodb",
    "meilisearch",
    "redis",
    MAIL_SERVICE,
    "lms",
    "cms",
    "lms-worker",
    "cms-worker",
    "caddy",
    "mfe",
)
# Tutor's defaults CMS_HOST, MFE_HOST and MEILISEARCH_HOST: "<prefix>.{{ LMS_HOST }}". Every
# browser-facing Open edX name is served by Tutor's Caddy, on the one port of the LMS URL.
OPENEDX_SITES = {"lms": "", "studio": "studio.", "mfe": "apps.", "meilisearch": "meilisearch."}
OPENEDX_FRONT = "caddy"
APP_SERVICES = ("app-db", "app-redis", "app-web", "app-celery", "app-nginx")
APISIX_SERVICES = ("keycloak-db", "keycloak", "apisix")
# The test learner every stack gets; the name MITx Online's configure_instance uses.
LEARNER_USERNAME = "testlearner"
HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")


@dataclass(frozen=True)
class StackPlan:
    spec: StackSpec
    app: AppFacts
    era: EraFacts
    project: str
    network: addressing.Network
    addresses: dict[str, str]  # long-running service -> static IP
    hostnames: dict[str, str]  # public hostname -> service it resolves to in the network
    ports: dict[str, int]  # service -> port published on 127.0.0.1 and listened on inside
    urls: dict[str, str]
    images: dict[str, str]
    packages: dict[str, str]
    secrets: dict[str, str] = field(repr=False)
    bootstrap: dict[str, Any] = field(repr=False)

    @property
    def hosts_line(self) -> str:
        return hosts.hosts_line(self.hostnames)

    @property
    def front_host(self) -> str:
        """Tutor's LMS_HOST: the LMS name with the front's port, so Tutor's URLs carry it."""
        return f"{self.era.lms_hostname}:{self.ports['lms']}"

    def openedx_hostname(self, site: str) -> str:
        return OPENEDX_SITES[site] + self.era.lms_hostname


def mail_hostname(app: AppFacts) -> str:
    """The inbox's one public name, per app so two stacks side by side each show their own."""
    return f"mail.{app.hostname}"


def _wanted_secrets(spec: StackSpec) -> dict[str, Any]:
    wanted = {
        "openedx_superuser_password": secrets_store.password,
        "service_worker_token": secrets_store.token,
        "openedx_client_id": secrets_store.client_id,
        "openedx_client_secret": secrets_store.long_secret,
        "app_client_id": secrets_store.client_id,
        "app_client_secret": secrets_store.long_secret,
        "app_superuser_password": secrets_store.password,
        "app_secret_key": secrets_store.long_secret,
        "app_db_password": secrets_store.password,
        "learner_password": secrets_store.password,
    }
    if APPS[spec.app].courses_service_worker:
        wanted["courses_client_id"] = secrets_store.client_id
        wanted["courses_client_secret"] = secrets_store.long_secret
    wanted.update({name: secrets_store.KINDS[kind] for name, kind in APPS[spec.app].extra_secrets})
    if spec.apisix:
        wanted.update(
            {
                "keycloak_admin_password": secrets_store.password,
                "keycloak_db_password": secrets_store.password,
                "apisix_client_secret": secrets_store.long_secret,
                "apisix_session_secret": secrets_store.long_secret,
                "keycloak_student_password": secrets_store.password,
                "keycloak_prof_password": secrets_store.password,
                "keycloak_admin_user_password": secrets_store.password,
            }
        )
    return wanted


def _check_hostnames(hostnames: Mapping[str, str]) -> None:
    for host in hostnames:
        if not HOSTNAME_RE.match(host):
            raise StackError(
                f"hostname '{host}'",
                "is not a valid DNS name",
                "use lowercase labels of letters, digits and '-' separated by dots",
            )


def _port_option(service: str) -> str:
    option = BY_PLAN_KEY[service].option
    return wording.option(option) if option else f'the {service} entry of the answers\' "ports"'


def _check_ports(ports: Mapping[str, int]) -> None:
    seen: dict[int, str] = {}
    for service, port in ports.items():
        if not 1024 <= port <= 65535:
            raise StackError(
                f"{service} port", f"{port} is outside 1024-65535", f"set {_port_option(service)} between 1024 and 65535"
            )
        if port in seen:
            raise StackError(
                f"port {port}",
                f"is published by both {seen[port]} and {service}",
                f"give each its own port ({_port_option(seen[port])}, {_port_option(service)})",
            )
        seen[port] = service


def dev_frontends(spec: StackSpec) -> tuple[Frontend, ...]:
    """The app's JS dev servers this stack runs: those of its development setup, when built from a checkout."""
    dev = APPS[spec.app].dev
    return dev.frontends if spec.app_src and dev else ()


def make_plan(spec: StackSpec, kept_secrets: Mapping[str, str] | None = None) -> StackPlan:
    app = APPS[spec.app]
    era = ERAS[spec.profile]
    services = list(OPENEDX_SERVICES + APP_SERVICES + (APISIX_SERVICES if spec.apisix else ()))
    # A stack built from a checkout also runs the app's JS dev servers; last, so that every other
    # service keeps the address it has in a published-image stack.
    services += [frontend.service for frontend in dev_frontends(spec)]
    addresses = addressing.assign(spec.subnet, services, spec.addresses)
    network = addressing.network_for(spec.subnet)

    # "lms": the port of Tutor's Caddy, the one front of the LMS, Studio, the MFEs and Meilisearch.
    ports = {
        "lms": spec.ports.get("lms", era.lms_port),
        "app-nginx": spec.ports.get("app", app.port),
        MAIL_SERVICE: spec.ports.get("mail", app.mail_port),
    }
    hostnames = {prefix + era.lms_hostname: OPENEDX_FRONT for prefix in OPENEDX_SITES.values()}
    hostnames[mail_hostname(app)] = MAIL_SERVICE
    if spec.apisix:
        # Behind APISIX the app's one public name is served by the gateway.
        ports["apisix"] = spec.ports.get("apisix", APISIX_PORT)
        ports["keycloak"] = spec.ports.get("keycloak", KEYCLOAK_PORT)
        hostnames[app.hostname] = "apisix"
        hostnames[KEYCLOAK_HOSTNAME] = "keycloak"
    else:
        hostnames[app.hostname] = "app-nginx"
    _check_hostnames(hostnames)
    _check_ports(ports)

    app_port = ports["apisix"] if spec.apisix else ports["app-nginx"]
    app_url = f"http://{app.hostname}:{app_port}"
    urls = {site: f"http://{prefix}{era.lms_hostname}:{ports['lms']}" for site, prefix in OPENEDX_SITES.items()}
    urls["app"] = app_url
    urls["mail"] = f"http://{mail_hostname(app)}:{ports[MAIL_SERVICE]}"
    if spec.apisix:
        urls["keycloak"] = f"http://{KEYCLOAK_HOSTNAME}:{ports['keycloak']}"
        urls["keycloak_discovery"] = f"{urls['keycloak']}/realms/{KEYCLOAK_REALM}/.well-known/openid-configuration"

    images = versions.images(spec.images)
    if "openedx-base" in spec.images and "openedx" not in spec.images:
        # The thin image is built locally; one built on another base must not share its tag.
        base = hashlib.sha256(images["openedx-base"].encode()).hexdigest()[:10]
        images["openedx"] = f"{images['openedx']}-{base}"
    if spec.openedx_plugin_src and "openedx" not in spec.images:
        # This stack's thin image installs its own checkouts: no other stack may share its tag.
        mounts = hashlib.sha256("\n".join((spec.name, *spec.openedx_plugin_src)).encode()).hexdigest()[:10]
        images["openedx"] = f"{images['openedx']}-src-{mounts}"
    packages = versions.python_packages()
    secrets = secrets_store.fill(kept_secrets or {}, _wanted_secrets(spec))
    plan = StackPlan(
        spec=spec,
        app=app,
        era=era,
        project=spec.name,
        network=network,
        addresses=addresses,
        hostnames=hostnames,
        ports=ports,
        urls=urls,
        images=images,
        packages=packages,
        secrets=secrets,
        bootstrap={},
    )
    plan.bootstrap.update(bootstrap_contract(plan))
    return plan


def provider_style(plan: StackPlan) -> str:
    """The settings style the era's backend reads: the era decides when it must, else the app."""
    return plan.era.provider_style or plan.app.provider_style


def provider_other_settings(plan: StackPlan) -> dict[str, str]:
    app_url = plan.urls["app"]
    if provider_style(plan) == "endpoints":
        return {
            "AUTHORIZATION_URL": f"{app_url}/oauth2/authorize/",
            "ACCESS_TOKEN_URL": f"{app_url}/oauth2/token/",
            "API_ROOT": f"{app_url}/",
        }
    return {"DISCOVERY_URL": f"{app_url}/.well-known/openid-configuration", "API_ROOT": f"{app_url}/"}


def bootstrap_contract(plan: StackPlan) -> dict[str, Any]:
    """The plan file the bootstrap reads: every value it needs, secrets by name only."""
    app, era = plan.app, plan.era
    lms_url, app_url = plan.urls["lms"], plan.urls["app"]
    other = provider_other_settings(plan)
    if provider_style(plan) == "endpoints":
        app_checks = {"authorize": other["AUTHORIZATION_URL"], "token": other["ACCESS_TOKEN_URL"]}
    else:
        app_checks = {"discovery": other["DISCOVERY_URL"]}
    contract: dict[str, Any] = {
        "schema": PLAN_SCHEMA,
        "project": plan.project,
        "app_name": app.name,
        "profile": era.name,
        "apisix": plan.spec.apisix,
        "secrets_file": str(SECRETS_FILE),
        "credentials_file": CREDENTIALS_FILE,
        "network": {
            "name": NETWORK_NAME,
            "subnet": plan.network.subnet,
            "gateway": plan.network.gateway,
            "addresses": plan.addresses,
            "hostnames": plan.hostnames,
        },
        "openedx": {
            "service": "lms",
            "url": lms_url,
            "site_domain": plan.front_host,
            "heartbeat_url": f"{lms_url}/heartbeat",
            "api_check_url": f"{lms_url}/api/user/v1/me",
            # Tutor's Caddy serves these; Tutor renders the same URLs (CMS_HOST, LEARNING_MICROFRONTEND_URL).
            "front": {
                "studio_url": plan.urls["studio"],
                "studio_heartbeat_url": f"{plan.urls['studio']}/heartbeat",
                "learning_mfe_url": f"{plan.urls['mfe']}/learning",
                # LEARNER_HOME_MICROFRONTEND_URL, where the LMS's /dashboard sends a signed-in person
                # (tutor-mfe's init turns learner_home_mfe.enabled on for everyone).
                "learner_dashboard_url": f"{plan.urls['mfe']}/learner-dashboard/",
            },
            "manage": ["./manage.py", "lms"],
            "workdir": "/openedx/edx-platform",
            "superuser": {
                "username": era.superuser,
                "email": era.superuser_email,
                "password_secret": "openedx_superuser_password",
            },
            "service_worker": {
                "username": era.service_worker,
                "email": f"{era.service_worker}@mit.odl.local",
                "token_secret": "service_worker_token",
                "token_expires": "2099-12-31T00:00:00+00:00",
            },
            "oauth_app": {
                "name": f"{app.name}-oauth-app",
                "owner": era.service_worker,
                "client_id_secret": "openedx_client_id",
                "client_secret_secret": "openedx_client_secret",
                "client_type": "confidential",
                "grant_type": "authorization-code",
                "skip_authorization": True,
                "redirect_uris": [f"{app_url}/login/_private/complete", f"{app_url}/_/auth/complete"],
            },
            "provider": {
                "backend_class": era.backend_class,
                "backend_name": era.backend_name,
                "slug": era.backend_name,
                "pip_package": era.pip_package,
                "name": "Login with MIT App",
                "sites": [plan.front_host, "example.com"],
                "client_id_secret": "app_client_id",
                "client_secret_secret": "app_client_secret",
                "enabled": True,
                "skip_hinted_login_dialog": True,
                "skip_registration_form": True,
                "skip_email_verification": True,
                "sync_learner_profile_data": True,
                "enable_sso_id_verification": True,
                "other_settings": other,
            },
        },
        "app": {
            "service": "app-web",
            "url": app_url,
            "health_url": f"{app_url}{app.health_path}",
            "logout_url": f"{app_url}{app.logout_path}",
            "manage": ["./manage.py"],
            "workdir": "/src",
            "superuser": {
                "username": "admin",
                "email": f"admin@{app.hostname}",
                "name": "Admin User",
                "password_secret": "app_superuser_password",
            },
            "oauth_app": {
                "name": "edx-oauth-app",
                "client_id_secret": "app_client_id",
                "client_secret_secret": "app_client_secret",
                "client_type": "confidential",
                "grant_type": "authorization-code",
                "skip_authorization": True,
                "algorithm": "",
                "redirect_uris": [f"{lms_url}/auth/complete/{era.backend_name}/"],
            },
            "checks": app_checks,
            # The init one-shot's log names optional steps that failed (reported as ⚠).
            "init": {"service": "app-init", "optional_failed_marker": OPTIONAL_STEP_FAILED},
        },
        "course": course.facts(lms_url),
        "mail": mail_contract(plan),
        "keycloak": None,
        "timeouts": {"lms": 1800, "app": 900, "keycloak": 600},
    }
    contract["openedx"]["courses_oauth_app"] = courses_oauth_app(plan)
    contract["openedx"]["learner"] = {
        "username": LEARNER_USERNAME,
        # edx-platform: a provider's provider_id is "oa2-" + its slug (third_party_auth/models.py).
        "provider_id": f"oa2-{era.backend_name}",
        "backend_name": era.backend_name,
    }
    contract["app"]["learner"] = learner_contract(plan)
    contract["app"]["course"] = course.app_contract(contract["course"], plan.app)
    if plan.spec.apisix:
        contract["keycloak"] = keycloak_contract(plan)
    return contract


def mail_contract(plan: StackPlan) -> dict[str, Any]:
    """Mailpit: where both sides send (SMTP inside the network), where the checklist reads the
    inbox (its REST API at the one URL the browser uses), and whom each side's probe mails."""
    return {
        "service": MAIL_SERVICE,
        "url": plan.urls["mail"],
        "smtp_host": MAIL_SERVICE,
        "smtp_port": MAIL_SMTP_PORT,
        # Each side sends one password-reset mail through its own code; the checklist waits this
        # long for it in the inbox, then deletes it.
        "timeout": 60,
        "lms_recipient": plan.era.superuser_email,
        "lms_sender": "edx-platform's send_password_reset_email_for_user",
        "app_recipient": f"{LEARNER_USERNAME}@{plan.app.hostname}",
        "app_sender": "the app's mail.api, template password_reset",
    }


def learner_contract(plan: StackPlan) -> dict[str, Any]:
    """The test learner the app's own code makes and syncs into Open edX."""
    app, lms_url = plan.app, plan.urls["lms"]
    return {
        "username": LEARNER_USERNAME,
        "email": f"{LEARNER_USERNAME}@{app.hostname}",
        "name": "Test Learner",
        "password_secret": "learner_password",
        "api": app.learner_api,
        "record": app.learner_record,
        "synced": dict(app.learner_synced),
        "userinfo_username": app.userinfo_username,
        "record_make": app.learner_record_make,
        "sync_error": dict(app.learner_sync_error),
        "lock": dict(zip(("module", "function", "prefix", "user_field"), app.learner_lock, strict=True))
        if app.learner_lock
        else None,
        "image": plan.images[app.image],
        "lms_url": lms_url,
        "login_path": f"/auth/login/{plan.era.backend_name}/?auth_entry=login",
        "dashboard_path": "/dashboard",
        "client_credentials": {
            "settings": ["OPENEDX_COURSES_SERVICE_WORKER_CLIENT_ID", "OPENEDX_COURSES_SERVICE_WORKER_CLIENT_SECRET"],
            "token_url": f"{lms_url}/oauth2/access_token",
        }
        if app.courses_service_worker
        else None,
    }


def courses_oauth_app(plan: StackPlan) -> dict[str, Any] | None:
    """MITx Online's service-to-service application on the LMS: client_credentials (DOT
    refuses that grant to the authorization-code app the app would otherwise fall back to)."""
    if not plan.app.courses_service_worker:
        return None
    return {
        "name": f"{plan.app.name}-courses-service-worker",
        "owner": plan.era.service_worker,
        "client_id_secret": "courses_client_id",
        "client_secret_secret": "courses_client_secret",
        "client_type": "confidential",
        "grant_type": "client-credentials",
        "skip_authorization": True,
        "redirect_uris": [],
    }


# Test users of the realm: the same three MITx Online's own realm has (mitodl/mitxonline
# config/keycloak/realms/ol-local-realm.json).
KEYCLOAK_USERS = (
    ("student@odl.local", "Test", "Student", ("/Students",), "keycloak_student_password"),
    ("prof@odl.local", "Test", "Prof", ("/Staff", "/Students"), "keycloak_prof_password"),
    ("admin@odl.local", "Test", "Admin", ("/Admin", "/Staff", "/Students"), "keycloak_admin_user_password"),
)


def keycloak_contract(plan: StackPlan) -> dict[str, Any]:
    """Keycloak realm `ol-local` and APISIX in front of the app: what the realm file, the
    gateway config and the bootstrap's Keycloak reconcile all read."""
    kc_url, app_url = plan.urls["keycloak"], plan.urls["app"]
    return {
        "service": "keycloak",
        "url": kc_url,
        "realm": KEYCLOAK_REALM,
        "issuer": f"{kc_url}/realms/{KEYCLOAK_REALM}",
        "discovery_url": plan.urls["keycloak_discovery"],
        "admin_username": "admin",
        "admin_password_secret": "keycloak_admin_password",
        "client_scope": "ol-profile",
        "client": {
            "client_id": "apisix",
            "secret_secret": "apisix_client_secret",
            "redirect_uris": [f"{app_url}/*"],
            "post_logout_redirect_uris": [f"{app_url}/logout/complete"],
            "default_scopes": ["basic", "profile", "email", "roles", "web-origins", "acr", "ol-profile"],
        },
        "users": [
            {
                "username": name,
                "email": name,
                "first_name": first,
                "last_name": last,
                "groups": list(groups),
                "password_secret": secret,
            }
            for name, first, last, groups, secret in KEYCLOAK_USERS
        ],
        "gateway": {
            "service": "apisix",
            "url": app_url,
            "upstream": f"app-nginx:{plan.ports['app-nginx']}",
            "scope": "openid profile ol-profile",
            "session_secret_secret": "apisix_session_secret",
            "logout_path": "/logout/oidc",
            "post_logout_redirect_uri": f"{app_url}/logout/complete",
            # Checks: the pass-through route answers; an authenticated route sends the browser to Keycloak.
            "health_url": f"{app_url}{plan.app.health_path}",
            "login_url": f"{app_url}/login/",
        },
    }
