"""MIT app side of the bootstrap: runs INSIDE the app-web container, in ONE `./manage.py shell`.

Runs after side_common.py (sides.script_source joins them into one file).
Self-contained on purpose (Django + django-oauth-toolkit 3.x + requests, all of which the apps pin, and the
app's own modules for the learner): the bootstrap copies this
file and a JSON data file into the container and starts it with a fixed launcher, so no value
is ever formatted into code.

Input: the JSON file named by $ODL_BOOTSTRAP_DATA (mode "run" or "verify").
Output: one line `ODL_BOOTSTRAP_RESULT=<json>` with the step results and the facts the
verification checklist needs (booleans and ids; never a secret).
"""


def _secret_matches(stored, raw):
    """DOT 3.x stores a hash (hash_client_secret=True); older rows may hold plaintext."""
    from django.contrib.auth.hashers import identify_hasher

    try:
        identify_hasher(stored)
    except ValueError:
        return stored == raw
    return password_matches(raw, stored)


def reconcile_superuser(steps, spec):
    from django.contrib.auth import get_user_model

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
    password_ok = user.has_usable_password() and password_matches(spec["password"], user.password)
    changed = update_fields(
        steps,
        user,
        wanted,
        extra=() if password_ok else ("password",),
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
        steps,
        app,
        wanted,
        extra=() if secret_ok else ("client_secret",),
        also=None if secret_ok else (lambda: setattr(app, "client_secret", spec["client_secret"])),
    )
    steps.add(label, "updated" if changed else "unchanged", changed)


# The app's own functions the learner step calls (module from the plan, names as upstream):
# mitxonline openedx/api.py:82 create_user, :727 repair_faulty_edx_user; mitxpro
# courseware/api.py:94, :371; both apps' authentication/api.py create_user_session.
LEARNER_FUNCTIONS = ("create_user", "repair_faulty_edx_user")
SESSION_FUNCTION = ("authentication.api", "create_user_session")
LEARNER_KEY = "learner"
HTTP_TIMEOUT = 30


def _app_functions(spec):
    """{name: function} from the app's own modules, or the dotted name of the first one missing."""
    import importlib

    wanted = [(spec["api"], name) for name in LEARNER_FUNCTIONS] + [SESSION_FUNCTION]
    found = {}
    for module_name, name in wanted:
        try:
            function = getattr(importlib.import_module(module_name), name, None)
        except Exception:  # ImportError, or a module of an app this image does not install
            function = None
        if function is None:
            return None, f"{module_name}.{name}"
        found[name] = function
    return found, None


def _learner(spec):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    return User._default_manager.filter(**{User.USERNAME_FIELD: spec["username"]}).first()


def _api_auth(user):
    """The learner's OpenEdxApiAuth (related_name openedx_api_auth in both apps), or None."""
    from django.core.exceptions import ObjectDoesNotExist

    try:
        return user.openedx_api_auth
    except ObjectDoesNotExist:
        return None


def _learner_state(user, spec):
    """'synced' / 'auth': what the app's faulty-user managers look at, read fresh."""
    from django.utils import timezone

    user = type(user)._default_manager.get(pk=user.pk)  # no cached reverse relations
    synced = getattr(user, spec["record"]).filter(**spec["synced"]).exists()
    auth = _api_auth(user)
    if auth is None:
        state = "missing"
    elif not (auth.access_token and auth.refresh_token):
        state = "empty"
    elif auth.access_token_expires_on is None or auth.access_token_expires_on <= timezone.now():
        state = "expired"
    else:
        state = "ok"
    return user, synced, auth, state


