"""Creating realms: the master realm with its bootstrap admin, and --import-realm files."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from pathlib import Path
from typing import Any

from django.db import transaction
from jwcrypto import jwk

from .models import CLIENT_DEFAULTS, Client, ClientScope, Group, Realm, User

log = logging.getLogger("org.keycloak.services")

# Keycloak's built-in client scopes of a new realm (names and the attribute that matters here).
BUILTIN_SCOPES = {
    "basic": "false",
    "profile": "true",
    "email": "true",
    "roles": "false",
    "web-origins": "false",
    "acr": "false",
    "address": "true",
    "phone": "true",
    "offline_access": "true",
    "microprofile-jwt": "true",
    "organization": "true",
}
DEFAULT_DEFAULT_SCOPES = ["basic", "profile", "email", "roles", "web-origins", "acr"]
DEFAULT_OPTIONAL_SCOPES = ["address", "phone", "offline_access", "microprofile-jwt", "organization"]
NOT_STORED_ON_REALM = ("clients", "users", "clientScopes", "groups", "id")


class ImportError_(Exception):
    """A realm file the stand-in refuses; kcstandin.main exits 1 with the message."""


# --- placeholders ------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\$\{([^}:]+)(?::([^}]*))?\}")
# Environment-style names (upper case) are environment variables. Lower-case ones such as
# ${client_id} in the 'client roles' mapper are Keycloak templates and stay as they are.
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def substitute(value: Any, environ: dict[str, str], missing: set[str]) -> Any:
    """Fill ${VAR} and ${VAR:default} in every string of a parsed realm file.

    Stand-in strictness: Keycloak leaves an unresolvable ${VAR} in place (a client secret that
    literally reads "${ODL_...}"); here it is collected in `missing` and the import fails, so a
    stack that forgot a variable fails loudly instead of logging in with the placeholder.
    """
    if isinstance(value, dict):
        return {k: substitute(v, environ, missing) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, environ, missing) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        if not _ENV_NAME.match(name):
            return match.group(0)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        missing.add(name)
        return match.group(0)

    return _PLACEHOLDER.sub(one, value)


def load_realm_file(path: Path, environ: dict[str, str] | None = None) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImportError_(f"cannot read realm file {path}: {exc}") from exc
    missing: set[str] = set()
    document = substitute(document, dict(os.environ if environ is None else environ), missing)
    if missing:
        raise ImportError_(
            f"realm file {path}: environment variable(s) {', '.join(sorted(missing))} not set and no default "
            "given (${VAR:default}). The Keycloak stand-in refuses unresolved placeholders."
        )
    if not isinstance(document, dict) or not document.get("realm"):
        raise ImportError_(f'realm file {path} has no "realm" name')
    return document


# --- building blocks ---------------------------------------------------------------------


def new_realm(name: str, representation: dict[str, Any]) -> Realm:
    key = jwk.JWK.generate(kty="RSA", size=2048)
    pem = key.export_to_pem(private_key=True, password=None).decode()
    stored = {k: v for k, v in representation.items() if k not in NOT_STORED_ON_REALM}
    stored["realm"] = name
    return Realm.objects.create(
        name=name, enabled=representation.get("enabled", True), representation=stored, private_key_pem=pem
    )


def add_client_scope(realm: Realm, rep: dict[str, Any]) -> ClientScope:
    rep = {k: v for k, v in rep.items() if k != "id"}
    rep.setdefault("protocol", "openid-connect")
    rep.setdefault("attributes", {})
    return ClientScope.objects.create(realm=realm, name=rep["name"], representation=rep)


def add_client(realm: Realm, rep: dict[str, Any]) -> Client:
    rep = {k: v for k, v in rep.items() if k not in ("id", "defaultClientScopes", "optionalClientScopes")}
    full = {**{k: v for k, v in CLIENT_DEFAULTS.items()}, **rep}
    secret = full.pop("secret", None)
    if not full.get("publicClient") and not secret:
        secret = secrets.token_urlsafe(24)
    client = Client(realm=realm, representation=full, client_secret=secret or "")
    client.sync_from_representation()
    client.save()
    return client


def set_client_scopes(client: Client, default: list[str] | None, optional: list[str] | None) -> None:
    realm = client.realm
    default = default if default is not None else realm.setting("defaultDefaultClientScopes", DEFAULT_DEFAULT_SCOPES)
    optional = optional if optional is not None else realm.setting("defaultOptionalClientScopes", DEFAULT_OPTIONAL_SCOPES)
    client.default_scopes.set(ClientScope.objects.filter(realm=realm, name__in=default))
    client.optional_scopes.set(ClientScope.objects.filter(realm=realm, name__in=optional).exclude(name__in=default))


def update_client(client: Client, rep: dict[str, Any]) -> None:
    """Keycloak's PUT /clients/{id}: fields present replace, attributes merge, secret may change."""
    rep = {k: v for k, v in rep.items() if k not in ("id", "defaultClientScopes", "optionalClientScopes", "access")}
    if "secret" in rep:
        client.client_secret = rep.pop("secret") or ""
    merged = {**client.representation, **rep}
    merged["attributes"] = {**(client.representation.get("attributes") or {}), **(rep.get("attributes") or {})}
    client.representation = merged
    client.sync_from_representation()
    client.save()


