from django.apps import AppConfig


class ThirdPartyAuthStandInConfig(AppConfig):
    # Same label as upstream so `third_party_auth.OAuth2ProviderConfig` resolves the same way.
    name = "third_party_auth"
    label = "third_party_auth"
    verbose_name = "Third-party auth (STAND-IN for edx-platform)"
    default_auto_field = "django.db.models.AutoField"