def _lms(method, url, **kwargs):
    """(status, json-or-None, error) of one call to the LMS; never raises."""
    import requests

    try:
        response = requests.request(method, url, timeout=HTTP_TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        return None, None, f"{type(exc).__name__}: {exc}"
    try:
        body = response.json()
    except ValueError:
        body = None
    return response.status_code, body, ""


def _me(spec, token):
    return _lms("GET", spec["lms_url"] + "/api/user/v1/me", headers={"Authorization": "Bearer " + token})


def _lms_has_account(spec, user):
    """The LMS account of the learner, read with the service-worker token (edx-platform
    user_api accounts/<username>; staff see the email)."""
    name = getattr(user, spec["userinfo_username"], None)
    if not name:
        return False
    status, body, _ = _lms(
        "GET",
        "{}/api/user/v1/accounts/{}".format(spec["lms_url"], name),
        headers={"Authorization": "Bearer " + spec["service_worker_token"]},
    )
    return status == 200 and isinstance(body, dict) and body.get("email") == user.email


def _forget_sync(user, spec):
    """The LMS no longer knows the learner's token (its user or token is gone): make the app's
    records say "not synced" so its own repair function registers and authorizes it again."""
    rows = getattr(user, spec["record"]).all()
    if spec["synced"]:
        rows.update(**{name: not value for name, value in spec["synced"].items()})
    else:
        rows.delete()
    auth = _api_auth(user)
    if auth is not None:
        auth.delete()


def _ensure_app_user(steps, spec):
    """The app user, made by the app's own UserManager.create_user (mitxonline users/models.py:210,
    mitxpro users/models.py:102: the app's post-create rows included, is_staff/is_superuser False,
    the name as an extra field); None in verify mode. Neither app's `create_user` command can be
    called: MITx Online's (users/management/commands/create_user.py) reads the password with
    getpass, exits -1 for an existing user and makes the Open edX user itself, which the bootstrap
    calls next; xPro has none (its users are made by the social-auth pipeline's
    create_user_via_email, authentication/pipeline/user.py:90, which needs a signup request)."""
    from django.contrib.auth import get_user_model

    user = _learner(spec)
    if user is None:
        if steps.dry:
            return None, False, []
        user = get_user_model().objects.create_user(spec["username"], spec["email"], spec["password"], name=spec["name"])
        return user, True, []
    password_ok = user.has_usable_password() and password_matches(spec["password"], user.password)
    changed = update_fields(
        steps,
        user,
        {"email": spec["email"], "is_active": True},
        extra=() if password_ok else ("password",),
        also=None if password_ok else (lambda: user.set_password(spec["password"])),
    )
    return user, False, changed


def reconcile_learner(steps, data):
    """The test learner, made and synced into Open edX by the app's OWN functions; each
    half-made state goes to the app's repair function (or is made whole, then repaired)."""
    spec = data["learner"]
    label = "app learner {} (Open edX sync by {})".format(spec["username"], spec["api"])
    functions, missing = _app_functions(spec)
    if missing:
        steps.fail(
            LEARNER_KEY,
            "{} not found in the app image {}: cannot make the test learner the app's way".format(missing, spec["image"]),
        )
        return
    try:
        _reconcile_learner(steps, spec, functions, label)
    except Exception as exc:  # the app's call to the LMS failed: a ✗, never a traceback
        steps.fail(LEARNER_KEY, "{} failed: {}: {}".format(label, type(exc).__name__, " ".join(str(exc).split())))


def _record_what_the_lms_has(user, spec):
    """Registered on the LMS, but the app's row says otherwise (a run killed between the
    registration POST and the app's commit, or the row deleted): MITx Online's repair would POST
    the registration again, get 409 (openedx/api.py:304-409), set has_sync_error (:297) and so drop
    the user from its own faulty-user repair (users/models.py:249). Make a missing row through the
    app's own function (the app's username rule), then record what is true. True when it did."""
    import importlib

    rows = getattr(user, spec["record"])
    if not rows.exists() and spec["record_make"]:
        getattr(importlib.import_module(spec["api"]), spec["record_make"])(user)
        user = type(user)._default_manager.get(pk=user.pk)
    if not _lms_has_account(spec, user):
        return False
    getattr(user, spec["record"]).update(**spec["synced"], **spec["sync_error"])
    return True


def _release_stale_lock(user, spec):
    """MITx Online's _create_edx_user_request takes a 120 s lock, then returns for an
    already-synced row before the try/finally that releases it (openedx/api.py:336-347, :408):
    any repair of a synced learner (api auth missing or expired, by the bootstrap or the app's own
    repair task) leaves it held, and a registration within 120 s gives up after 5 s (:340). Before
    a registration the bootstrap resets it through the app's own lock (main/utils.py:233
    get_redis_lock; python-redis-lock's Lock.reset). tests/engine/README.md."""
    import importlib

    lock = spec.get("lock")
    if lock:
        name = lock["prefix"] + str(getattr(user, lock["user_field"]))
        getattr(importlib.import_module(lock["module"]), lock["function"])(name).reset()


def _reconcile_learner(steps, spec, functions, label):
    user, created, changed = _ensure_app_user(steps, spec)
    if user is None:
        steps.add(label, "created")
        return
    if created:
        functions["create_user"](user)
    user, synced, auth, state = _learner_state(user, spec)
    if synced and state == "ok" and _me(spec, auth.access_token)[0] == 401:
        # Half-made on the LMS side (user or token gone there): rows first, then the repair.
        changed.append("open edx user gone from the LMS")
        if not steps.dry:
            _forget_sync(user, spec)
            user, synced, auth, state = _learner_state(user, spec)
    repairs = [] if synced else ["open edx user"]
    if not synced and spec["synced"] and not steps.dry and _record_what_the_lms_has(user, spec):
        user, synced, auth, state = _learner_state(user, spec)
    if state in ("empty", "expired"):
        # A token dance killed half-way leaves an empty row; an expired one is dead weight.
        # Both apps' repair only makes the api auth when the row is absent (hasattr check).
        repairs.append("api auth " + state)
        if not steps.dry:
            auth.delete()
    elif state == "missing":
        repairs.append("api auth missing")
    if repairs and not steps.dry:
        if not synced:
            _release_stale_lock(user, spec)
        # A fresh instance: the repair's hasattr(user, "openedx_api_auth") must not see a cached row.
        functions["repair_faulty_edx_user"](type(user)._default_manager.get(pk=user.pk))
    if (created or repairs) and not steps.dry:
        # The app's functions log and carry on (a 409, a lock not got): "created"/"updated" only
        # when the rows really are synced and authorized now.
        _, synced, _, state = _learner_state(user, spec)
        if not synced or state != "ok":
            record = getattr(user, spec["record"]).values(*(list(spec["sync_error"]) or ["pk"])).first()
            steps.fail(
                LEARNER_KEY,
                "{}: after {} the {} row is {} and the api auth {} ({})".format(
                    label,
                    "create_user" if created and not repairs else "repair_faulty_edx_user",
                    spec["record"],
                    "synced" if synced else "not synced",
                    state,
                    record if record is not None else "no row",
                ),
            )
            return
    if created:
        # The app's create_user may leave what an interrupted earlier run left on the LMS
        # half-made (e.g. 409 for a user registered there already): repaired above, still "created".
        steps.add(label, "created")
        return
    changed += repairs
    steps.add(label, "updated" if changed else "unchanged", changed)


def learner_facts(data, steps):
    """The runbook's step-7 facts, read with the learner's own credentials from here, so its
    token never leaves the app container (LMS endpoints: edx-platform user_api urls.py
    v1/me, third_party_auth/api/urls.py v0/users/<username>)."""
    spec = data["learner"]
    if LEARNER_KEY in steps.failures:
        return None
    user = _learner(spec)
    if user is None:
        return {"user": False}
    user, synced, auth, state = _learner_state(user, spec)
    uid = getattr(user, spec["userinfo_username"], None)
    facts = {
        "user": bool(user.is_active and password_matches(spec["password"], user.password)),
        "email": user.email,
        "synced": synced,
        "auth": state,
        "uid": uid,
    }
    if state in ("ok", "expired"):
        status, body, error = _me(spec, auth.access_token)
        facts["me"] = {
            "status": status,
            "username": (body or {}).get("username") if isinstance(body, dict) else None,
            "error": error,
        }
        if uid:
            status, body, error = _lms(
                "GET",
                "{}/api/third_party_auth/v0/users/{}".format(spec["lms_url"], uid),
                headers={"Authorization": "Bearer " + auth.access_token},
            )
            active = body.get("active") if isinstance(body, dict) else None
            facts["links"] = {"status": status, "active": active if isinstance(active, list) else [], "error": error}
    import time

    started = time.monotonic()
    facts["login"] = _login_through_lms(spec, user, steps, data["course"]["home_api_url"])
    steps.timings["login"] = round(time.monotonic() - started, 2)
    return facts


def _login_through_lms(spec, user, steps, course_home_api=None):
    """A fresh browser-like session: signed in to the app as the learner (the app's own
    create_user_session), it follows the LMS's /auth/login/<slug>/?auth_entry=login to the
    end; where it lands and who the LMS says it is. The app session is removed afterwards."""
    from urllib.parse import urlparse

    import requests
    from django.conf import settings

    functions, missing = _app_functions(spec)
    if missing:
        return {"error": missing + " missing"}
    before = _oauth_rows(user)
    session = functions["create_user_session"](user)
    try:
        with requests.Session() as browser:
            browser.cookies.set(
                settings.SESSION_COOKIE_NAME,
                session.session_key,
                domain=urlparse(settings.SITE_BASE_URL).hostname,
                path=settings.SESSION_COOKIE_PATH,
            )
            try:
                landed = _follow_to_dashboard(browser, spec)
                me = browser.get(spec["lms_url"] + "/api/user/v1/me", timeout=HTTP_TIMEOUT)
                # What the learning MFE's course home asks the LMS first, in the same (the learner's) session.
                home = (
                    browser.get(course_home_api, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"})
                    if course_home_api
                    else None
                )
            except requests.RequestException as exc:
                return {"error": "{}: {}".format(type(exc).__name__, " ".join(str(exc).split()))}
            try:
                username = me.json().get("username") if me.status_code == 200 else None
            except (ValueError, AttributeError):
                username = None
            return {
                "path": urlparse(landed.url).path.rstrip("/"),
                "status": landed.status_code,
                "username": username,
                "course_home": _course_home_facts(home),
            }
    finally:
        session.delete()
        _delete_new_oauth_rows(user, before)


def _course_home_facts(response):
    """The course home metadata's fields the checklist reads (CourseHomeMetadataSerializer)."""
    if response is None:
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    access = body.get("course_access") if isinstance(body.get("course_access"), dict) else {}
    return {
        "status": response.status_code,
        "course_id": body.get("course_id"),
        "username": body.get("username"),
        "is_enrolled": body.get("is_enrolled"),
        "has_access": access.get("has_access"),
        "error_code": access.get("error_code"),
    }


# The check's login is a real authorization-code grant: the LMS exchanges the code at the app's
# DOT (oauth2_provider/oauth2_validators.py save_bearer_token), which stores an access token and a
# refresh token (an ID token too under OIDC) for the learner. Deleting exactly the rows the check
# made keeps verify write-free and a re-run a no-op while the login stays real.
def _oauth_models():
    from oauth2_provider import models

    return [
        models.get_refresh_token_model(),
        models.get_access_token_model(),
        models.get_id_token_model(),
        models.get_grant_model(),
    ]


def _oauth_rows(user):
    return {model: set(model.objects.filter(user=user).values_list("pk", flat=True)) for model in _oauth_models()}


def _delete_new_oauth_rows(user, before):
    # Refresh tokens first: their access_token link is SET_NULL, not CASCADE (DOT models.py).
    for model, known in before.items():
        model.objects.filter(user=user).exclude(pk__in=known).delete()


def _follow_to_dashboard(browser, spec, hops=15):
    """Follow the login's redirects like a browser, stopping on the LMS's dashboard: past it
    an LMS may send the browser on to its learner-dashboard MFE, another host."""
    from urllib.parse import urljoin, urlparse

    url, lms_host = spec["lms_url"] + spec["login_path"], urlparse(spec["lms_url"]).netloc
    for _ in range(hops):
        response = browser.get(url, timeout=HTTP_TIMEOUT, allow_redirects=False)
        at = urlparse(response.url)
        if at.netloc == lms_host and at.path.rstrip("/") == spec["dashboard_path"]:
            return response
        if response.status_code not in (301, 302, 303, 307, 308):
            return response
        url = urljoin(response.url, response.headers["Location"])
    return response


def client_credentials_facts(data):
    """MITx Online's service-to-service grant, asked for exactly as the app asks (openedx/api.py
    get_edx_api_jwt_client: POST /oauth2/access_token), with the values the app read from its env."""
    from django.conf import settings

    spec = data["learner"].get("client_credentials")
    if not spec:
        return None
    values = [getattr(settings, name, None) for name in spec["settings"]]
    unset = [name for name, value in zip(spec["settings"], values, strict=True) if not value]
    if unset:
        return {"error": "settings {} unset in the app".format(", ".join(unset))}
    status, body, error = _lms(
        "POST",
        spec["token_url"],
        data={
            "grant_type": "client_credentials",
            "client_id": values[0],
            "client_secret": values[1],
            "token_type": "jwt",
        },
    )
    return {"status": status, "token": bool(isinstance(body, dict) and body.get("access_token")), "error": error}


# The course step: the app's own commands (plan `app.course`) and its enrollment function.
COURSE_KEY = "course"


def _command(argv):
    """One of the app's management commands in this process; (ok, its output). The apps'
    create_courseware/create_product exit(-1) on their own errors: a failure here, not an exit."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    try:
        call_command(*argv, stdout=out, stderr=out)
    except SystemExit as exc:
        return False, "{} exited {}: {}".format(argv[0], exc.code, " ".join(out.getvalue().split()))
    except Exception as exc:  # CommandError, or the app's own error
        return False, "{} failed: {}: {} {}".format(argv[0], type(exc).__name__, exc, " ".join(out.getvalue().split()))
    return True, out.getvalue()


def _course_models():
    from django.apps import apps

    return apps.get_model("courses", "CourseRun"), apps.get_model("courses", "CourseRunEnrollment")


def reconcile_course(steps, data):
    """The stack's course run in the app (made only when absent: the apps' commands are not
    idempotent), its product, synced from the LMS; then the learner enrolled by the app's own
    create_run_enrollments, which calls the LMS enrollment API. Timed for the engine tier."""
    import time

    started = time.monotonic()
    try:
        _reconcile_course(steps, data["course"], data["learner"])
    except Exception as exc:  # the app's code raised: a ✗, never a traceback
        steps.fail(COURSE_KEY, "course step failed: {}: {}".format(type(exc).__name__, " ".join(str(exc).split())))
    steps.timings[COURSE_KEY] = round(time.monotonic() - started, 2)


def _reconcile_course(steps, spec, learner):
    import importlib

    from django.utils.dateparse import parse_datetime

    CourseRun, Enrollment = _course_models()
    Course = CourseRun._meta.get_field("course").related_model
    label = "app course run {} ({})".format(
        spec["key"], ", then ".join(a[0] for a in (spec["create"], spec["product"], spec["sync"]) if a)
    )
    run = CourseRun.objects.filter(courseware_id=spec["key"]).first()
    changed, created = [], run is None
    if run is None:
        if steps.dry:
            steps.add(label, "created")
            return
        # A course whose run alone is gone (deleted in the admin) gets the run by the command's
        # run-only form where the app has one: its course form exits -1 for an existing course.
        course_exists = Course.objects.filter(readable_id=spec["course_id"]).exists()
        create = spec["create_run"] if course_exists else spec["create"]
        ok, said = _command(create)
        run = CourseRun.objects.filter(courseware_id=spec["key"]).first()
        if not ok or run is None:
            steps.fail(COURSE_KEY, said if not ok else "{} made no run {}".format(create[0], spec["key"]))
            return
    if spec["product"] and not run.products.exists():
        changed.append("product")
        if not steps.dry:
            ok, said = _command(spec["product"])
            if not ok:
                steps.fail(COURSE_KEY, said)
                return
    if not steps.dry:
        synced = spec["synced"]  # only fields this app's CourseRun has (profiles.AppFacts)
        before = {name: getattr(run, name) for name in synced}
        ok, said = _command(spec["sync"])
        run.refresh_from_db()
        drift = [name for name in synced if getattr(run, name) != before[name]]
        if not ok:
            steps.fail(COURSE_KEY, said)
            return
        if (
            run.title != spec["display_name"]
            or run.start_date != parse_datetime(spec["start"])
            or run.enrollment_end != parse_datetime(spec["enrollment_end"])
        ):
            # The apps' sync logs an LMS error (or, in xPro, a refused save) and carries on: say
            # what it printed.
            steps.fail(
                COURSE_KEY,
                "after {} the run has title {!r}, start {} and enrollment end {}, the LMS course {!r}, {} and {} ({})".format(
                    " ".join(spec["sync"]),
                    run.title,
                    run.start_date,
                    run.enrollment_end,
                    spec["display_name"],
                    spec["start"],
                    spec["enrollment_end"],
                    " ".join(said.split()),
                ),
            )
            return
        changed += ["synced from the LMS: " + name for name in drift]
    steps.add(label, "created" if created else ("updated" if changed else "unchanged"), [] if created else changed)

    user = _learner(learner)
    who = "app enrollment of {} in {} (by {}.{})".format(learner["username"], spec["key"], *spec["enroll"])
    if user is None:
        if not steps.dry:
            steps.fail(COURSE_KEY, "no app user {} to enroll".format(learner["username"]))
        return
    enrollment = Enrollment.all_objects.filter(user=user, run=run).first()
    on_lms = _lms_enrolled(learner, user, spec["key"])
    if enrollment is not None and enrollment.active and enrollment.edx_enrolled and on_lms:
        steps.add(who, "unchanged")
        return
    if not steps.dry:
        function = getattr(importlib.import_module(spec["enroll"][0]), spec["enroll"][1])
        _, edx_ok = function(user, [run])
        if not edx_ok:
            steps.fail(
                COURSE_KEY,
                "{}.{} could not enroll {} in Open edX (see the app's log)".format(
                    spec["enroll"][0], spec["enroll"][1], learner["username"]
                ),
            )
            return
        # xPro's create_run_enrollments sets edx_enrolled on an existing row only when that row
        # was inactive (mitxpro courses/api.py:143-145): after it enrolled an ACTIVE row's learner
        # in Open edX (edx_ok), the row still says not enrolled. Record what the app's own call
        # did, as the app does for a new row, so a re-run converges.
        Enrollment.all_objects.filter(user=user, run=run, active=True, edx_enrolled=False).update(edx_enrolled=True)
    steps.add(
        who,
        "created" if enrollment is None else "updated",
        [] if enrollment is None else ["active, enrolled in Open edX" if on_lms else "missing on the LMS"],
    )


def _lms_enrolled(learner, user, key):
    """Whether the LMS has the learner's active enrollment (edx-platform enrollments/views.py
    CourseEnrollmentsApiListView, read with the service-worker token): an LMS that lost it gets
    it back from the app's own function even when the app's row looks done."""
    name = getattr(user, learner["userinfo_username"], None)
    status, body, _ = _lms(
        "GET",
        learner["lms_url"] + "/api/enrollment/v1/enrollments/",
        params={"course_id": key, "username": name or ""},
        headers={"Authorization": "Bearer " + learner["service_worker_token"]},
    )
    results = body.get("results") if status == 200 and isinstance(body, dict) else None
    return any(isinstance(r, dict) and r.get("user") == name and r.get("is_active") for r in results or [])


def course_facts(data, steps):
    """The run and the learner's enrollment as the app has them (read back; no secrets)."""
    spec = data["course"]
    CourseRun, Enrollment = _course_models()
    run = CourseRun.objects.filter(courseware_id=spec["key"]).first()
    if run is None:
        return {"run": None}
    facts = {
        "run": {
            "courseware_id": run.courseware_id,
            "title": run.title,
            "live": run.live,
            "start": run.start_date.isoformat() if run.start_date else None,
            "courseware_url": run.courseware_url,
            "products": run.products.count(),
        }
    }
    user = _learner(data["learner"])
    enrollment = Enrollment.all_objects.filter(user=user, run=run).first() if user else None
    # Only fields this app's enrollment has (xPro's has no enrollment_mode; profiles.AppFacts).
    facts["enrollment"] = None if enrollment is None else {name: getattr(enrollment, name) for name in spec["enrollment_fields"]}
    facts["seconds"] = steps.timings.get(COURSE_KEY)
    return facts


