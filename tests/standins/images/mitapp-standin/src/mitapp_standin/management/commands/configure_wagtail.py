"""STAND-IN no-op for MITx Online's configure_wagtail (the stand-in has no Wagtail)."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "STAND-IN no-op for configure_wagtail"

    def handle(self, *args, **options):
        self.stdout.write("configure_wagtail: STAND-IN no-op (odl-stack engine tests)")
