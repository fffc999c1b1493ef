"""Open edX side of the bootstrap: runs INSIDE the LMS container, in ONE `./manage.py lms shell`.

Runs after side_common.py (sides.script_source joins them into one file).
Self-contained on purpose (only Django + django-oauth-toolkit 1.7.1 + edx-platform's
third_party_auth are imported): the bootstrap copies this file and a JSON data file into the
container and starts it with a fixed launcher, so no value is ever formatted into code.

Input: the JSON file named by $ODL_BOOTSTRAP_DATA (mode "run" or "verify").
Output: one line `ODL_BOOTSTRAP_RESULT=<json>` with the step results and the facts the
verification checklist needs (booleans and ids; never a secret).
"""

from datetime import datetime

# Provider fields the plan decides; everything else is carried over from the newest row.
PROVIDER_FLAGS = (
    "enabled",
    "skip_hinted_login_dialog",
    "skip_registration_form",
    "skip_email_verification",
    "sync_learner_profile_data",
    "enable_sso_id_verification",
)


def _user_model():
    from django.contrib.auth import get_user_model

    return get_user_model()


def _password_matches(user, raw):
    return user.has_usable_password() and password_matches(raw, user.password)


def _ensure_profile(user):
    # Real LMS code expects a UserProfile for every user (manage_user creates one); the
    # test stand-in has no `student` app, hence the guard.
    from django.apps import apps

    try:
        profile_model = apps.get_model("student", "UserProfile")
    except LookupError:
        return False
    if profile_model.objects.filter(user=user).exists():
        return False
    profile_model.objects.create(user=user, name=user.username)
    return True


def reconcile_user(steps, label, spec, staff, superuser):
    User = _user_model()
    user = User.objects.filter(username=spec["username"]).first()
    wanted = {"email": spec["email"], "is_staff": staff, "is_superuser": superuser, "is_active": True}
    password = spec.get("password")
    if user is None:
        if not steps.dry:
            user = User(username=spec["username"], **wanted)
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()  # token-only account
            user.save()
            _ensure_profile(user)
        steps.add(label, "created")
        return user
    password_ok = not password or _password_matches(user, password)
    changed = update_fields(
        steps,
        user,
        wanted,
        extra=() if password_ok else ("password",),
        also=None if password_ok else (lambda: user.set_password(password)),
    )
    if not steps.dry and _ensure_profile(user):
        changed.append("profile")
    steps.add(label, "updated" if changed else "unchanged", changed)
    return user


def reconcile_oauth_app(steps, spec, owner):
    from oauth2_provider.models import get_application_model

    Application = get_application_model()
    label = "lms oauth application " + spec["name"]
    wanted = {
        "client_id": spec["client_id"],
        "client_secret": spec["client_secret"],  # DOT 1.7.1 stores it as given (plaintext)
        "client_type": spec["client_type"],
        "authorization_grant_type": spec["grant_type"],
        "skip_authorization": spec["skip_authorization"],
        "redirect_uris": " ".join(spec["redirect_uris"]),
    }
    app = Application.objects.filter(name=spec["name"]).order_by("pk").first()
    if app is None:
        if not steps.dry:
            app = Application(name=spec["name"], user=owner, **wanted)
            app.save()
        steps.add(label, "created")
        return app
    extra = ("user",) if owner is not None and app.user_id != owner.pk else ()
    changed = update_fields(steps, app, wanted, extra=extra, also=lambda: setattr(app, "user", owner))
    steps.add(label, "updated" if changed else "unchanged", changed)
    return app


def reconcile_token(steps, spec, user):
    from oauth2_provider.models import get_access_token_model

    AccessToken = get_access_token_model()
    label = "lms service-worker access token"
    expires = datetime.fromisoformat(spec["token_expires"])
    wanted = {"expires": expires, "scope": spec.get("token_scope", "")}
    token = AccessToken.objects.filter(token=spec["token"]).first()
    if token is None:
        if not steps.dry:
            AccessToken.objects.create(token=spec["token"], user=user, application=None, **wanted)
        steps.add(label, "created")
        return
    extra = ("user",) if user is not None and token.user_id != user.pk else ()
    changed = update_fields(steps, token, wanted, extra=extra, also=lambda: setattr(token, "user", user))
    steps.add(label, "updated" if changed else "unchanged", changed)


def reconcile_site(steps, domain):
    from django.contrib.sites.models import Site

    site = Site.objects.filter(domain__iexact=domain).first()
    if site is not None:
        steps.add("lms site " + domain, "unchanged")
        return site
    if not steps.dry:
        site = Site.objects.create(domain=domain, name=domain)
    steps.add("lms site " + domain, "created")
    return site


def _provider_model():
    from django.apps import apps

    return apps.get_model("third_party_auth", "OAuth2ProviderConfig")


def _newest(queryset):
    return queryset.order_by("-change_date", "-pk").first()


