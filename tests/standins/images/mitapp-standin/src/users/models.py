"""Each app's custom user model, with only fields the real app has (the stand-in runs as ONE app;
tests/bootstrap/test_app_standin_likeness.py holds the field lists). Both are AbstractBaseUser +
TimestampedModel + PermissionsMixin with REQUIRED_FIELDS email and name:
- MITx Online (mitodl/mitxonline@b3c9730 users/models.py:263): username :278 (max 500), email :279,
  name :280, is_staff :281, is_etl :284, is_active :289, global_id :297 (the Keycloak `sub` its
  API-gateway backend looks users up by; null, unique, default None). Left out: hubspot_sync_datetime
  :306, b2b_contracts/b2b_organizations :308-318, the SCIM mixin's fields.
- xPro (mitodl/mitxpro@92a8dcb users/models.py:142): username :151 (max 50), email :152 (unique),
  name :153, is_staff :154, is_active :157.

The manager does what both apps' UserManager._create_user does after saving the user
(mitodl/mitxonline@b3c9730 users/models.py:170-206, mitodl/mitxpro@92a8dcb users/models.py:68-100):
MITx Online also makes the user's OpenEdxUser row with edx_username = username[:30]; xPro only
makes its LegalAddress/Profile rows, which the stand-in does not have."""

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models, transaction
from mitapp_standin.models import TimestampedModel


def _post_create_user(user, username):
    if apps.is_installed("openedx"):
        from openedx.models import OPENEDX_USERNAME_MAX_LEN, OpenEdxUser

        edx_username = username[:OPENEDX_USERNAME_MAX_LEN]
        OpenEdxUser.objects.create(user=user, edx_username=edx_username, desired_edx_username=edx_username)


class UserManager(DjangoUserManager):
    @transaction.atomic
    def _create_user(self, username, email, password, **extra_fields):
        user = super()._create_user(username, email, password, **extra_fields)
        _post_create_user(user, username)
        return user


class _User(AbstractBaseUser, TimestampedModel, PermissionsMixin):
    EMAIL_FIELD = "email"
    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["email", "name"]

    name = models.CharField(blank=True, default="", max_length=255)
    is_staff = models.BooleanField(default=False, help_text="The user can access the admin site")
    is_active = models.BooleanField(default=True, help_text="The user account is active")

    objects = UserManager()

    class Meta:
        abstract = True

    def get_full_name(self):
        return self.name

    def get_short_name(self):
        return self.name

    @property
    def edx_username(self):
        """MITx Online users/models.py:347 (xPro: the username itself)."""
        if apps.is_installed("openedx"):
            openedx_user = self.openedx_users.first()
            return getattr(openedx_user, "edx_username", None)
        return self.username

    @property
    def openedx_user_exists(self):
        """MITx Online users/models.py:377."""
        openedx_user = self.openedx_users.first()
        return openedx_user is not None and openedx_user.has_been_synced


if settings.STANDIN_APP == "xpro":

    class User(_User):
        username = models.CharField(unique=True, max_length=50)
        email = models.EmailField(blank=False, unique=True)

else:

    class User(_User):
        username = models.CharField(unique=True, max_length=500)
        email = models.EmailField(blank=False)
        is_etl = models.BooleanField(default=False, help_text="The user is used by the Learn ETL process")
        global_id = models.CharField(null=True, blank=True, unique=True, default=None, max_length=36)