# The app's own mail functions (both apps' mail/api.py: build_messages renders a template of
# mail/templates/ and opens settings.NOTIFICATION_EMAIL_BACKEND, send_messages sends), with the
# password_reset template and the context djoser's PasswordResetEmail gives it (djoser/email.py
# get_context_data: uid = djoser.utils.encode_uid(pk), token = default_token_generator, url =
# PASSWORD_RESET_CONFIRM_URL), as xPro's /api/password_reset/ sends it (mitol-authentication
# views/djoser_views.py CustomPasswordResetEmail: the same backend). MITx Online resets passwords in
# Keycloak but keeps the template and functions. Nothing is written: the token is stateless.
APP_MAIL = ("mail.api", "build_messages", "send_messages", "password_reset")


def reset_mail(data):
    """The test learner's password-reset mail (the learner exists once the after-steps ran)."""
    spec = data.get("mail")
    if not spec:
        return None

    def send(email):
        import importlib

        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.contrib.auth.tokens import default_token_generator
        from django.utils.encoding import force_bytes
        from django.utils.http import urlsafe_base64_encode

        api = importlib.import_module(APP_MAIL[0])
        user = get_user_model()._default_manager.filter(email__iexact=email).order_by("pk").first()
        if user is None:
            raise LookupError("no app user with the email " + email)
        uid, token = urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)
        context = {"uid": uid, "token": token, "url": settings.PASSWORD_RESET_CONFIRM_URL.format(uid=uid, token=token)}
        getattr(api, APP_MAIL[2])(list(getattr(api, APP_MAIL[1])(APP_MAIL[3], [email], context)))

    return send_probe_mail(spec, send)


