"""The APISIX + Keycloak part of a stack (MITx Online only): render's helper for its files.

Writes the realm Keycloak imports on first start and APISIX's standalone config and routes.
None of these files holds a secret: the realm names its secrets as Keycloak `${NAME}`
placeholders and the routes as APISIX `${{NAME}}` variables, both filled at run time from
the services' environment in docker-compose.yml (mode 0600). So the files can stay 0644
and readable by the containers' own users (Keycloak runs as uid 1000, APISIX as 636).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from generator import templates
from generator.errors import StackError
from generator.plan import StackPlan

REALM_FILE = "keycloak/import/ol-local-realm.json"
APISIX_CONFIG_FILE = "apisix/config.yaml"
APISIX_ROUTES_FILE = "apisix/apisix.yaml"
FILES = (REALM_FILE, APISIX_CONFIG_FILE, APISIX_ROUTES_FILE)

# Placeholders the services resolve themselves at run time.
KEYCLOAK_PLACEHOLDER = re.compile(r"\$\{(ODL_[A-Z0-9_]+)\}")
APISIX_VARIABLE = re.compile(r"\$\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
# APISIX reads the routes file only while its last line is this (standalone mode).
END_MARKER = "#END"


def render_files(plan: StackPlan, context: dict[str, Any]) -> dict[str, str]:
    """The three files, by path relative to the stack, checked before anything is written."""
    realm_text = templates.render("keycloak/realm.json.j2", context)
    try:
        realm = json.loads(realm_text)
    except json.JSONDecodeError as exc:  # a template bug, never a user error
        raise AssertionError(f"keycloak/realm.json.j2 rendered invalid JSON: {exc}") from exc
    files = {
        # Re-serialised so the file is plain, stable JSON whatever the template's layout.
        REALM_FILE: json.dumps(realm, indent=2) + "\n",
        APISIX_CONFIG_FILE: templates.render("apisix/config.yaml.j2", context),
        APISIX_ROUTES_FILE: templates.render("apisix/apisix.yaml.j2", context),
    }
    for name in (APISIX_CONFIG_FILE, APISIX_ROUTES_FILE):
        yaml.safe_load(files[name])  # raises on a template bug
    if files[APISIX_ROUTES_FILE].rstrip("\n").splitlines()[-1] != END_MARKER:
        raise AssertionError(f"{APISIX_ROUTES_FILE} must end with {END_MARKER}")
    session_secret = plan.secrets[plan.bootstrap["keycloak"]["gateway"]["session_secret_secret"]]
    if len(session_secret) < 16:
        raise StackError(
            "secrets/secrets.json",
            "apisix_session_secret is shorter than the 16 characters APISIX requires",
            "delete that entry and regenerate with --force",
        )
    return files


def stage(plan: StackPlan, stage_dir: Path, context: dict[str, Any]) -> None:
    """Write the gateway's and the identity provider's files into the staged stack."""
    for relative, text in render_files(plan, context).items():
        path = stage_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
