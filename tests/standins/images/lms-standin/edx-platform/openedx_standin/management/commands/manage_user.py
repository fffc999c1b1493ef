"""edx-platform's manage_user (common/djangoapps/student/management/commands/manage_user.py),
reduced to what Tutor and the bootstrap use: get-or-create by username, refuse a
different email, set is_staff/is_superuser to exactly the flags given, groups replaced
by -g, --unusable-password / --initial-password-hash for new users, --remove."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string


class Command(BaseCommand):
    help = "Creates the specified user, if it does not exist, and sets its groups."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("email")
        parser.add_argument("--remove", dest="is_remove", action="store_true")
        parser.add_argument("--superuser", dest="is_superuser", action="store_true")
        parser.add_argument("--staff", dest="is_staff", action="store_true")
        parser.add_argument("--unusable-password", dest="unusable_password", action="store_true")
        parser.add_argument("--initial-password-hash", dest="initial_password_hash")
        parser.add_argument("-g", "--groups", nargs="*", default=[])

    def handle(
        self, username, email, is_remove, is_staff, is_superuser, groups, unusable_password, initial_password_hash, **options
    ):
        User = get_user_model()
        if is_remove:
            User.objects.filter(username=username).delete()
            self.stderr.write(f"Removed user: {username}")
            return
        user, created = User.objects.get_or_create(username=username, defaults={"email": email})
        if created:
            if initial_password_hash:
                user.password = initial_password_hash
            elif unusable_password:
                user.set_unusable_password()
            else:
                user.set_password(get_random_string(32))
            self.stderr.write(f"Created new user: {username}")
        elif user.email.lower() != email.lower():
            raise CommandError(f"Found a user with username {username} but a different email: {user.email}")
        user.is_staff = is_staff
        user.is_superuser = is_superuser
        user.save()
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
