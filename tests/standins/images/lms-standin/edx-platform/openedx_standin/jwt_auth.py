"""STAND-IN of edx-drf-extensions' JWT authentication as the LMS runs it (edx_rest_framework_extensions/
auth/jwt/middleware.py JwtAuthCookieMiddleware, authentication.py JwtAuthentication on
rest_framework_jwt's JSONWebTokenAuthentication, decoder.py jwt_decode_handler):

- JwtAuthCookieMiddleware.process_view: only when the request carries the `USE-JWT-COOKIE` header
  (frontend-platform's authenticated client always sends it), the two cookies
  `edx-jwt-cookie-header-payload` + `edx-jwt-cookie-signature` are joined into the request cookie
  JWT_AUTH["JWT_AUTH_COOKIE"] (`edx-jwt-cookie`); one or both missing -> nothing reconstituted;
- JwtAuthentication: the JWT from `Authorization: JWT <token>` (JWT_AUTH_HEADER_PREFIX) or from
  that cookie; no JWT -> None (the view's next authentication class may apply); verified with the
  keys of JWT_AUTH["JWT_PUBLIC_SIGNING_JWK_SET"], the issuer and audience of JWT_AUTH, `exp`;
  any failure -> 401; the user is the LMS user named by `preferred_username`.
Not mimicked: symmetric (JWT_SECRET_KEY) tokens, JWT_ISSUERS beyond the first, the user
get-or-create from the payload, the CSRF check on unsafe methods with a cookie JWT, the
NotJwtRestrictedApplication permission.
"""

import json

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from openedx_standin.cookies import JWT_DELIMITER, jwt_cookie_header_payload_name, jwt_cookie_signature_name

USE_JWT_COOKIE_HEADER = "HTTP_USE_JWT_COOKIE"  # edx_rest_framework_extensions/auth/jwt/constants.py


class JwtAuthCookieMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.META.get(USE_JWT_COOKIE_HEADER):
            return None
        header_payload = request.COOKIES.get(jwt_cookie_header_payload_name())
        signature = request.COOKIES.get(jwt_cookie_signature_name())
        if header_payload and signature:
            request.COOKIES[settings.JWT_AUTH["JWT_AUTH_COOKIE"]] = f"{header_payload}{JWT_DELIMITER}{signature}"
        return None


def jwt_decode_handler(token):
    auth = settings.JWT_AUTH
    keys = json.loads(auth.get("JWT_PUBLIC_SIGNING_JWK_SET") or '{"keys": []}')["keys"]
    header = jwt.get_unverified_header(token)
    for data in keys:
        if header.get("kid") not in (None, data.get("kid")):
            continue
        key = jwt.PyJWK(data, auth["JWT_SIGNING_ALGORITHM"])
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[auth["JWT_SIGNING_ALGORITHM"]],
                audience=auth["JWT_AUDIENCE"],
                issuer=auth["JWT_ISSUER"],
            )
        except jwt.InvalidSignatureError:
            continue
    raise jwt.InvalidTokenError("no key of JWT_PUBLIC_SIGNING_JWK_SET verifies the token")


class JwtAuthentication(BaseAuthentication):
    www_authenticate_realm = "api"

    def _token(self, request):
        parts = get_authorization_header(request).split()
        prefix = settings.JWT_AUTH["JWT_AUTH_HEADER_PREFIX"].lower().encode()
        if parts and parts[0].lower() == prefix:
            if len(parts) != 2:
                raise AuthenticationFailed("Invalid Authorization header.")
            return parts[1].decode()
        if parts:
            return None  # another scheme: another authentication class's
        return request.COOKIES.get(settings.JWT_AUTH["JWT_AUTH_COOKIE"])

    def authenticate(self, request):
        token = self._token(request)
        if not token:
            return None
        try:
            payload = jwt_decode_handler(token)
        except jwt.ExpiredSignatureError:
            raise AuthenticationFailed("Signature has expired.") from None
        except jwt.InvalidTokenError as exc:
            raise AuthenticationFailed(f"Error decoding token: {exc}") from None
        user = get_user_model().objects.filter(username=payload.get("preferred_username")).first()
        if user is None:
            raise AuthenticationFailed("User retrieval failed.")
        return user, payload

    def authenticate_header(self, request):
        return f'JWT realm="{self.www_authenticate_realm}"'
