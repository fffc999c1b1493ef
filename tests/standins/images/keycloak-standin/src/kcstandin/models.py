"""Keycloak's realm model, reduced to what the stack uses, in PostgreSQL.

Realm (with its RS256 signing key), client scopes, groups, users (password hashed by Django),
clients (django-oauth-toolkit's Application, swapped in with Keycloak's per-realm clientId and
flow switches) and browser SSO sessions. Each keeps the Keycloak representation it was created
or last updated with, so the admin REST API round-trips fields the stand-in does not interpret.
"""

from __future__ import annotations

import functools
import secrets
import uuid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from oauth2_provider.models import AbstractApplication
from oauth2_provider.utils import jwk_from_pem

from .context import current_realm_name

# What Keycloak fills in on a client created without these fields.
CLIENT_DEFAULTS = {
    "enabled": True,
    "protocol": "openid-connect",
    "publicClient": False,
    "clientAuthenticatorType": "client-secret",
    "standardFlowEnabled": True,
    "implicitFlowEnabled": False,
    "directAccessGrantsEnabled": False,
    "serviceAccountsEnabled": False,
    "bearerOnly": False,
    "consentRequired": False,
    "frontchannelLogout": True,
    "fullScopeAllowed": True,
    "surrogateAuthRequired": False,
    "alwaysDisplayInConsole": False,
    "nodeReRegistrationTimeout": -1,
    "notBefore": 0,
    "redirectUris": [],
    "webOrigins": [],
    "attributes": {},
}


def uri_matches(uri: str, patterns: list[str]) -> bool:
    """Keycloak's redirect URI rule: an exact match, or a pattern ending in '*' matches by prefix."""
    for pattern in patterns:
        if pattern.endswith("*"):
            if uri.startswith(pattern[:-1]):
                return True
        elif uri == pattern:
            return True
    return False


@functools.lru_cache(maxsize=16)
def _jwk(pem: str):
    return jwk_from_pem(pem)


class Realm(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255, unique=True)
    enabled = models.BooleanField(default=True)
    representation = models.JSONField(default=dict)
    private_key_pem = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    @property
    def issuer(self) -> str:
        return f"{settings.KC_HOSTNAME}/realms/{self.name}"

    @property
    def jwk(self):
        return _jwk(self.private_key_pem)

    def setting(self, key: str, default=None):
        return self.representation.get(key, default)


class ClientScope(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="client_scopes")
    name = models.CharField(max_length=255)
    representation = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["realm", "name"], name="kc_scope_unique_name")]

    @property
    def in_token_scope(self) -> bool:
        return (self.representation.get("attributes") or {}).get("include.in.token.scope", "true") == "true"

    def as_representation(self) -> dict:
        rep = {"protocol": "openid-connect", "attributes": {}, **self.representation}
        rep.update(id=str(self.id), name=self.name)
        return rep


class Group(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=255)
    path = models.CharField(max_length=1024)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["realm", "path"], name="kc_group_unique_path")]


class UserManager(BaseUserManager):
    def get_by_natural_key(self, username):
        return self.get(realm__name=current_realm_name(), username=username)


class User(AbstractBaseUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="users")
    username = models.CharField(max_length=255)  # lower-cased, as Keycloak stores it
    email = models.CharField(max_length=255, blank=True, default="")
    first_name = models.CharField(max_length=255, blank=True, default="")
    last_name = models.CharField(max_length=255, blank=True, default="")
    email_verified = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    is_realm_admin = models.BooleanField(default=False)  # master realm's admin (KC_BOOTSTRAP_ADMIN_*)
    kc_groups = models.ManyToManyField(Group, blank=True, related_name="members")
    representation = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["realm", "username"], name="kc_user_unique_username")]

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class Client(AbstractApplication):
    """django-oauth-toolkit's Application as a Keycloak client of one realm."""

    # Keycloak's clientId is unique per realm only (master and ol-local may both have one).
    client_id = models.CharField(max_length=255, db_index=True)
    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="clients")
    kc_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    representation = models.JSONField(default=dict)
    default_scopes = models.ManyToManyField(ClientScope, blank=True, related_name="default_for")
    optional_scopes = models.ManyToManyField(ClientScope, blank=True, related_name="optional_for")

    class Meta(AbstractApplication.Meta):
        constraints = [models.UniqueConstraint(fields=["realm", "client_id"], name="kc_client_unique_client_id")]

    def rep(self, key: str):
        return self.representation.get(key, CLIENT_DEFAULTS.get(key))

    def sync_from_representation(self) -> None:
        """Derive django-oauth-toolkit's fields from the Keycloak representation."""
        rep = self.representation
        self.client_id = rep["clientId"]
        self.name = rep.get("name") or rep["clientId"]
        public = bool(self.rep("publicClient"))
        self.client_type = self.CLIENT_PUBLIC if public else self.CLIENT_CONFIDENTIAL
        self.authorization_grant_type = self.GRANT_AUTHORIZATION_CODE  # see allows_grant_type
        self.redirect_uris = " ".join(self.rep("redirectUris") or [])
        self.hash_client_secret = False  # Keycloak shows secrets in its admin API
        self.skip_authorization = not self.rep("consentRequired")
        self.algorithm = self.RS256_ALGORITHM

    def allows_grant_type(self, *grant_types):
        allowed = set()
        if self.rep("standardFlowEnabled"):
            allowed.add(self.GRANT_AUTHORIZATION_CODE)
        if self.rep("implicitFlowEnabled"):
            allowed.add(self.GRANT_IMPLICIT)
        if self.rep("directAccessGrantsEnabled"):
            allowed.add(self.GRANT_PASSWORD)
        if self.rep("serviceAccountsEnabled") and not self.rep("publicClient"):
            allowed.add(self.GRANT_CLIENT_CREDENTIALS)
        return bool(allowed & set(grant_types))

    def is_usable(self, request):
        return bool(self.rep("enabled")) and not self.rep("bearerOnly")

    def redirect_uri_allowed(self, uri):
        return uri_matches(uri, list(self.rep("redirectUris") or []))

    def post_logout_redirect_uri_allowed(self, uri):
        value = (self.rep("attributes") or {}).get("post.logout.redirect.uris") or ""
        patterns: list[str] = []
        for item in filter(None, value.split("##")):
            patterns.extend(self.rep("redirectUris") or [] if item == "+" else [item])
        return uri_matches(uri, patterns)

    @property
    def jwk_key(self):
        return self.realm.jwk  # the realm's key, as in Keycloak (not OIDC_RSA_PRIVATE_KEY)

    def as_representation(self) -> dict:
        rep = {**CLIENT_DEFAULTS, **self.representation}
        rep.update(id=str(self.kc_id), clientId=self.client_id)
        if not rep.get("publicClient"):
            rep["secret"] = self.client_secret
        else:
            rep.pop("secret", None)
        rep["defaultClientScopes"] = sorted(s.name for s in self.default_scopes.all())
        rep["optionalClientScopes"] = sorted(s.name for s in self.optional_scopes.all())
        return rep


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class UserSession(models.Model):
    """A browser SSO session (Keycloak's KEYCLOAK_IDENTITY cookie)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="sessions")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    token = models.CharField(max_length=64, unique=True, default=new_session_token)
    started = models.DateTimeField(auto_now_add=True)
    last_access = models.DateTimeField(auto_now=True)
