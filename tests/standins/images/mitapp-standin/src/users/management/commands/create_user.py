"""STAND-IN of MITx Online's `create_user` command (mitodl/mitxonline@b3c9730
users/management/commands/create_user.py): positional username email firstname lastname
displayname [countrycode], the password read with getpass (:95; from stdin when there is no
terminal), refusal with exit -1 when the username or email exists (:84-90),
User.objects.create_user (:99), then openedx.api.create_user (:116), queueing
openedx.tasks.create_user_from_id on failure (:123). xPro has no such command."""

import sys
from getpass import getpass

from django.conf import settings
from django.core.management import BaseCommand, CommandError
from django.db.models import Q

from users.models import User


class Command(BaseCommand):
    help = "Creates a new user in MITx Online, and creates an associated edX account."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("email")
        parser.add_argument("firstname", type=str)
        parser.add_argument("lastname", type=str)
        parser.add_argument("displayname", type=str)
        parser.add_argument("countrycode", type=str, default="US", nargs="?")
        parser.add_argument("--enroll", action="append", type=str)

    def handle(self, *args, **kwargs):
        if settings.STANDIN_APP != "mitxonline":
            raise CommandError("Unknown command: 'create_user'")  # as Django says for a missing command
        from openedx.api import create_user as openedx_create_user
        from openedx.tasks import create_user_from_id

        if User.objects.filter(Q(username=kwargs["username"]) | Q(email=kwargs["email"])).exists():
            self.stderr.write(f"User with username {kwargs['username']} or email address {kwargs['email']} already exists.")
            sys.exit(-1)
        password = getpass(f"Creating user {kwargs['username']}. Please enter their new password: ")
        new_account = User.objects.create_user(kwargs["username"], kwargs["email"], password)
        new_account.name = kwargs["displayname"]
        new_account.is_staff = False
        new_account.is_active = True
        new_account.is_superuser = False
        new_account.save()
        self.stdout.write(self.style.SUCCESS(f"Created user {new_account.edx_username}."))
        try:
            openedx_create_user(new_account)
        except Exception:
            self.stdout.write(
                self.style.ERROR(
                    f"An error occurred creating the Open edX user for {new_account.edx_username}; will queue it for later."
                )
            )
            create_user_from_id.apply_async((new_account.id,), countdown=60)
        if kwargs["enroll"]:
            raise CommandError("--enroll: the stand-in has no courses")
