"""xPro's Open edX records (mitodl/mitxpro@92a8dcb courseware/models.py:10-50): `CoursewareUser`
(related name `courseware_users`, has_been_synced defaults to True: the row is made only inside
the registration's transaction) and `OpenEdxApiAuth` (related name `openedx_api_auth`)."""

from django.conf import settings
from django.db import models
from mitapp_standin.models import OpenEdxApiAuthFields, TimestampedModel

PLATFORM_EDX = "edx"  # courseware/constants.py


class CoursewareUser(TimestampedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="courseware_users")
    platform = models.CharField(max_length=20, choices=[(PLATFORM_EDX, PLATFORM_EDX)], default=PLATFORM_EDX)
    has_been_synced = models.BooleanField(default=True)

    class Meta:
        unique_together = ("user", "platform")

    def __str__(self):
        return f"CoursewareUser for {self.user} in {self.platform}"


class OpenEdxApiAuth(OpenEdxApiAuthFields):
    pass
