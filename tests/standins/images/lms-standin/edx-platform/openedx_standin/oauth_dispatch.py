"""STAND-IN of edx-platform's openedx/core/djangoapps/oauth_dispatch token handling, on DOT 1.7.1:

- views.py AccessTokenView (/oauth2/access_token): DOT's TokenView, then, for a 200 whose
  `token_type` (POST, else the X-Token-Type header; lower-cased: _get_token_type) is "jwt", the
  body is replaced by create_jwt_token_dict of the opaque token (jwt.py; see jwt_tokens.py), signed
  asymmetrically when the POST has `asymmetric_jwt` (any value: upstream reads it as a string);
  a token without a user (an application without an owner) cannot be turned into a JWT, so the
  request fails (500) as upstream's _create_jwt does;
- dot_overrides/validators.py EdxOAuth2Validator.save_bearer_token: a client_credentials token
  belongs to the application's owner (request.user = request.client.user; DOT alone leaves it
  without a user), which is the user the JWT names.
Not mimicked: the ratelimit on AccessTokenView (RATELIMIT_RATE), RestrictedApplication and
ApplicationAccess scopes/filters (the stand-in's clients are never restricted).
"""

import json

from oauth2_provider import views as dot_views
from oauth2_provider.models import get_access_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator

from openedx_standin.jwt_tokens import create_jwt_token_dict


class EdxOAuth2Validator(OAuth2Validator):
    def save_bearer_token(self, token, request, *args, **kwargs):
        # Upstream hides the grant type from DOT, whose save_bearer_token drops request.user for
        # client_credentials, and restores both afterwards.
        grant_type, user = request.grant_type, request.user
        if grant_type == "client_credentials":
            request.grant_type = None
            request.user = request.client.user
        super().save_bearer_token(token, request, *args, **kwargs)
        request.grant_type, request.user = grant_type, user


def _token_type(request):
    return request.POST.get("token_type", request.META.get("HTTP_X_TOKEN_TYPE", "no_token_type_supplied")).lower()


class AccessTokenView(dot_views.TokenView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200 and _token_type(request) == "jwt":
            opaque = json.loads(response.content.decode("utf-8"))
            access_token = (
                get_access_token_model().objects.select_related("user", "application").get(token=opaque["access_token"])
            )
            jwt_dict = create_jwt_token_dict(opaque, access_token, use_asymmetric_key=request.POST.get("asymmetric_jwt", False))
            response.content = json.dumps(jwt_dict)
        return response
