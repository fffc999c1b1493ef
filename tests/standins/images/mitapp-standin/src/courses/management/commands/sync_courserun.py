"""STAND-IN of MITx Online's `sync_courserun` (courses/management/commands/sync_courserun.py):
--run <courseware_id> (CommandError when unknown) or --all; sync_course_runs; prints
"Sync complete: N updated, M failures"."""

from django.core.management.base import BaseCommand
from mitapp_standin.only import only_in

from courses.api import runs_to_sync, sync_course_runs


class Command(BaseCommand):
    help = "Sync dates and title for all or a specific course run from edX."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--run", type=str)
        group.add_argument("--all", type=bool)

    def handle(self, *args, **options):
        only_in("mitxonline", "sync_courserun")
        runs = runs_to_sync(options["run"])
        success_count, error_count = sync_course_runs(runs)
        self.stdout.write(self.style.SUCCESS(f"Sync complete: {success_count} updated, {error_count} failures"))