def add_user(realm: Realm, rep: dict[str, Any]) -> User:
    username = (rep.get("username") or rep.get("email") or "").lower()
    user = User(
        realm=realm,
        username=username,
        email=rep.get("email") or "",
        first_name=rep.get("firstName") or "",
        last_name=rep.get("lastName") or "",
        email_verified=bool(rep.get("emailVerified")),
        is_active=rep.get("enabled", True),
        representation={k: v for k, v in rep.items() if k not in ("credentials", "id")},
    )
    password = next(
        (c.get("value") for c in rep.get("credentials") or [] if c.get("type") == "password" and c.get("value") is not None), None
    )
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    if rep.get("groups"):
        user.kc_groups.set(Group.objects.filter(realm=realm, path__in=rep["groups"]))
    return user


def _add_groups(realm: Realm, groups: list[dict[str, Any]], parent: str = "") -> None:
    for group in groups or []:
        path = group.get("path") or f"{parent}/{group['name']}"
        Group.objects.create(realm=realm, name=group["name"], path=path)
        _add_groups(realm, group.get("subGroups") or [], path)


# --- whole realms ------------------------------------------------------------------------


@transaction.atomic
def import_realm(document: dict[str, Any]) -> Realm:
    realm = new_realm(document["realm"], document)
    scopes = document.get("clientScopes")
    if scopes is None:
        scopes = [
            {"name": n, "protocol": "openid-connect", "attributes": {"include.in.token.scope": v}}
            for n, v in BUILTIN_SCOPES.items()
        ]
    for scope in scopes:
        add_client_scope(realm, scope)
    _add_groups(realm, document.get("groups") or [])
    for rep in document.get("clients") or []:
        client = add_client(realm, rep)
        set_client_scopes(client, rep.get("defaultClientScopes"), rep.get("optionalClientScopes"))
    for rep in document.get("users") or []:
        add_user(realm, rep)
    return realm


def import_directory(directory: Path) -> list[str]:
    """--import-realm: every *.json of the directory, a realm that exists already is skipped."""
    imported: list[str] = []
    files = sorted(directory.glob("*.json")) if directory.is_dir() else []
    if not files:
        log.warning("--import-realm: no realm files in %s", directory)
    documents = [(path, load_realm_file(path)) for path in files]  # all placeholders checked first
    for _path, document in documents:
        name = document["realm"]
        if Realm.objects.filter(name=name).exists():
            log.info("Realm '%s' already exists. Import skipped", name)
            continue
        import_realm(document)
        log.info("Realm '%s' imported", name)
        imported.append(name)
    return imported


@transaction.atomic
def ensure_master(admin_username: str | None, admin_password: str | None) -> None:
    """The master realm with its admin-cli client; the admin from KC_BOOTSTRAP_ADMIN_* only when
    the master realm has no admin yet (a later password change in the env does nothing, as in Keycloak)."""
    realm = Realm.objects.filter(name="master").first()
    if realm is None:
        realm = import_realm(
            {
                "realm": "master",
                "displayName": "Keycloak",
                "enabled": True,
                "clients": [
                    {
                        "clientId": "admin-cli",
                        "name": "${client_admin-cli}",
                        "publicClient": True,
                        "standardFlowEnabled": False,
                        "directAccessGrantsEnabled": True,
                    }
                ],
            }
        )
        log.info("Created the master realm")
    if User.objects.filter(realm=realm, is_realm_admin=True).exists():
        return
    if not admin_username or not admin_password:
        log.warning(
            "No master realm admin and KC_BOOTSTRAP_ADMIN_USERNAME/KC_BOOTSTRAP_ADMIN_PASSWORD not set: "
            "the admin REST API cannot be used"
        )
        return
    user = add_user(
        realm, {"username": admin_username, "enabled": True, "credentials": [{"type": "password", "value": admin_password}]}
    )
    user.is_realm_admin = True
    user.save(update_fields=["is_realm_admin"])
    log.info("Created temporary admin user with username %s", admin_username)
