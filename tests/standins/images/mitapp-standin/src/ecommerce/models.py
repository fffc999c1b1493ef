"""MITx Online's Product (mitodl/mitxonline@b3c9730 ecommerce/models.py Product: a generic
`purchasable_object` (content_type + object_id), price, description, is_active). xPro prices
through ProductVersion rows the stand-in leaves out."""
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from mitapp_standin.models import TimestampedModel


class Product(TimestampedModel):
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField()
    purchasable_object = GenericForeignKey("content_type", "object_id")
    price = models.DecimalField(max_digits=7, decimal_places=2)
    description = models.TextField()
    is_active = models.BooleanField(default=True)

    def __str__(self):
        return f"#{self.id} {self.description} {self.price}"
