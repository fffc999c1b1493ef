"""STAND-IN no-op for edx-platform's `populate_retirement_states`
(openedx/core/djangoapps/user_api/management/commands/), which tutor-mfe's LMS init task
runs when the account MFE is enabled (tutormfe/templates/mfe/tasks/lms/init). The stand-in
LMS has no user-retirement models to fill."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "STAND-IN no-op for edx-platform's populate_retirement_states"

    def handle(self, *args, **options):
        self.stdout.write("populate_retirement_states: STAND-IN no-op (odl-stack engine tests)")
