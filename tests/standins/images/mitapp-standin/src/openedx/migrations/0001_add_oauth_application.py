"""Like MITx Online's `openedx/0001_add_oauth_application`: the app's migrations create
`edx-oauth-app` before anyone configures it, with a redirect URI that does not match this
stack (the devstack-era default) and a random secret stored hashed (DOT 3.x hashes on save),
so the bootstrap has to repair both. xPro creates no such row (only configure_instance does)."""

from django.conf import settings
from django.db import migrations
from oauth2_provider.generators import generate_client_id, generate_client_secret

STALE_REDIRECT_URI = "http://edx.odl.local:18000/auth/complete/mitxpro-oauth2/"


def create_app(apps, schema_editor):
    if settings.STANDIN_APP != "mitxonline":
        return
    Application = apps.get_model("oauth2_provider", "Application")
    if Application.objects.filter(name=settings.OPENEDX_OAUTH_APP_NAME).exists():
        return
    from django.contrib.auth.hashers import make_password

    Application.objects.create(
        name=settings.OPENEDX_OAUTH_APP_NAME,
        client_id=generate_client_id(),
        client_secret=make_password(generate_client_secret()),
        redirect_uris=STALE_REDIRECT_URI,
        client_type="confidential",
        authorization_grant_type="authorization-code",
        skip_authorization=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("oauth2_provider", "__latest__"),
        ("users", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_app, migrations.RunPython.noop)]