def _provider_diff(row, spec, site):
    wanted = {name: spec[name] for name in PROVIDER_FLAGS}
    wanted.update({"name": spec["name"], "slug": spec["slug"], "key": spec["key"], "secret": spec["secret"]})
    changed = [name for name, value in wanted.items() if getattr(row, name) != value]
    if row.site_id != site.pk:
        changed.append("site")
    try:
        same_other = json.loads(row.other_settings or "{}") == spec["other_settings"]
    except ValueError:
        same_other = False
    if not same_other:
        changed.append("other_settings")
    return wanted, changed


def _insert_provider_row(previous, wanted, spec, site):
    Provider = _provider_model()
    row = Provider()
    if previous is not None:
        # A ConfigurationModel is edited by inserting a copy: keep what the plan does not decide.
        for field in Provider._meta.concrete_fields:
            if field.name not in ("id", "change_date", "changed_by"):
                setattr(row, field.attname, getattr(previous, field.attname))
    for name, value in wanted.items():
        setattr(row, name, value)
    row.backend_name = spec["backend_name"]
    row.site = site
    row.other_settings = json.dumps(spec["other_settings"], indent=4)
    row.save()  # ConfigurationModel.save() inserts a new row (never QuerySet.update)
    _clear_config_cache_after_commit(row)


def _clear_config_cache_after_commit(row):
    """Delete, once our transaction has committed, every config-models cache key the LMS reads
    for this row (TieredCache, 600 s; its shared tier is Django's default cache):
    - `current()` of the row's keys (site_id, backend_name) and key_values() of all KEY_FIELDS:
      django-config-models' save() deletes these, but before the commit, so a request landing in
      between re-caches the OLD state for ten minutes (config_models/models.py save/current);
    - key_values('backend_name'): what third_party_auth/provider.py Registry._enabled_providers
      and get_enabled_by_backend_name list providers from. save() never deletes it, so a /login
      rendered before the first row existed keeps "no providers" for ten minutes: linked-user
      checks see "active": [] and a new SSO user is sent to /login instead of /register."""
    from django.core.cache import cache
    from django.db import transaction

    model = type(row)
    keys = [
        model.cache_key_name(*[getattr(row, key) for key in model.KEY_FIELDS]),
        model.key_values_cache_key_name(),
        model.key_values_cache_key_name("backend_name"),
    ]
    transaction.on_commit(lambda: cache.delete_many(keys))


def reconcile_providers(steps, spec, sites):
    """One row per Site; insert only when the newest row for (Site, backend) differs.

    OAuth2ProviderConfig is keyed by ('site_id', 'backend_name') and `current(backend_name)` is the
    newest row of the current request's Site (third_party_auth/models.py, upstream PR #32656, in
    every release since Quince): each Site's row stands alone, whatever another Site's says."""
    Provider = _provider_model()
    for domain in spec["sites"]:
        site = sites[domain]
        label = "lms provider {} @ {}".format(spec["slug"], domain)
        previous = _newest(Provider.objects.filter(backend_name=spec["backend_name"], site=site)) if site is not None else None
        if previous is None:
            if not steps.dry:
                _insert_provider_row(None, _provider_diff(Provider(), spec, site)[0], spec, site)
            steps.add(label, "created")
            continue
        wanted, changed = _provider_diff(previous, spec, site)
        if changed and not steps.dry:
            _insert_provider_row(previous, wanted, spec, site)
        steps.add(label, "updated" if changed else "unchanged", changed)


def reconcile_learner_link(steps, spec):
    """An LMS learner (made by the app's registration call) whose social link is gone is
    linked again. The uid is the LMS username: registration makes the LMS user with the app's
    userinfo username (ol-social-auth OLOAuth2.ID_KEY = "username"), the same value the link holds.

    edX's own pipeline would link such a learner at its next SSO login, by email
    (third_party_auth/pipeline.py associate_by_email_if_oauth, for every `oa2-` provider), but only
    an ACTIVE account whose email is the app's and no other account's (social_core
    associate_by_email; utils.py get_associated_user_by_email_response). Otherwise (a learner
    deactivated, or whose LMS email no longer matches the app's) utils.py user_exists finds the
    account by email or username and the login ends on /login. The re-link is kept so the
    state is whole without a login: the checklist's link line and the app's Open edX checks read
    /api/third_party_auth/v0/users/<username> before anyone has signed in."""
    from django.apps import apps

    try:
        UserSocialAuth = apps.get_model("social_django", "UserSocialAuth")
    except LookupError:
        return  # no social_django in this LMS: nothing to link
    user = _user_model().objects.filter(username=spec["username"]).first()
    if user is None:
        return  # not registered yet: the app side's own code registers and links it
    label = "lms learner {} linked to {}".format(spec["username"], spec["backend_name"])
    if UserSocialAuth.objects.filter(user=user, provider=spec["backend_name"]).exists():
        steps.add(label, "unchanged")
        return
    if not steps.dry:
        UserSocialAuth.objects.create(user=user, provider=spec["backend_name"], uid=user.username, extra_data={})
    steps.add(label, "created")


