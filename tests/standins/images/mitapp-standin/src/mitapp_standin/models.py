"""Shared abstract base (mitol.common.models.TimestampedModel / mitxpro.models.TimestampedModel)."""
from django.db import models


class TimestampedModel(models.Model):
    created_on = models.DateTimeField(auto_now_add=True)
    updated_on = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
