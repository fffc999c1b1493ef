"""STAND-IN for edx-platform's `OAuth2ProviderConfig`.

Fields follow upstream edx-platform `common/djangoapps/third_party_auth/models.py`
(`ProviderConfig` + `OAuth2ProviderConfig`) and django-config-models' `ConfigurationModel`
(`enabled`, `change_date`, `changed_by`). Left out: `organization` (FK to the `organizations`
app, not installable here). The semantics that matter to the bootstrap are reproduced:
  * `save()` always INSERTS a new row (ConfigurationModel sets pk=None first);
  * `current(backend_name)` returns the newest row for that backend_name (KEY_FIELDS), across
    all sites, or an unsaved disabled default when there is none;
  * `enabled_for_current_site` compares the row's site with the current Site.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.sites.models import Site
from django.db import models


def _default_site_id() -> int:
    # Upstream wraps settings.SITE_ID in a function too (migration 0013).
    return getattr(settings, "SITE_ID", 1)


class ConfigurationModel(models.Model):
    """The parts of django-config-models' ConfigurationModel the bootstrap relies on."""

    KEY_FIELDS: tuple[str, ...] = ()

    change_date = models.DateTimeField(auto_now_add=True, verbose_name="Change date")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, editable=False, null=True, on_delete=models.PROTECT, verbose_name="Changed by"
    )
    enabled = models.BooleanField(default=False, verbose_name="Enabled")

    class Meta:
        abstract = True
        ordering = ("-change_date",)

    def save(self, *args, **kwargs):
        # Upstream: "Clear the cached value when saving a new configuration entry" and always insert.
        self.pk = None
        kwargs.pop("force_update", None)
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    @classmethod
    def cache_key_name(cls, *args):
        # Upstream's key for the cached current() row (config_models/models.py cache_key_name).
        return "configuration/{}/current/{}".format(cls.__name__, ",".join(str(arg) for arg in args))

    @classmethod
    def key_values_cache_key_name(cls, *key_fields):
        return "configuration/{}/key_values/{}".format(cls.__name__, ",".join(key_fields or cls.KEY_FIELDS))

    @classmethod
    def current(cls, *args):
        key_dict = dict(zip(cls.KEY_FIELDS, args))
        row = cls.objects.filter(**key_dict).order_by("-change_date", "-pk").first()
        return row if row is not None else cls(**key_dict)


class OAuth2ProviderConfig(ConfigurationModel):
    KEY_FIELDS = ("backend_name",)
    prefix = "oa2"

    # ProviderConfig
    icon_class = models.CharField(max_length=50, blank=True, default="fa-sign-in")
    icon_image = models.FileField(blank=True)
    name = models.CharField(max_length=50, blank=True)
    slug = models.SlugField(max_length=30, db_index=True, default="default")
    secondary = models.BooleanField(default=False)
    site = models.ForeignKey(Site, default=_default_site_id, related_name="%(class)ss", on_delete=models.CASCADE)
    skip_hinted_login_dialog = models.BooleanField(default=False)
    skip_registration_form = models.BooleanField(default=False)
    skip_email_verification = models.BooleanField(default=False)
    send_welcome_email = models.BooleanField(default=False)
    visible = models.BooleanField(default=False)
    max_session_length = models.PositiveIntegerField(null=True, blank=True, default=None)
    send_to_registration_first = models.BooleanField(default=False)
    sync_learner_profile_data = models.BooleanField(default=False)
    enable_sso_id_verification = models.BooleanField(default=False)
    disable_for_enterprise_sso = models.BooleanField(default=False)
    was_valid_at = models.DateTimeField(blank=True, null=True)

    # OAuth2ProviderConfig
    backend_name = models.CharField(max_length=50, blank=False, db_index=True)
    key = models.TextField(blank=True, verbose_name="Client ID")
    secret = models.TextField(blank=True, verbose_name="Client Secret")
    other_settings = models.TextField(blank=True)

    class Meta:
        app_label = "third_party_auth"
        verbose_name = "Provider Configuration (OAuth) [STAND-IN]"

    @property
    def provider_id(self) -> str:
        return f"{self.prefix}-{self.backend_name}"

    @property
    def enabled_for_current_site(self) -> bool:
        return bool(self.enabled and self.site_id == Site.objects.get_current().id)

    def get_setting(self, name: str):
        if name == "KEY":
            return self.key
        if name == "SECRET":
            return self.secret or getattr(settings, "SOCIAL_AUTH_OAUTH_SECRETS", {}).get(self.backend_name, "")
        if self.other_settings:
            return json.loads(self.other_settings)[name]
        raise KeyError(name)
