"""TEST DOUBLE of mitodl/mitxonline openedx/models.py:14-75 (OpenEdxUser, related_name
openedx_users, has_been_synced; OpenEdxApiAuth, related_name openedx_api_auth): the fields the
bootstrap's learner step reads."""
from django.conf import settings
from django.db import models


class OpenEdxUser(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="openedx_users")
    platform = models.CharField(max_length=20, default="mitx")
    edx_username = models.CharField(max_length=30, null=True, blank=True)
    desired_edx_username = models.CharField(max_length=30, null=True, blank=True)
    has_been_synced = models.BooleanField(default=False)


class OpenEdxApiAuth(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="openedx_api_auth")
    refresh_token = models.CharField(max_length=128)
    access_token = models.CharField(null=True, max_length=128)
    access_token_expires_on = models.DateTimeField(null=True)
