"""STAND-IN of xPro's `sync_courseruns` (mitodl/mitxpro@92a8dcb
courses/management/commands/sync_courseruns.py): [--run <courseware_id>] (CommandError when
unknown; without it every live run); courses.utils.sync_course_runs; prints
"Sync complete: N updated, M failures, K unchanged."."""

from django.core.management.base import BaseCommand
from mitapp_standin.only import only_in

from courses.api import runs_to_sync
from courses.utils import sync_course_runs


class Command(BaseCommand):
    help = "Sync dates and title for all or a specific course run from edX."

    def add_arguments(self, parser):
        parser.add_argument("--run", type=str, required=False)

    def handle(self, *args, **options):
        only_in("xpro", "sync_courseruns")
        runs = runs_to_sync(options["run"])
        success_count, error_count, unchanged_count = sync_course_runs(runs)
        self.stdout.write(
            self.style.SUCCESS(f"Sync complete: {success_count} updated, {error_count} failures, {unchanged_count} unchanged.")
        )