def after_reconcile(steps, data):
    """After the one transaction: the learner, then the course run and enrollment."""
    import time

    started = time.monotonic()
    reconcile_learner(steps, data)
    steps.timings[LEARNER_KEY] = round(time.monotonic() - started, 2)
    reconcile_course(steps, data)


def facts(data, steps):
    """What the checklist needs, read back from the database (no secret values)."""
    from django.contrib.auth import get_user_model
    from oauth2_provider.models import get_application_model

    User = get_user_model()
    spec = data["oauth_app"]
    app = get_application_model().objects.filter(name=spec["name"]).order_by("pk").first()
    superuser = User._default_manager.filter(**{User.USERNAME_FIELD: data["superuser"]["username"]}).first()
    return {
        "superuser": superuser_ok(superuser),
        "oauth_app": oauth_app_facts(
            app, lambda a: _secret_matches(a.client_secret, spec["client_secret"]), extra=("algorithm",)
        ),
        "learner": learner_facts(data, steps),
        "client_credentials": client_credentials_facts(data),
        "course": course_facts(data, steps),
        "mail": reset_mail(data),
    }


def reconcile(steps, data):
    reconcile_superuser(steps, data["superuser"])
    reconcile_oauth_app(steps, data["oauth_app"])


if __name__ == "__main__":
    run_side("app", reconcile, facts, after=after_reconcile)
