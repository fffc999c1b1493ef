"""STAND-IN no-op for edx-platform's `reindex_studio` (Tutor's init scripts call it). The stand-in
LMS has no courseware, search index or authorization policies to act on."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "STAND-IN no-op for edx-platform's reindex_studio"

    def add_arguments(self, parser):
        parser.add_argument("args", nargs="*")
        parser.add_argument("--active", action="store_true")
        parser.add_argument("--all", action="store_true")

    def handle(self, *args, **options):
        self.stdout.write("reindex_studio: STAND-IN no-op (odl-stack engine tests)")
