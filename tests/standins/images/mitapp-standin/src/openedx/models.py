"""MITx Online's Open edX records (mitodl/mitxonline@b3c9730 openedx/models.py:14-76):
`OpenEdxUser` (related name `openedx_users`; edx_username unique, has_been_synced,
has_sync_error, sync_error_data) and `OpenEdxApiAuth` (one per user, related name
`openedx_api_auth`; the user's Open edX refresh/access token)."""

from django.conf import settings
from django.db import models
from mitapp_standin.models import OpenEdxApiAuthFields, TimestampedModel

PLATFORM_EDX = "edx"  # openedx/constants.py:3
OPENEDX_USERNAME_MAX_LEN = 30  # openedx/constants.py


class OpenEdxUser(TimestampedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="openedx_users")
    platform = models.CharField(max_length=20, choices=[(PLATFORM_EDX, PLATFORM_EDX)], default=PLATFORM_EDX)
    edx_username = models.CharField(null=True, unique=True, max_length=OPENEDX_USERNAME_MAX_LEN)
    desired_edx_username = models.CharField(null=True, max_length=OPENEDX_USERNAME_MAX_LEN)
    has_been_synced = models.BooleanField(default=False)
    has_sync_error = models.BooleanField(default=False)
    sync_error_data = models.JSONField(null=True, default=None)

    class Meta:
        unique_together = ("user", "platform")

    def __str__(self):
        return f"OpenEdxUser for {self.user} in {self.platform}"


class OpenEdxApiAuth(OpenEdxApiAuthFields):
    pass
