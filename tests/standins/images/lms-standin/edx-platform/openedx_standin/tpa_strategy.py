"""STAND-IN of edx-platform's third_party_auth strategy (common/djangoapps/third_party_auth/
strategy.py, ConfigurationModelStrategy.setting): for an OAuth backend the settings come from
`OAuth2ProviderConfig.current(backend.name)`, the newest row of the *current request's Site*
(third_party_auth/models.py OAuth2ProviderConfig.current, keyed by site_id and backend_name);
a row not `enabled_for_current_site` raises "Can't fetch setting of a disabled backend/provider.";
KEY -> key, SECRET -> secret or settings.SOCIAL_AUTH_OAUTH_SECRETS[backend_name], anything else ->
json.loads(other_settings)[name] (OAuth2ProviderConfig.get_setting)."""

from social_core.backends.oauth import OAuthAuth
from social_django.strategy import DjangoStrategy

DISABLED = "Can't fetch setting of a disabled backend/provider."


def current_provider(backend_name):
    """The provider of `backend_name` on the current Site when it is enabled there, else None
    (provider.py Registry.get_from_pipeline / get_enabled_by_backend_name)."""
    from third_party_auth.provider import Registry

    return Registry.get_from_pipeline({"backend": backend_name})


class ConfigurationModelStrategy(DjangoStrategy):
    def setting(self, name, default=None, backend=None):
        if isinstance(backend, OAuthAuth):
            from third_party_auth.models import OAuth2ProviderConfig

            provider = OAuth2ProviderConfig.current(backend.name)
            if not provider.enabled_for_current_site:
                raise Exception(DISABLED)
            try:
                return provider.get_setting(name)
            except KeyError:
                pass
        return super().setting(name, default, backend)
