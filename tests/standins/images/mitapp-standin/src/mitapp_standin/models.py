"""Abstract bases shared by the two apps' models: mitol.common.models.TimestampedModel /
mitxpro.models.TimestampedModel, and the fields of `OpenEdxApiAuth`, which both apps define
alike (mitxonline openedx/models.py:57-76, mitxpro courseware/models.py:33-50)."""

from django.conf import settings
from django.db import models


class TimestampedModel(models.Model):
    created_on = models.DateTimeField(auto_now_add=True)
    updated_on = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class OpenEdxApiAuthFields(TimestampedModel):
    """A user's Open edX refresh/access token (one per user, related name `openedx_api_auth`)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="openedx_api_auth")
    refresh_token = models.CharField(max_length=128)
    access_token = models.CharField(null=True, max_length=128)
    access_token_expires_on = models.DateTimeField(null=True)

    class Meta:
        abstract = True

    def __str__(self):
        return f"OpenEdxApiAuth for {self.user}"
