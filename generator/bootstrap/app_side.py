"""MIT app side of the bootstrap: runs INSIDE the app-web container, in ONE `./manage.py shell`.

Runs after side_common.py (sides.script_source joins them into one file).
Self-contained on purpose (Django + django-oauth-toolkit 3.x only): the bootstrap copies this
file and a JSON data file into the container and starts it with a fixed launcher, so no value
is ever formatted into code.

Input: the JSON file named by $ODL_BOOTSTRAP_DATA (mode "run" or "verify").
Output: one line `ODL_BOOTSTRAP_RESULT=<json>` with the step results and the facts the
verification checklist needs (booleans and ids; never a secret).
"""




def _secret_matches(stored, raw):
    """DOT 3.x stores a hash (hash_client_secret=True); older rows may hold plaintext."""
    from django.contrib.auth.hashers import check_password, identify_hasher

    try:
        identify_hasher(stored)
    except ValueError:
        return stored == raw
    return check_password(raw, stored)


def reconcile_superuser(steps, spec):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import check_password

    User = get_user_model()
    label = "app superuser " + spec["username"]
    lookup = {User.USERNAME_FIELD: spec["username"]}
    # The apps' User has REQUIRED_FIELDS ["email", "name"]: pass whichever the plan provides.
    extra = {name: spec[name] for name in User.REQUIRED_FIELDS if name in spec}
    user = User._default_manager.filter(**lookup).first()
    if user is None:
        if not steps.dry:
            # Same call `createsuperuser` makes, so the app's own post-create hooks run.
            User._default_manager.create_superuser(password=spec["password"], **lookup, **extra)
        steps.add(label, "created")
        return
    wanted = dict(extra, is_staff=True, is_superuser=True, is_active=True)
    # hashers.check_password never re-hashes/saves (User.check_password may, on hasher upgrade).
    password_ok = user.has_usable_password() and check_password(spec["password"], user.password)
    changed = update_fields(
        steps, user, wanted, extra=() if password_ok else ("password",),
        also=None if password_ok else (lambda: user.set_password(spec["password"])),
    )
    steps.add(label, "updated" if changed else "unchanged", changed)


def reconcile_oauth_app(steps, spec):
    """`edx-oauth-app`: MITx Online's migration pre-creates it with a wrong redirect URI and a
    random secret stored hashed; fix both. The plaintext is assigned through the ORM and DOT 3.x
    hashes it on save."""
    from oauth2_provider.models import get_application_model

    Application = get_application_model()
    label = "app oauth application " + spec["name"]
    wanted = {
        "client_id": spec["client_id"],
        "client_type": spec["client_type"],
        "authorization_grant_type": spec["grant_type"],
        "skip_authorization": spec["skip_authorization"],
        "redirect_uris": " ".join(spec["redirect_uris"]),
        "algorithm": spec["algorithm"],
    }
    app = Application.objects.filter(name=spec["name"]).order_by("pk").first()
    if app is None:
        if not steps.dry:
            Application(name=spec["name"], client_secret=spec["client_secret"], **wanted).save()
        steps.add(label, "created")
        return
    secret_ok = _secret_matches(app.client_secret, spec["client_secret"])
    changed = update_fields(
        steps, app, wanted, extra=() if secret_ok else ("client_secret",),
        also=None if secret_ok else (lambda: setattr(app, "client_secret", spec["client_secret"])),
    )
    steps.add(label, "updated" if changed else "unchanged", changed)


def facts(data):
    """What the checklist needs, read back from the database (no secret values)."""
    from django.contrib.auth import get_user_model
    from oauth2_provider.models import get_application_model

    User = get_user_model()
    spec = data["oauth_app"]
    app = get_application_model().objects.filter(name=spec["name"]).order_by("pk").first()
    superuser = User._default_manager.filter(**{User.USERNAME_FIELD: data["superuser"]["username"]}).first()
    return {
        "superuser": superuser_ok(superuser),
        "oauth_app": oauth_app_facts(app, lambda a: _secret_matches(a.client_secret, spec["client_secret"]),
                                     extra=("algorithm",)),
    }


def reconcile(steps, data):
    reconcile_superuser(steps, data["superuser"])
    reconcile_oauth_app(steps, data["oauth_app"])


if __name__ == "__main__":
    run_side("app", reconcile, facts)
