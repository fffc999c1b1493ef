"""STAND-IN of edx-platform's openedx/core/djangoapps/user_authn/migrations/
0001_data__add_login_service.py add_login_service: the user JWT_AUTH["JWT_LOGIN_SERVICE_USERNAME"]
(<username>@fake.email) and its public, password-grant DOT application "Login Service for JWT
Cookies" with client id JWT_AUTH["JWT_LOGIN_CLIENT_ID"], which the login cookies' JWT is made for
(openedx_standin/cookies.py). Left alone when an application with that client id exists."""
from django.conf import settings
from django.db import migrations
from oauth2_provider.settings import oauth2_settings


def add_login_service(apps, schema_editor):
    client_id = settings.JWT_AUTH["JWT_LOGIN_CLIENT_ID"]
    username = settings.JWT_AUTH["JWT_LOGIN_SERVICE_USERNAME"]
    Application = apps.get_model(oauth2_settings.APPLICATION_MODEL)
    if Application.objects.filter(client_id=client_id).exists():
        return
    User = apps.get_model(settings.AUTH_USER_MODEL)
    user, _ = User.objects.get_or_create(username=username, defaults={"email": username + "@fake.email"})
    Application.objects.create(name="Login Service for JWT Cookies", client_id=client_id, user=user,
                               client_type="public", authorization_grant_type="password", redirect_uris="")


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        migrations.swappable_dependency(oauth2_settings.APPLICATION_MODEL),
    ]
    operations = [migrations.RunPython(add_login_service, migrations.RunPython.noop)]
