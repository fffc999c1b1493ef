"""STAND-IN of edx-platform's common/djangoapps/third_party_auth/provider.py `Registry`, OAuth2 part
(SAML and LTI providers are not in the stand-in): every lookup goes through
`OAuth2ProviderConfig.key_values('backend_name', flat=True)` and `current(backend_name)`, both cached
by config-models, so a list cached before a provider row existed hides that row until it expires.
"""

from django.conf import settings
from django.utils.module_loading import import_string
from social_core.backends.oauth import OAuthAuth

from third_party_auth.models import OAuth2ProviderConfig


def _psa_oauth2_backends():
    # models.py _PSA_OAUTH2_BACKENDS: the names of the OAuth backends in AUTHENTICATION_BACKENDS.
    names = []
    for path in settings.AUTHENTICATION_BACKENDS:
        backend = import_string(path)
        if isinstance(backend, type) and issubclass(backend, OAuthAuth):
            names.append(backend.name)
    return names


class Registry:
    @classmethod
    def _enabled_providers(cls):
        oauth2 = _psa_oauth2_backends()
        for backend_name in OAuth2ProviderConfig.key_values("backend_name", flat=True):
            provider = OAuth2ProviderConfig.current(backend_name)
            if provider.enabled_for_current_site and provider.backend_name in oauth2:
                yield provider

    @classmethod
    def enabled(cls):
        return sorted(cls._enabled_providers(), key=lambda provider: provider.name)

    @classmethod
    def get(cls, provider_id):
        return next((p for p in cls._enabled_providers() if p.provider_id == provider_id), None)

    @classmethod
    def get_from_pipeline(cls, running_pipeline):
        # ProviderConfig.is_active_for_pipeline: the provider whose backend runs the pipeline.
        return next((p for p in cls._enabled_providers() if p.backend_name == running_pipeline["backend"]), None)

    @classmethod
    def get_enabled_by_backend_name(cls, backend_name):
        if backend_name in _psa_oauth2_backends():
            for name in OAuth2ProviderConfig.key_values("backend_name", flat=True):
                provider = OAuth2ProviderConfig.current(name)
                if provider.backend_name == backend_name and provider.enabled_for_current_site:
                    yield provider
