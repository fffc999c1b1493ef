"""Access tokens as Keycloak issues them: RS256 JWTs signed with the realm key.

Plugged in as django-oauth-toolkit's ACCESS_TOKEN_GENERATOR; the token row django-oauth-toolkit
stores (AccessToken, looked up by checksum) still decides validity for userinfo and the admin API.
"""

from __future__ import annotations

import json
import time
import uuid

from jwcrypto import jwt
from oauth2_provider.settings import oauth2_settings

from .context import current_realm


def sign(realm, claims: dict, typ: str = "JWT") -> str:
    key = realm.jwk
    header = {"alg": "RS256", "typ": typ, "kid": key.thumbprint()}
    token = jwt.JWT(header=json.dumps(header), claims=json.dumps(claims, default=str))
    token.make_signed_token(key)
    return token.serialize()


def access_token_generator(request, refresh_token=False) -> str:
    realm = current_realm()
    client = request.client
    now = int(time.time())
    expires_in = getattr(request, "expires_in", None) or oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS
    claims = {
        "exp": now + int(expires_in),
        "iat": now,
        "jti": str(uuid.uuid4()),
        "iss": realm.issuer,
        "aud": client.client_id,
        "typ": "Bearer",
        "azp": client.client_id,
        "scope": " ".join(request.scopes or []),
    }
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "pk", None):
        claims.update(
            {
                "sub": str(user.pk),
                "realm_access": {"roles": [f"default-roles-{realm.name}", "offline_access", "uma_authorization"]},
                "email_verified": user.email_verified,
                "name": user.full_name,
                "preferred_username": user.username,
                "given_name": user.first_name,
                "family_name": user.last_name,
                "email": user.email,
            }
        )
    return sign(realm, claims)
