"""Each app's Product, with only fields the real app has (tests/bootstrap/test_app_standin_likeness.py):
- MITx Online (mitodl/mitxonline@b3c9730 ecommerce/models.py:76): a generic `purchasable_object`
  (content_type :83 + object_id :88, :89), price :91, description :92, is_active :93.
- xPro (mitodl/mitxpro@92a8dcb ecommerce/models.py:84): content_type :90 (PROTECT), object_id :96,
  is_active :97, is_private :103; its prices live in ProductVersion rows the stand-in leaves out
  (the stack's xPro course step makes no product)."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from mitapp_standin.models import TimestampedModel

if settings.STANDIN_APP == "xpro":

    class Product(TimestampedModel):
        content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
        object_id = models.PositiveIntegerField()
        is_active = models.BooleanField(default=True)
        is_private = models.BooleanField(default=False)

        def __str__(self):
            return f"#{self.id} {self.content_type} {self.object_id}"

else:

    class Product(TimestampedModel):
        content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
        object_id = models.PositiveIntegerField()
        purchasable_object = GenericForeignKey("content_type", "object_id")
        price = models.DecimalField(max_digits=7, decimal_places=2)
        description = models.TextField()
        is_active = models.BooleanField(default=True)

        def __str__(self):
            return f"#{self.id} {self.description} {self.price}"