# edx-platform's own password-reset mail (openedx/core/djangoapps/user_authn/views/password_reset.py
# send_password_reset_email_for_user: ACE's PasswordReset message through Django's EMAIL_BACKEND,
# i.e. Tutor's SMTP_HOST). Called as the password_reset view's form.save calls it, with a request
# for the LMS's Site; not through that view, whose rate limit (PASSWORD_RESET_EMAIL_RATE) would
# refuse a re-run within the hour and which also revokes the user's OAuth tokens.
LMS_RESET_MAIL = ("openedx.core.djangoapps.user_authn.views.password_reset", "send_password_reset_email_for_user")


def reset_mail(data):
    """The superuser's password-reset mail, sent now (it exists once this side has run)."""
    spec = data.get("mail")
    if not spec:
        return None

    def send(email):
        import importlib

        from django.contrib.auth.models import AnonymousUser
        from django.test import RequestFactory

        function = getattr(importlib.import_module(LMS_RESET_MAIL[0]), LMS_RESET_MAIL[1])
        user = _user_model().objects.filter(email__iexact=email).order_by("pk").first()
        if user is None:
            raise LookupError("no LMS user with the email " + email)
        request = RequestFactory().post("/password_reset/", {"email": email}, HTTP_HOST=data["site_domain"])
        request.user = AnonymousUser()
        # What edx-platform's CurrentSiteMiddleware gives a request (theming helpers read request.site).
        from django.contrib.sites.models import Site

        request.site = Site.objects.filter(domain=data["site_domain"]).first()
        try:  # edx-platform reads the Site through django-crum's current request (theming helpers)
            from crum import set_current_request
        except ImportError:
            set_current_request = None
        if set_current_request is not None:
            set_current_request(request)
        try:
            function(user, request)
        finally:
            if set_current_request is not None:
                set_current_request(None)

    return send_probe_mail(spec, send)


def facts(data, steps=None):
    """What the checklist needs, read back from the database (no secret values)."""
    from oauth2_provider.models import get_access_token_model, get_application_model

    User = _user_model()
    Application = get_application_model()
    app_spec, sw, prov = data["oauth_app"], data["service_worker"], data["provider"]
    app = Application.objects.filter(name=app_spec["name"]).order_by("pk").first()
    courses_spec = data.get("courses_oauth_app")
    courses = Application.objects.filter(name=courses_spec["name"]).order_by("pk").first() if courses_spec else None
    worker = User.objects.filter(username=sw["username"]).first()
    token = get_access_token_model().objects.filter(token=sw["token"]).first()
    # What a request to the LMS Host gets: OAuth2ProviderConfig.current() on that Site.
    current = _newest(_provider_model().objects.filter(backend_name=prov["backend_name"], site__domain__iexact=prov["sites"][0]))
    superuser = User.objects.filter(username=data["superuser"]["username"]).first()
    return {
        "mail": reset_mail(data),
        "superuser": superuser_ok(superuser),
        "oauth_app": oauth_app_facts(app, lambda a: a.client_secret == app_spec["client_secret"]),
        "service_worker": bool(worker and worker.is_staff and worker.is_active),
        # edx-platform openedx/core/lib/api/authentication.py BearerAuthentication: a user with
        # an unusable password (our token-only worker) is refused (401) unless it owns an
        # OAuth application. The dependency is checked, not left to chance.
        "worker_bearer_ok": bool(worker and (worker.has_usable_password() or Application.objects.filter(user=worker).exists())),
        "courses_oauth_app": None
        if courses is None
        else oauth_app_facts(courses, lambda a: a.client_secret == courses_spec["client_secret"], extra=("user_id",)),
        "worker_id": worker.pk if worker else None,
        "token": None
        if token is None
        else {"user_matches": bool(worker and token.user_id == worker.pk), "expires": token.expires.isoformat()},
        "provider": None
        if current is None
        else {
            "site": current.site.domain,
            "enabled": current.enabled,
            "key": current.key,
            "secret_matches": current.secret == prov["secret"],
            "slug": current.slug,
        },
    }


def reconcile(steps, data):
    reconcile_user(steps, "lms superuser " + data["superuser"]["username"], data["superuser"], True, True)
    worker = reconcile_user(
        steps, "lms service worker " + data["service_worker"]["username"], data["service_worker"], True, False
    )
    reconcile_oauth_app(steps, data["oauth_app"], worker)
    if data.get("courses_oauth_app"):
        reconcile_oauth_app(steps, data["courses_oauth_app"], worker)
    reconcile_token(steps, data["service_worker"], worker)
    sites = {domain: reconcile_site(steps, domain) for domain in data["provider"]["sites"]}
    reconcile_providers(steps, data["provider"], sites)
    reconcile_learner_link(steps, data["learner"])


if __name__ == "__main__":
    run_side("lms", reconcile, facts)
