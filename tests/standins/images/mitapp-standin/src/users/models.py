"""The apps' custom user model, reduced: a `name` field, REQUIRED_FIELDS email and name."""
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    name = models.CharField(max_length=255, blank=True, default="")

    REQUIRED_FIELDS = ["email", "name"]
