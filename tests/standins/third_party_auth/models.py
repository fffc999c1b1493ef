"""STAND-IN for edx-platform's `OAuth2ProviderConfig`.

Fields follow upstream edx-platform `common/djangoapps/third_party_auth/models.py`
(`ProviderConfig` + `OAuth2ProviderConfig`) and django-config-models' `ConfigurationModel`
(`enabled`, `change_date`, `changed_by`). Left out: `organization` (FK to the `organizations`
app, not installable here). The semantics that matter to the bootstrap are reproduced:
  * `save()` always INSERTS a new row (ConfigurationModel sets pk=None first), then deletes the
    cached `current()` row of its own keys and the key_values entry of ALL the KEY_FIELDS;
  * `current(*keys)` and `key_values(*fields)` are cached for `cache_timeout` (600 s) in the shared
    cache (config_models/models.py ConfigurationModel.current / key_values: TieredCache, whose
    shared tier is Django's default cache; its per-request tier is not mimicked);
  * OAuth2ProviderConfig is keyed by ('site_id', 'backend_name') and `current(backend_name)` looks
    up the current request's Site (OAuth2ProviderConfig.current, since upstream PR #32656): each
    Site has its own newest row;
  * `enabled_for_current_site` compares the row's site with the current Site.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.db import models

from third_party_auth.sites import get_current_site


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

    # config_models/models.py: "The number of seconds".
    cache_timeout = 600

    def save(self, *args, **kwargs):
        # config_models ConfigurationModel.save: always insert, then clear the cached current row
        # of this row's keys and key_values() of the default (all KEY_FIELDS) key only.
        self.pk = None
        kwargs.pop("force_update", None)
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)
        cache.delete(self.cache_key_name(*[getattr(self, key) for key in self.KEY_FIELDS]))
        if self.KEY_FIELDS:
            cache.delete(self.key_values_cache_key_name())

    @classmethod
    def cache_key_name(cls, *args):
        # config_models/models.py ConfigurationModel.cache_key_name.
        if cls.KEY_FIELDS:
            if len(args) != len(cls.KEY_FIELDS):
                raise TypeError(f"cache_key_name() takes exactly {len(cls.KEY_FIELDS)} arguments ({len(args)} given)")
            return "configuration/{}/current/{}".format(cls.__name__, ",".join(str(arg) for arg in args))
        return f"configuration/{cls.__name__}/current"

    @classmethod
    def key_values_cache_key_name(cls, *key_fields):
        return "configuration/{}/key_values/{}".format(cls.__name__, ",".join(key_fields or cls.KEY_FIELDS))

    @classmethod
    def current(cls, *args):
        # config_models ConfigurationModel.current: cached, else the newest row, else an unsaved default.
        cache_key = cls.cache_key_name(*args)
        found = cache.get(cache_key)
        if found is not None:
            return found
        key_dict = dict(zip(cls.KEY_FIELDS, args, strict=False))
        rows = cls.objects.filter(**key_dict).order_by("-change_date")[:1]
        current = rows[0] if rows else cls(**key_dict)
        cache.set(cache_key, current, cls.cache_timeout)
        return current

    @classmethod
    def key_values(cls, *key_fields, **kwargs):
        # config_models ConfigurationModel.key_values: the distinct values, cached under a key
        # named after the fields asked for (key_values('backend_name') != the default key).
        flat = kwargs.pop("flat", False)
        assert not kwargs, "'flat' is the only kwarg accepted"
        key_fields = key_fields or cls.KEY_FIELDS
        cache_key = cls.key_values_cache_key_name(*key_fields)
        found = cache.get(cache_key)
        if found is not None:
            return found
        values = list(cls.objects.values_list(*key_fields, flat=flat).order_by().distinct())
        cache.set(cache_key, values, cls.cache_timeout)
        return values


class OAuth2ProviderConfig(ConfigurationModel):
    # Upstream: "keying the provider config by backend_name and site_id to support configuration per site".
    KEY_FIELDS = ("site_id", "backend_name")
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

    @classmethod
    def current(cls, *args):
        # OAuth2ProviderConfig.current: the current request's Site is the first key.
        return super().current(get_current_site().id, *args)

    @property
    def provider_id(self) -> str:
        # OAuth2ProviderConfig.provider_id: the KEY_FIELDS but site_id, i.e. "oa2-<backend_name>".
        return f"{self.prefix}-{self.backend_name}"

    @property
    def enabled_for_current_site(self) -> bool:
        # ProviderConfig.enabled_for_current_site.
        return bool(self.enabled and self.site_id == get_current_site().id)

    def get_setting(self, name: str):
        if name == "KEY":
            return self.key
        if name == "SECRET":
            return self.secret or getattr(settings, "SOCIAL_AUTH_OAUTH_SECRETS", {}).get(self.backend_name, "")
        if self.other_settings:
            return json.loads(self.other_settings)[name]
        raise KeyError(name)
