"""The slice of Keycloak's admin REST API the stack's bootstrap uses (generator/bootstrap/keycloak.py).

/admin/realms/{realm}[/client-scopes|/clients|/clients/{id}[/client-secret|/default-client-scopes
[/{scopeId}]|/optional-client-scopes[/{scopeId}]]|/users], authorised by a master realm admin's
bearer token (the access token row django-oauth-toolkit stored for the admin-cli password grant).
"""

from __future__ import annotations

import json
import secrets

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from oauth2_provider.oauth2_validators import OAuth2Validator

from .context import set_current_realm
from .models import Client, ClientScope, Realm, User
from .realms import add_client, add_client_scope, set_client_scopes, update_client


def _json(data, status=200) -> HttpResponse:
    return JsonResponse(data, status=status, safe=False)


def _no_content(status=204, location: str | None = None) -> HttpResponse:
    response = HttpResponse(status=status)
    if location:
        response["Location"] = location
    return response


def _admin_from(request) -> User | None:
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        return None
    token = OAuth2Validator()._load_access_token(auth[7:].strip())
    if token is None or not token.is_valid() or token.user is None:
        return None
    user = token.user
    if user.realm.name != "master" or not user.is_realm_admin or not user.is_active:
        return None
    return user


def _body(request):
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None


def realms(request):
    if _admin_from(request) is None:
        return _json({"error": "HTTP 401 Unauthorized"}, 401)
    return _json([{"id": str(r.id), "realm": r.name, **r.representation} for r in Realm.objects.order_by("name")])


def realm_api(request, realm: str, rest: str = ""):
    if _admin_from(request) is None:
        return _json({"error": "HTTP 401 Unauthorized"}, 401)
    found = Realm.objects.filter(name=realm).first()
    if found is None:
        return _json({"error": "Realm not found."}, 404)
    set_current_realm(found)
    parts = [p for p in rest.split("/") if p]
    method = request.method
    with transaction.atomic():
        return _route(request, found, parts, method)


def _route(request, realm: Realm, parts: list[str], method: str) -> HttpResponse:
    base = f"{realm.issuer.rsplit('/realms/', 1)[0]}/admin/realms/{realm.name}"
    if not parts:
        if method == "GET":
            return _json({"id": str(realm.id), **realm.representation, "realm": realm.name, "enabled": realm.enabled})
        return _json({"error": "Method not allowed"}, 405)

    if parts == ["client-scopes"]:
        if method == "GET":
            return _json([s.as_representation() for s in realm.client_scopes.order_by("name")])
        if method == "POST":
            rep = _body(request)
            if not isinstance(rep, dict) or not rep.get("name"):
                return _json({"errorMessage": "Client scope name is required"}, 400)
            if realm.client_scopes.filter(name=rep["name"]).exists():
                return _json({"errorMessage": f"Client Scope {rep['name']} already exists"}, 409)
            scope = add_client_scope(realm, rep)
            return _no_content(201, f"{base}/client-scopes/{scope.id}")
        return _json({"error": "Method not allowed"}, 405)

    if parts[0] == "client-scopes" and len(parts) == 2:
        scope = realm.client_scopes.filter(id=_uuid(parts[1])).first() if _uuid(parts[1]) else None
        if scope is None:
            return _json({"error": "Could not find client scope"}, 404)
        if method == "GET":
            return _json(scope.as_representation())
        return _json({"error": "Method not allowed"}, 405)

    if parts == ["clients"]:
        if method == "GET":
            clients = realm.clients.order_by("client_id")
            if request.GET.get("clientId"):
                clients = clients.filter(client_id=request.GET["clientId"])
            return _json([c.as_representation() for c in clients])
        if method == "POST":
            rep = _body(request)
            if not isinstance(rep, dict) or not rep.get("clientId"):
                return _json({"errorMessage": "clientId is required"}, 400)
            if realm.clients.filter(client_id=rep["clientId"]).exists():
                return _json({"errorMessage": f"Client {rep['clientId']} already exists"}, 409)
            client = add_client(realm, rep)
            set_client_scopes(client, rep.get("defaultClientScopes"), rep.get("optionalClientScopes"))
            return _no_content(201, f"{base}/clients/{client.kc_id}")
        return _json({"error": "Method not allowed"}, 405)

    if parts[0] == "clients" and len(parts) >= 2:
        client = realm.clients.filter(kc_id=_uuid(parts[1])).first() if _uuid(parts[1]) else None
        if client is None:
            return _json({"error": "Could not find client"}, 404)
        return _client_route(request, realm, client, parts[2:], method)

    if parts == ["users"] and method == "GET":
        users = realm.users.order_by("username")
        exact = request.GET.get("exact") == "true"
        for param, field in (("username", "username"), ("email", "email")):
            if request.GET.get(param):
                value = request.GET[param]
                users = users.filter(**{f"{field}__iexact" if exact else f"{field}__icontains": value})
        return _json([_user_rep(u) for u in users])

    return _json({"error": "Unable to find matching target resource method"}, 404)


def _client_route(request, realm: Realm, client: Client, rest: list[str], method: str) -> HttpResponse:
    if not rest:
        if method == "GET":
            return _json(client.as_representation())
        if method == "PUT":
            rep = _body(request)
            if not isinstance(rep, dict):
                return _json({"errorMessage": "a client representation is required"}, 400)
            new_id = rep.get("clientId")
            if new_id and new_id != client.client_id and realm.clients.filter(client_id=new_id).exists():
                return _json({"errorMessage": f"Client {new_id} already exists"}, 409)
            try:
                update_client(client, rep)
            except IntegrityError:
                return _json({"errorMessage": "Client already exists"}, 409)
            return _no_content()
        if method == "DELETE":
            client.delete()
            return _no_content()
        return _json({"error": "Method not allowed"}, 405)

    if rest == ["client-secret"]:
        if method == "POST":  # regenerate, as Keycloak's "Regenerate" button
            client.client_secret = secrets.token_urlsafe(24)
            client.save(update_fields=["client_secret"])
        elif method != "GET":
            return _json({"error": "Method not allowed"}, 405)
        return _json({"type": "secret", "value": client.client_secret})

    for kind in ("default", "optional"):
        if rest[0] != f"{kind}-client-scopes":
            continue
        relation = client.default_scopes if kind == "default" else client.optional_scopes
        if len(rest) == 1 and method == "GET":
            return _json([{"id": str(s.id), "name": s.name} for s in relation.order_by("name")])
        if len(rest) == 2 and method in ("PUT", "DELETE"):
            scope = ClientScope.objects.filter(realm=realm, id=_uuid(rest[1])).first() if _uuid(rest[1]) else None
            if scope is None:
                return _json({"error": "Client scope not found"}, 404)
            if method == "PUT":
                other = client.optional_scopes if kind == "default" else client.default_scopes
                if other.filter(pk=scope.pk).exists():
                    return _json({"errorMessage": f"Client scope {scope.name} is already assigned"}, 409)
                relation.add(scope)
            else:
                relation.remove(scope)
            return _no_content()
        return _json({"error": "Method not allowed"}, 405)

    return _json({"error": "Unable to find matching target resource method"}, 404)


def _user_rep(user: User) -> dict:
    return {
        **{k: v for k, v in user.representation.items() if k not in ("groups",)},
        "id": str(user.id),
        "username": user.username,
        "email": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "emailVerified": user.email_verified,
        "enabled": user.is_active,
    }


def _uuid(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None
