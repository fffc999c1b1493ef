"""STAND-IN user model shaped like mitodl/mitxonline users/models.py (USERNAME_FIELD username,
REQUIRED_FIELDS email + name, a manager whose create_superuser takes username, email, password)."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, username, email, password, **extra_fields):
        user = self.model(username=username, email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        # mitxonline users/models.py:170-183 _post_create_user: the user's OpenEdxUser row.
        from openedx.models import OpenEdxUser

        OpenEdxUser.objects.create(user=user, edx_username=username[:30], desired_edx_username=username[:30])
        return user

    def create_user(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(username, email, password, **extra_fields)

    def create_superuser(self, username, email, password, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(username, email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    username = models.CharField(max_length=150, unique=True)
    email = models.EmailField(blank=False, unique=True)
    name = models.TextField(blank=True, default="")
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email", "name"]

    objects = UserManager()

    @property
    def edx_username(self):
        """mitxonline users/models.py:347: what its /api/users/me returns as `username`."""
        row = self.openedx_users.first()
        return row.edx_username if row else None
