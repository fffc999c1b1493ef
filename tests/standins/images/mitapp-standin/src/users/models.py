"""The apps' custom user model, reduced: a `name` field, REQUIRED_FIELDS email and name, and
MITx Online's `global_id` (the Keycloak `sub` its API-gateway backend looks users up by)."""
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    name = models.CharField(max_length=255, blank=True, default="")
    global_id = models.CharField(max_length=255, blank=True, default="", db_index=True)

    REQUIRED_FIELDS = ["email", "name"]
