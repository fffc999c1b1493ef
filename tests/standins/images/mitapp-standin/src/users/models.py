"""The apps' custom user model, reduced: a `name` field, REQUIRED_FIELDS email and name, and
MITx Online's `global_id` (the Keycloak `sub` its API-gateway backend looks users up by).

The manager does what both apps' UserManager._create_user does after saving the user
(mitodl/mitxonline@b3c9730 users/models.py:170-206, mitodl/mitxpro@92a8dcb users/models.py:68-100):
MITx Online also makes the user's OpenEdxUser row with edx_username = username[:30]; xPro only
makes its LegalAddress/Profile rows, which the stand-in does not have."""
from django.apps import apps
from django.contrib.auth.models import AbstractUser, UserManager as DjangoUserManager
from django.db import models, transaction


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


class User(AbstractUser):
    name = models.CharField(max_length=255, blank=True, default="")
    global_id = models.CharField(max_length=255, blank=True, default="", db_index=True)

    REQUIRED_FIELDS = ["email", "name"]

    objects = UserManager()

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
