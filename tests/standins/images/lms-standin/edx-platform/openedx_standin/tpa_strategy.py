"""STAND-IN of edx-platform's third_party_auth strategy (common/djangoapps/third_party_auth/
strategy.py, ConfigurationModelStrategy) and of the provider lookup it relies on
(third_party_auth/models.py ProviderConfig.current / enabled_for_current_site / get_setting,
edx-django-sites-extensions' SiteManager.get_current). Written against the fields of
OAuth2ProviderConfig only, so it works with the bootstrap's stand-in model:

- the provider row is the newest OAuth2ProviderConfig for the backend name (a
  ConfigurationModel: every save inserts, newest wins);
- it is usable only when enabled and attached to the *current* Site: the Site whose
  domain equals the request's Host header exactly (port included), else SITE_ID;
- KEY -> key, SECRET -> secret or settings.SOCIAL_AUTH_OAUTH_SECRETS[backend_name],
  anything else -> json.loads(other_settings)[name].
"""
import json

from django.conf import settings
from django.contrib.sites.models import Site
from social_core.backends.oauth import OAuthAuth
from social_django.strategy import DjangoStrategy

from openedx_standin.middleware import get_current_request

DISABLED = "Can't fetch setting of a disabled backend/provider."


def current_site(request=None):
    request = request or get_current_request()
    if request is not None:
        site = Site.objects.filter(domain__iexact=request.get_host()).first()
        if site is not None:
            return site
    return Site.objects.get(pk=settings.SITE_ID)


def current_provider(backend_name):
    from third_party_auth.models import OAuth2ProviderConfig

    field = "change_date" if any(f.name == "change_date" for f in OAuth2ProviderConfig._meta.fields) else "pk"
    return OAuth2ProviderConfig.objects.filter(backend_name=backend_name).order_by("-" + field, "-pk").first()


def provider_setting(provider, name):
    if name == "KEY":
        return provider.key
    if name == "SECRET":
        return provider.secret or settings.SOCIAL_AUTH_OAUTH_SECRETS.get(provider.backend_name, "")
    other = json.loads(provider.other_settings or "{}")
    return other[name]


class ConfigurationModelStrategy(DjangoStrategy):
    def setting(self, name, default=None, backend=None):
        if isinstance(backend, OAuthAuth):
            provider = current_provider(backend.name)
            site = current_site(self.request)
            if provider is None or not provider.enabled or provider.site_id != site.id:
                raise Exception(DISABLED)
            try:
                return provider_setting(provider, name)
            except KeyError:
                pass
        return super().setting(name, default, backend)
