"""One stand-in image serves both apps; a command only one of them ships refuses in the other."""

from django.conf import settings
from django.core.management.base import CommandError


def only_in(app, command):
    if settings.STANDIN_APP != app:
        raise CommandError(f"Unknown command: '{command}' (a {app} command; this stand-in runs as {settings.STANDIN_APP})")
