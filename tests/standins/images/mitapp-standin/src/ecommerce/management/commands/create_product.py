"""STAND-IN of MITx Online's `create_product` (mitodl/mitxonline@b3c9730
ecommerce/management/commands/create_product.py): a Product for the course run `courseware`
at `price` (description: the run's readable id), active unless --inactive; an unknown run
prints "Could not retrieve ..." and exits -1. Not idempotent (a second call adds a second
product), as upstream. No django-reversion revision here."""

from courses.models import CourseRun
from django.contrib.contenttypes.models import ContentType
from django.core.management import BaseCommand
from mitapp_standin.only import only_in

from ecommerce.models import Product


class Command(BaseCommand):
    help = "Creates a product for the given courseware ID."

    def add_arguments(self, parser):
        parser.add_argument("courseware", type=str)
        parser.add_argument("price", type=str)
        parser.add_argument("--description", "-d", nargs="?", type=str, metavar="description")
        parser.add_argument("--inactive", action="store_false")

    def handle(self, *args, **kwargs):
        only_in("mitxonline", "create_product")
        try:
            courserun = CourseRun.objects.filter(courseware_id=kwargs["courseware"]).get()
        except Exception as e:
            self.stderr.write(f"Could not retrieve {kwargs['courseware']}: {e}")
            exit(-1)
        product = Product.objects.create(
            object_id=courserun.id,
            content_type=ContentType.objects.get_for_model(CourseRun),
            price=kwargs["price"],
            description=kwargs["description"] or courserun.readable_id,
            is_active=kwargs["inactive"],
        )
        self.stdout.write(f"Created product {product}.")
