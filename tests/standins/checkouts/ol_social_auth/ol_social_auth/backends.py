"""STAND-IN of ol-social-auth's backend: mitodl/open-edx-plugins src/ol_social_auth/ol_social_auth/backends.py
at 055575737b35 (class OLOAuth2, the backend the stack's LMS names in THIRD_PARTY_AUTH_BACKENDS). What it
mimics, by upstream line:

- L10-18: name "ol-oauth2", ID_KEY "username", no email validation, token requested by POST,
  DEFAULT_SCOPE ["user:read"] (which social-core puts in the authorization redirect's `scope`);
- L22-37 `_get_metadata`: without DISCOVERY_URL (xPro) the endpoints come from the provider's
  AUTHORIZATION_URL / ACCESS_TOKEN_URL settings and `<API_ROOT>api/users/me`; with it (MITx Online)
  from the discovery document, fetched once per backend instance;
- L47-54 `api_root`: API_ROOT with a trailing slash; L72-78 `get_user_details`; L80-84 `user_data`:
  the userinfo endpoint with the access token as a Bearer header.
Everything else (the OAuth2 flow itself) is the real social-core's BaseOAuth2.
The engine tier edits DEFAULT_SCOPE in a mounted copy and waits for the LMS's redirect to carry it.
"""

from social_core.backends.oauth import BaseOAuth2


class OLOAuth2(BaseOAuth2):
    """Open Learning's OAuth2 provider (the MIT app), as ol-social-auth's backend."""

    name = "ol-oauth2"
    ID_KEY = "username"
    REQUIRES_EMAIL_VALIDATION = False
    ACCESS_TOKEN_METHOD = "POST"
    DEFAULT_SCOPE = ["user:read"]

    _discovery = None

    def _endpoints(self):
        discovery_url = self.setting("DISCOVERY_URL")
        if not discovery_url:
            return {
                "authorization_endpoint": self.setting("AUTHORIZATION_URL"),
                "token_endpoint": self.setting("ACCESS_TOKEN_URL"),
                "userinfo_endpoint": self.api_url("api/users/me"),
            }
        if self._discovery is None:
            response = self.request(discovery_url, method="GET", timeout=5)
            self._discovery = response.json()
        return self._discovery

    def authorization_url(self):
        return self._endpoints()["authorization_endpoint"]

    def access_token_url(self):
        return self._endpoints()["token_endpoint"]

    def api_root(self):
        root = self.setting("API_ROOT") or ""
        return root if root.endswith("/") or not root else root + "/"

    def api_url(self, path):
        return self.api_root() + path

    def auth_html(self):
        return ""

    def get_user_details(self, response):
        return {key: response.get(key, default) for key, default in (("username", None), ("email", ""), ("name", ""))}

    def user_data(self, access_token, *args, **kwargs):
        return self.get_json(self._endpoints()["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"})
