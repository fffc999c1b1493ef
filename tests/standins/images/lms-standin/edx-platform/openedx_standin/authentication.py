"""STAND-IN of edx-platform's `openedx/core/lib/api/authentication.py` BearerAuthentication
(release/verawood.1; class BearerAuthentication, authenticate_credentials), written against DOT
1.7.1's AccessToken as upstream:

- no `Authorization: Bearer` header -> None (another authentication class may apply);
- `Bearer` with no or several credentials -> 401 token_not_provided / token_malformed;
- unknown token -> 401 token_nonexistent; expired -> 401 token_expired;
- a user with an UNUSABLE password who owns NO DOT application -> 401 user_is_disabled
  ("User disabled by admin"): a service worker made with --unusable-password passes only because
  it owns an OAuth application;
- an inactive user -> 401 user_not_active, unless the class allows inactive users
  (BearerAuthenticationAllowInactiveUser, which /api/user/v1/me, /api/user/v1/accounts and
  /api/third_party_auth/v0/users use).
"""

from django.utils import timezone
from oauth2_provider.models import AccessToken, Application
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed


def _failed(code, message):
    return AuthenticationFailed({"error_code": code, "developer_message": message})


class BearerAuthentication(BaseAuthentication):
    www_authenticate_realm = "api"
    allow_inactive_users = False

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if len(auth) == 1:
            raise _failed("token_not_provided", "Invalid token header. No credentials provided.")
        if len(auth) > 2:
            raise _failed("token_malformed", "Invalid token header. Token string should not contain spaces.")
        if not auth or auth[0].lower() != b"bearer":
            return None
        return self.authenticate_credentials(auth[1].decode("utf8"))

    def authenticate_credentials(self, access_token):
        token = AccessToken.objects.select_related("user").filter(token=access_token).first()
        if not token:
            raise _failed("token_nonexistent", "The provided access token does not match any valid tokens.")
        if token.expires < timezone.now():
            raise _failed("token_expired", "The provided access token has expired and is no longer valid.")
        user = token.user
        if not user.has_usable_password() and not Application.objects.filter(user_id=user.id).exists():
            raise _failed("user_is_disabled", f"User disabled by admin: {user.get_username()}")
        if not self.allow_inactive_users and not user.is_active:
            raise _failed("user_not_active", f"User inactive or deleted: {user.get_username()}")
        return user, token

    def authenticate_header(self, request):
        return f'Bearer realm="{self.www_authenticate_realm}"'


class BearerAuthenticationAllowInactiveUser(BearerAuthentication):
    allow_inactive_users = True


class SessionAuthenticationAllowInactiveUser(SessionAuthentication):
    """edx-drf-extensions' class of that name: the session's user, active or not (CSRF kept)."""
