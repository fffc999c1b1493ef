"""Read the stack's plan file and secrets; build each side's data; mask secrets in any text.

The plan names secrets (`*_secret` keys); their values live in `secrets/secrets.json`. Values
are only ever put into the JSON data handed to the Django scripts, never into printed text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUPPORTED_SCHEMA = 1
MASK = "****"
# How long a side script waits, inside its one Django process, for pending migrations.
MIGRATION_TIMEOUT = 300
# Shorter values would mask ordinary words (and no generated secret is this short).
MIN_MASKED_LENGTH = 6


class PlanError(Exception):
    """The plan or secrets file is missing or inconsistent (exit code 2)."""


@dataclass(frozen=True)
class Masker:
    """Replaces every known secret value in a text by MASK, longest first."""

    values: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, secrets: dict[str, str]) -> Masker:
        unique = {v for v in secrets.values() if isinstance(v, str) and len(v) >= MIN_MASKED_LENGTH}
        return cls(tuple(sorted(unique, key=len, reverse=True)))

    def __call__(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, MASK)
        return text


@dataclass(frozen=True)
class Plan:
    data: dict[str, Any]
    secrets: dict[str, str] = field(repr=False)
    stack_dir: Path

    @property
    def project(self) -> str:
        project: str = self.data["project"]
        return project

    @property
    def openedx(self) -> dict[str, Any]:
        openedx: dict[str, Any] = self.data["openedx"]
        return openedx

    @property
    def app(self) -> dict[str, Any]:
        app: dict[str, Any] = self.data["app"]
        return app

    @property
    def keycloak(self) -> dict[str, Any] | None:
        return self.data.get("keycloak")

    def secret(self, name: str) -> str:
        try:
            value = self.secrets[name]
        except KeyError:
            raise PlanError(f"secret '{name}' is named by the plan but missing from {self.data['secrets_file']}") from None
        if not value:
            raise PlanError(f"secret '{name}' is empty in {self.data['secrets_file']}")
        return value

    def masker(self) -> Masker:
        return Masker.of(self.secrets)


def load(plan_path: Path, stack_dir: Path) -> Plan:
    """Plan file + the secrets file it names (relative to the stack directory)."""
    try:
        data = json.loads(Path(plan_path).read_text())
    except FileNotFoundError:
        raise PlanError(f"plan file {plan_path} not found (is the stack mounted at {stack_dir}?)") from None
    except ValueError as exc:
        raise PlanError(f"plan file {plan_path} is not valid JSON: {exc}") from None
    if data.get("schema") != SUPPORTED_SCHEMA:
        raise PlanError(f"plan schema {data.get('schema')!r} is not supported (this bootstrap reads {SUPPORTED_SCHEMA})")
    secrets_path = Path(stack_dir) / data["secrets_file"]
    try:
        secrets = json.loads(secrets_path.read_text())
    except FileNotFoundError:
        raise PlanError(f"secrets file {secrets_path} not found") from None
    except ValueError:
        raise PlanError(f"secrets file {secrets_path} is not valid JSON") from None  # no detail: it may quote a secret
    if not isinstance(secrets, dict):
        raise PlanError(f"secrets file {secrets_path} must hold a JSON object")
    return Plan(data=data, secrets={str(k): str(v) for k, v in secrets.items()}, stack_dir=Path(stack_dir))


def lms_data(plan: Plan, mode: str) -> dict[str, Any]:
    """The JSON the LMS-side script reads (secret values resolved here, and only here)."""
    ox = plan.openedx
    su, sw, app, prov = ox["superuser"], ox["service_worker"], ox["oauth_app"], ox["provider"]
    # The LMS Host's Site comes first: the checklist's provider facts are read for it (see lms_side.facts).
    sites = [ox["site_domain"]] + [s for s in prov["sites"] if s != ox["site_domain"]]
    return {
        "mode": mode,
        "migration_timeout": MIGRATION_TIMEOUT,
        "superuser": {"username": su["username"], "email": su["email"], "password": plan.secret(su["password_secret"])},
        "service_worker": {
            "username": sw["username"],
            "email": sw["email"],
            "token": plan.secret(sw["token_secret"]),
            "token_expires": sw["token_expires"],
            "token_scope": sw.get("token_scope", ""),
        },
        "oauth_app": dict(_oauth_app(plan, app), owner=app["owner"]),
        "courses_oauth_app": _oauth_app(plan, ox["courses_oauth_app"]) if ox.get("courses_oauth_app") else None,
        "learner": {"username": ox["learner"]["username"], "backend_name": ox["learner"]["backend_name"]},
        "site_domain": ox["site_domain"],
        "mail": {"recipient": plan.data["mail"]["lms_recipient"]} if plan.data.get("mail") else None,
        "provider": {
            "backend_name": prov["backend_name"],
            "slug": prov["slug"],
            "name": prov["name"],
            "sites": sites,
            "key": plan.secret(prov["client_id_secret"]),
            "secret": plan.secret(prov["client_secret_secret"]),
            "enabled": prov["enabled"],
            "skip_hinted_login_dialog": prov["skip_hinted_login_dialog"],
            "skip_registration_form": prov["skip_registration_form"],
            "skip_email_verification": prov["skip_email_verification"],
            "sync_learner_profile_data": prov["sync_learner_profile_data"],
            "enable_sso_id_verification": prov["enable_sso_id_verification"],
            "other_settings": prov["other_settings"],
        },
    }


def _oauth_app(plan: Plan, app: dict[str, Any]) -> dict[str, Any]:
    """An OAuth application as both sides' scripts read it, secrets resolved."""
    return {
        "name": app["name"],
        "client_id": plan.secret(app["client_id_secret"]),
        "client_secret": plan.secret(app["client_secret_secret"]),
        "client_type": app["client_type"],
        "grant_type": app["grant_type"],
        "skip_authorization": app["skip_authorization"],
        "redirect_uris": list(app["redirect_uris"]),
    }


def app_data(plan: Plan, mode: str) -> dict[str, Any]:
    """The JSON the app-side script reads."""
    su, app = plan.app["superuser"], plan.app["oauth_app"]
    superuser = {k: v for k, v in su.items() if k != "password_secret"}
    superuser["password"] = plan.secret(su["password_secret"])
    learner = {k: v for k, v in plan.app["learner"].items() if k != "password_secret"}
    learner["password"] = plan.secret(plan.app["learner"]["password_secret"])
    learner["provider_id"] = plan.openedx["learner"]["provider_id"]
    learner["service_worker_token"] = plan.secret(plan.openedx["service_worker"]["token_secret"])
    return {
        "mode": mode,
        "migration_timeout": MIGRATION_TIMEOUT,
        "superuser": superuser,
        "oauth_app": dict(_oauth_app(plan, app), algorithm=app["algorithm"]),
        "learner": learner,
        "course": plan.app["course"],
        "mail": {"recipient": plan.data["mail"]["app_recipient"]} if plan.data.get("mail") else None,
    }
