"""edx-platform's create_dot_application (openedx/core/djangoapps/oauth_dispatch/management/
commands/create_dot_application.py) on the real django-oauth-toolkit Application model:
looked up by (user, name); created if missing; updated only with --update. Scopes are
accepted but not stored (upstream writes them to oauth_dispatch.ApplicationAccess, which
the stand-in does not have)."""

import logging

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from oauth2_provider.models import get_application_model

log = logging.getLogger(__name__)
Application = get_application_model()


class Command(BaseCommand):
    help = "Creates or updates a DOT application for the given user."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("username")
        parser.add_argument(
            "--grant-type",
            dest="grant_type",
            default=Application.GRANT_CLIENT_CREDENTIALS,
            choices=[choice[0] for choice in Application.GRANT_TYPES],
        )
        parser.add_argument("--redirect-uris", dest="redirect_uris", default="")
        parser.add_argument("--public", dest="public", action="store_true")
        parser.add_argument("--skip-authorization", dest="skip_authorization", action="store_true")
        parser.add_argument("--client-id", dest="client_id", default="")
        parser.add_argument("--client-secret", dest="client_secret", default="")
        parser.add_argument("--scopes", dest="scopes", default="")
        parser.add_argument("--update", dest="update", action="store_true")

    def handle(self, *args, **options):
        user = get_user_model().objects.get(username=options["username"])
        values = {
            "authorization_grant_type": options["grant_type"],
            "redirect_uris": options["redirect_uris"],
            "client_type": Application.CLIENT_PUBLIC if options["public"] else Application.CLIENT_CONFIDENTIAL,
            "skip_authorization": options["skip_authorization"],
        }
        if options["client_id"]:
            values["client_id"] = options["client_id"]
        if options["client_secret"]:
            values["client_secret"] = options["client_secret"]
        application = Application.objects.filter(user=user, name=options["name"]).first()
        if application is not None:
            if not options["update"]:
                log.info("Application %s for user %s already exists; not updated", options["name"], user.username)
                return
            for key, value in values.items():
                setattr(application, key, value)
            application.save()
            log.info("Updated application %s for user %s", options["name"], user.username)
        else:
            application = Application.objects.create(name=options["name"], user=user, **values)
            log.info("Created application %s for user %s", options["name"], user.username)
