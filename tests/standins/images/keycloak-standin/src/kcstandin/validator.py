"""django-oauth-toolkit's validator, scopes backend and user backend made realm-aware.

The oauthlib/django-oauth-toolkit machinery (Grant rows, token rows, id_token signing, userinfo)
runs unchanged; these classes only answer Keycloak's way: clients and users are looked up in
the realm of the URL, scopes are the realm's client scopes, the client's default scopes always
apply, and the id_token issuer is the realm's issuer built from --hostname.
"""

from __future__ import annotations

from django.contrib.auth.backends import BaseBackend
from django.utils import timezone
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes

from .context import current_realm
from .models import Client, User


def client_scope_names(client: Client) -> tuple[list[str], list[str]]:
    return [s.name for s in client.default_scopes.all()], [s.name for s in client.optional_scopes.all()]


def effective_scopes(client: Client, requested: list[str]) -> list[str]:
    """Keycloak's granted scopes: 'openid' and the requested optional scopes, plus every default
    scope of the client; scopes marked include.in.token.scope=false are applied but not listed."""
    scopes = {s.name: s for s in client.default_scopes.all()}
    scopes.update({s.name: s for s in client.optional_scopes.all()})
    default_names = [s.name for s in client.default_scopes.all()]
    granted: list[str] = []
    for name in list(requested) + default_names:
        if name in granted:
            continue
        if name == "openid" or (name in scopes and scopes[name].in_token_scope):
            granted.append(name)
    return granted


class RealmScopes(BaseScopes):
    def get_all_scopes(self):
        realm = current_realm()
        names = {"openid": "OpenID Connect"}
        if realm is not None:
            names.update({s.name: s.representation.get("description", s.name) for s in realm.client_scopes.all()})
        return names

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return list(self.get_all_scopes())
        default, optional = client_scope_names(application)
        return ["openid", *default, *optional]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return []
        return client_scope_names(application)[0]


class RealmValidator(OAuth2Validator):
    def _load_application(self, client_id, request):
        assert hasattr(request, "client"), '"request" instance has no "client" attribute'
        realm = current_realm()
        if request.client is None:
            request.client = Client.objects.select_related("realm").filter(realm=realm, client_id=client_id).first()
        if request.client is None or not request.client.is_usable(request):
            request.client = None
            return None
        return request.client

    def _get_client_by_audience(self, audience):
        if isinstance(audience, str):
            audience = [audience]
        return Client.objects.select_related("realm").filter(realm=current_realm(), client_id__in=audience).first()

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        # Keycloak answers invalid_scope for a scope that is not one of the client's scopes...
        if not super().validate_scopes(client_id, scopes, client, request, *args, **kwargs):
            return False
        # ...and grants the client's default scopes whether or not they were asked for.
        request.scopes = effective_scopes(client or request.client, list(scopes))
        return True

    def validate_user(self, username, password, client, request, *args, **kwargs):
        if not super().validate_user(username, password, client, request, *args, **kwargs):
            return False
        request.user.last_login = timezone.now()  # id_token auth_time
        request.user.save(update_fields=["last_login"])
        return True

    def get_oidc_issuer_endpoint(self, request):
        return current_realm().issuer

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "email_verified": user.email_verified,
            "preferred_username": user.username,
            "name": user.full_name,
            "given_name": user.first_name,
            "family_name": user.last_name,
        }

    def get_discovery_claims(self, request):
        return [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "azp",
            "email",
            "email_verified",
            "preferred_username",
            "name",
            "given_name",
            "family_name",
        ]


class RealmUserBackend(BaseBackend):
    """Password login in the realm of the URL, by username or (loginWithEmailAllowed) email."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        realm = current_realm()
        if realm is None or not username or password is None:
            return None
        users = User.objects.filter(realm=realm, username=username.lower())
        user = users.first()
        if user is None and realm.setting("loginWithEmailAllowed", True):
            user = User.objects.filter(realm=realm, email__iexact=username).first()
        if user is None:
            User().set_password(password)  # same work either way, as Django's ModelBackend does
            return None
        if user.check_password(password) and user.is_active:
            return user
        return None

    def get_user(self, user_id):
        return User.objects.filter(pk=user_id).first()
