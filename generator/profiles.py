"""Facts about the two MIT apps and the two runbook eras, as data.

Everything that differs between xPro and MITx Online, or between the Tutor
era and the devstack era, is a value here; code and templates read it and never
branch on an app's or an era's name (tests/test_profiles_as_data.py holds them
to it). A new difference is a new field, set for each app or era below.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Frontend:
    """A dev server of the app's own compose file that builds its JS from the checkout (webpack's
    watcher, MITx Online's refine): run from the checkout's own script in a pinned node image."""

    service: str  # the app compose's service name (also its name inside the stack network)
    image: str  # logical name in versions.yml
    port: int  # published on 127.0.0.1 and listened on inside, as the app's compose does
    command: tuple[str, ...]
    # (name, value); a value is a Jinja template rendered with the stack's context, as extra_env.
    environment: tuple[tuple[str, str], ...] = ()
    health_path: str | None = None  # polled with curl, as the app's compose does
    after: str | None = None  # a frontend that must be healthy first (the app's depends_on)


@dataclass(frozen=True)
class DevFacts:
    """How the app's own compose file runs it in development (--app-src)."""

    repository: str  # on GitHub, named in the errors about a checkout
    target: str  # the Dockerfile's development target
    # Files whose presence says "a checkout of this app": the Django project's manage.py and the
    # package the app's WSGI module lives in.
    markers: tuple[str, ...]
    # Extra granian flags of the app's dev server; when empty the stack's watcher restarts it.
    web_reload: tuple[str, ...] = ()
    # Environment the app's compose gives the services that run app code in development.
    environment: tuple[tuple[str, str], ...] = ()
    frontends: tuple[Frontend, ...] = ()
    mount: str = "/src"  # where the app's compose bind-mounts the checkout (`.:/src`)
    # Changing one of these needs a rebuild of the image (Python) or a restart of a frontend (JS).
    python_dependency_files: tuple[str, ...] = ("pyproject.toml", "uv.lock")
    js_dependency_files: tuple[str, ...] = ("package.json", "yarn.lock")


@dataclass(frozen=True)
class AppFacts:
    name: str
    title: str
    hostname: str
    port: int  # nginx: published on the host and listened on inside
    web_port: int  # granian inside the web container
    mail_port: int  # the stack's Mailpit (web UI and API): published on the host and listened on inside
    image: str  # logical name in versions.yml
    wsgi: str
    celery_app: str
    celery_queues: str | None
    env_prefix: str  # MITXPRO / MITX_ONLINE
    base_url_var: str
    init_commands: tuple[tuple[str, ...], ...]
    # Provider other_settings keys under ol-oauth2: xPro uses explicit endpoints, MITx Online discovery.
    provider_style: str
    health_path: str
    # The app's logout view, the URL the LMS's logout page frames (IDA_LOGOUT_URI_LIST).
    logout_path: str
    # uid the published image runs as: `USER mitodl`, made by mitodl/ol-python-base's
    # `adduser mitodl` as the image's first user (ol-infrastructure
    # dockerfiles/ol-python-base/Dockerfile:46). The stack's mounts are given to it.
    image_uid: int
    # The stack network's default /24, apart for each app so an xPro and a MITx Online stack run
    # side by side; `apisix_subnet` is that of its stack behind APISIX + Keycloak, None where the
    # app has no such stack (MIT runs the gateway in front of MITx Online only).
    subnet: str
    apisix_subnet: str | None = None
    # Steps the app's own dev start script runs but carries on past when they fail: they must not
    # keep the app from starting; the bootstrap reports a failure as a ⚠ line.
    optional_init_commands: tuple[tuple[str, ...], ...] = ()
    # The test learner, made by the app's own code. Upstream names:
    # the module holding create_user / repair_faulty_edx_user, the related name of the
    # user's synced Open edX rows, the filter that makes such a row count as synced, and
    # the User attribute the app's /api/users/me returns as `username` (the social uid).
    learner_api: str = ""
    learner_record: str = ""
    learner_synced: tuple[tuple[str, bool], ...] = ()
    userinfo_username: str = "username"
    # Where the app has them (else empty): the function of `learner_api` that makes the user's
    # Open edX row when it is gone, the row's error fields the app's failed registration sets
    # (cleared when the LMS has the account after all), and the app's registration lock as
    # (module, function, lock-name prefix, User attribute the name ends with).
    learner_record_make: str = ""
    learner_sync_error: tuple[tuple[str, bool | None], ...] = ()
    learner_lock: tuple[str, str, str, str] | tuple[()] = ()
    # MITx Online asks the LMS for client_credentials tokens (OPENEDX_COURSES_SERVICE_WORKER_*).
    courses_service_worker: bool = False
    # The stack's course run in the app, made by the app's own commands: argv of
    # `./manage.py <command>` with {key} {course_id} {run} {title} filled from the
    # course's facts; the run is made only when absent (the commands are not idempotent).
    course_create: tuple[str, ...] = ()
    # The same run made when the app's course exists already (empty: `course_create` again).
    course_create_run: tuple[str, ...] = ()
    course_product: tuple[str, ...] = ()
    course_sync: tuple[str, ...] = ()
    # The run's fields the app's sync writes from the LMS (what the bootstrap compares before and
    # after it), and the enrollment's fields the checklist reports: only fields the app's models have.
    course_synced: tuple[str, ...] = ("title", "start_date", "end_date", "enrollment_start", "enrollment_end")
    enrollment_fields: tuple[str, ...] = ("active", "edx_enrolled")
    # app.env variables only this app reads, as (name, value). A value is a Jinja template
    # rendered with the stack's template context (context.template_context), as Tutor renders
    # its config values with its config (tutor/env.py:394 render_unknown). `extra_env` follows
    # the app settings every app reads; `extra_openedx_env` the Open edX ones, after the comment
    # lines of `extra_openedx_env_note`.
    extra_env: tuple[tuple[str, str], ...] = ()
    extra_openedx_env: tuple[tuple[str, str], ...] = ()
    extra_openedx_env_note: str = ""
    # Secrets only this app needs, as (name in secrets.json, kind in secrets_store.KINDS).
    extra_secrets: tuple[tuple[str, str], ...] = ()
    dev: DevFacts | None = None


@dataclass(frozen=True)
class EraFacts:
    """What the runbook era decides on the Open edX side."""

    name: str
    lms_hostname: str
    lms_port: int
    backend_class: str
    backend_name: str  # also the provider slug and the social login path segment
    pip_package: str  # logical name in versions.yml python-packages
    service_worker: str
    superuser: str
    superuser_email: str
    # The era's backend may read only one style of provider settings; None: the app's style.
    provider_style: str | None = None
    # A default stack of this era: its name ends with `name_suffix`, and its network is the
    # `subnet_offset`-th /24 after the app's, so the two eras' defaults run side by side.
    name_suffix: str = ""
    subnet_offset: int = 0


APPS: dict[str, AppFacts] = {
    "xpro": AppFacts(
        name="xpro",
        title="MIT xPro",
        hostname="xpro.odl.local",
        port=8053,
        web_port=8051,
        mail_port=8055,
        image="xpro-app",
        wsgi="mitxpro.wsgi:application",
        celery_app="mitxpro.celery:app",
        celery_queues=None,
        env_prefix="MITXPRO",
        base_url_var="MITXPRO_BASE_URL",
        init_commands=(
            ("./manage.py", "collectstatic", "--noinput"),
            ("./manage.py", "migrate", "--noinput"),
            ("./manage.py", "createcachetable"),
        ),
        provider_style="endpoints",
        health_path="/health/liveness/",
        # mitodl/mitxpro authentication/urls.py:39 `path("logout/", CustomLogoutView...)`.
        logout_path="/logout/",
        image_uid=1000,  # mitodl/mitxpro Dockerfile:26 `USER mitodl`
        subnet="172.28.53.0/24",
        # mitodl/mitxpro courseware/api.py:94 create_user, :371 repair_faulty_edx_user;
        # courseware/models.py CoursewareUser (related_name courseware_users).
        learner_api="courseware.api",
        learner_record="courseware_users",
        # xPro has no create_courseware: its configure_instance seeds courses with seed_data
        # (localdev/seed/management/commands/seed_data.py; the demo run is seed_data.json:33-53,
        # its product included), then sync_courseruns (courses/management/commands/sync_courseruns.py).
        course_create=("seed_data",),
        course_sync=("sync_courseruns", "--run", "{key}"),
        # courses/utils.py:257 sync_course_runs' field_mapping; CourseRun (courses/models.py:669)
        # has no is_self_paced, CourseRunEnrollment (:877) no enrollment_mode: the defaults.
        # mitxpro/settings.py: EXTERNAL_COURSE_SYNC_API_KEY is required=True (the Emeritus sync's
        # key), so the stack makes one.
        extra_env=(("EXTERNAL_COURSE_SYNC_API_KEY", "{{ secrets.external_course_sync_api_key }}"),),
        extra_secrets=(("external_course_sync_api_key", "token"),),
        dev=DevFacts(
            repository="mitodl/mitxpro",
            # mitodl/mitxpro docker-compose.yml:50 `target: dev` (Dockerfile:61 `FROM deps AS dev`).
            target="dev",
            markers=("manage.py", "mitxpro/wsgi.py"),
            # docker-compose.yml:56 runs granian without --reload, and the dev target cannot reload:
            # uv.lock has no watchfiles (granian[reload]). The stack's watcher restarts granian.
            web_reload=(),
            # docker-compose.override.yml:6-9 and :15-18 (web and celery).
            environment=(("NODE_ENV", "development"), ("WEBPACK_USE_DEV_SERVER", "True"), ("WEBPACK_DEV_SERVER_PORT", "8052")),
            frontends=(
                # docker-compose.yml:70-82 + docker-compose.override.yml:25-30; webpack_dev_server.sh:4-11.
                Frontend(
                    service="watch",
                    image="node-xpro",
                    port=8052,
                    command=("/bin/bash", "-c", "./webpack_dev_server.sh --install"),
                    environment=(("PUBLIC_PATH", "{{ urls.app }}/"), ("NODE_ENV", "development"), ("CONTAINER_NAME", "watch")),
                ),
            ),
        ),
    ),
    "mitxonline": AppFacts(
        name="mitxonline",
        title="MITx Online",
        hostname="mitxonline.odl.local",
        port=8013,
        web_port=8011,
        mail_port=8015,
        image="mitxonline-app",
        wsgi="main.wsgi:application",
        celery_app="main.celery:app",
        celery_queues="hubspot_sync,celery",
        env_prefix="MITX_ONLINE",
        base_url_var="MITX_ONLINE_BASE_URL",
        init_commands=(
            ("./manage.py", "collectstatic", "--noinput", "--clear"),
            ("./manage.py", "migrate", "--noinput"),
            ("./manage.py", "createcachetable"),
        ),
        provider_style="discovery",
        health_path="/health/liveness/",
        # mitodl/mitxonline authentication/api_gateway/urls.py:28 `r"^logout\/?$"`.
        logout_path="/logout",
        image_uid=1000,  # mitodl/mitxonline Dockerfile:37 `USER mitodl`
        subnet="172.28.13.0/24",
        apisix_subnet="172.28.90.0/24",
        # mitodl/mitxonline scripts/run-django-dev.sh:8 runs it without `set -e`.
        optional_init_commands=(("./manage.py", "configure_wagtail"),),
        # mitodl/mitxonline openedx/api.py:82 create_user, :727 repair_faulty_edx_user;
        # openedx/models.py:14-31 OpenEdxUser (related_name openedx_users, has_been_synced);
        # users/models.py:347 User.edx_username (what /api/users/me returns as username).
        learner_api="openedx.api",
        learner_record="openedx_users",
        learner_synced=(("has_been_synced", True),),
        userinfo_username="edx_username",
        # openedx/api.py:474 reconcile_edx_username (get_or_create of the OpenEdxUser, the app's
        # username rule); :297 _set_edx_error; :336-337 the 120 s lock of _create_edx_user_request,
        # taken through main/utils.py:233 get_redis_lock.
        learner_record_make="reconcile_edx_username",
        learner_sync_error=(("has_sync_error", False), ("sync_error_data", None)),
        learner_lock=("main.utils", "get_redis_lock", "openedx-create-user-lock.", "global_id"),
        # main/settings.py:1314-1323, openedx/api.py:1104-1126.
        courses_service_worker=True,
        # As configure_instance.py:234-277 makes the demo run: create_courseware (courses/
        # management/commands/create_courseware.py; configure_instance's run_url= is not one of
        # its options), sync_courserun, create_product <run> 999.
        # No dates given, as configure_instance gives none: they come from the LMS by the sync.
        course_create=(
            "create_courseware",
            "course",
            "{course_id}",
            "{title}",
            "--live",
            "--self-paced",
            "--create-run",
            "{run}",
        ),
        # The run alone, for a course that exists (create_courseware.py:477-497 _handle_courserun;
        # the `course` type exits -1 for an existing course, :100-106).
        course_create_run=(
            "create_courseware",
            "courserun",
            "{course_id}",
            "{title}",
            "--live",
            "--self-paced",
            "--create-run",
            "{run}",
        ),
        course_product=("create_product", "{key}", "999"),
        course_sync=("sync_courserun", "--run", "{key}"),
        # courses/api.py:719 sync_course_runs also writes is_self_paced (CourseRun :1408); its
        # enrollments carry a mode (EnrollmentModel.enrollment_mode, courses/models.py:1994).
        course_synced=("title", "start_date", "end_date", "enrollment_start", "enrollment_end", "is_self_paced"),
        enrollment_fields=("active", "edx_enrolled", "enrollment_mode"),
        # main/settings.py:549-553: mitol.mail's own backend (default anymail's Mailgun); xPro's
        # settings read no such variable. To the stack's Mailpit like the app's other mail.
        extra_env=(("MITOL_MAIL_CONNECTION_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),),
        extra_openedx_env_note=(
            "MITx Online only (main/settings.py:1241-1256; xPro reads neither). Studio by its one public\n"
            "name; course links are <base>/learn/course/<id>/home (courses/utils.py:301-324,\n"
            "courses/api.py:1601-1622), which the MFE host sends on to Tutor's learning MFE at /learning."
        ),
        extra_openedx_env=(
            ("OPENEDX_STUDIO_API_BASE_URL", "{{ urls.studio }}"),
            ("OPENEDX_COURSE_BASE_URL", "{{ urls.mfe }}/learn/course/"),
            ("MITXONLINE_DOCKER_BASE_URL", "{{ urls.app }}"),
            ("MITXONLINE_NEW_USER_LOGIN_URL", "{{ urls.app }}/create-profile"),
        ),
        dev=DevFacts(
            repository="mitodl/mitxonline",
            # mitodl/mitxonline docker-compose.yml:70 and :122 `target: development` (Dockerfile:92).
            target="development",
            markers=("manage.py", "main/wsgi.py"),
            # scripts/run-django-dev.sh:27 `granian ... --reload` (the dev group has granian[reload]).
            web_reload=("--reload",),
            environment=(("NODE_ENV", "development"),),  # docker-compose.yml:4 (py-environment)
            frontends=(
                # docker-compose.yml:95-116; scripts/run-watch-dev.sh (webpack dev server on 8012).
                Frontend(
                    service="watch",
                    image="node-mitxonline",
                    port=8012,
                    command=("/bin/bash", "./scripts/run-watch-dev.sh"),
                    environment=(
                        ("PUBLIC_PATH", "http://{{ app.hostname }}:8012/"),
                        ("NODE_ENV", "development"),
                        ("CONTAINER_NAME", "watch"),
                        ("PORT", "8012"),
                    ),
                    health_path="/health",
                ),
                # docker-compose.yml:137-159; scripts/run-refine-dev.sh (the staff dashboard on 8016).
                Frontend(
                    service="refine",
                    image="node-mitxonline",
                    port=8016,
                    command=("/bin/bash", "./scripts/run-refine-dev.sh"),
                    environment=(
                        ("PUBLIC_PATH", "http://{{ app.hostname }}:8016/"),
                        ("PORT", "8016"),
                        ("NODE_ENV", "development"),
                    ),
                    health_path="/health",
                    after="watch",  # :150-153 "they step on each other if they start at the same time"
                ),
            ),
        ),
    ),
}

ERAS: dict[str, EraFacts] = {
    # The Tutor runbook (mitodl/handbook openedx/MITx-edx-integration-tutor.md), except the LMS's
    # name: not Tutor's default local.openedx.io but MIT's current dev name (mitodl/mitxonline docker-compose.yml:25-27 extra_hosts
    # openedx.odl.local, studio.openedx.odl.local, apps.openedx.odl.local; :223
    # OPENEDX_API_BASE_URL http://openedx.odl.local:8000; AGENTS.md:293 the /etc/hosts line).
    # Under odl.local the LMS is the same *site* as the apps and Keycloak, as *.mit.edu is in
    # production, so the LMS logout page's iframes reach the apps with their SameSite=Lax cookies.
    "tutor": EraFacts(
        name="tutor",
        lms_hostname="openedx.odl.local",
        lms_port=8000,
        backend_class="ol_social_auth.backends.OLOAuth2",
        backend_name="ol-oauth2",
        pip_package="ol-social-auth",
        service_worker="mitserviceworker",
        superuser="edx",
        superuser_email="edx@example.org",
    ),
    # The devstack runbook (mitodl/handbook openedx/MITx-edx-integration-devstack.md).
    "devstack": EraFacts(
        name="devstack",
        lms_hostname="edx.odl.local",
        lms_port=18000,
        backend_class="social_auth_mitxpro.backends.MITxProOAuth2",
        backend_name="mitxpro-oauth2",
        pip_package="social-auth-mitxpro",
        service_worker="mit_application_serviceworker",
        superuser="edx",
        superuser_email="edx@example.org",
        # social_auth_mitxpro.backends.MITxProOAuth2 reads AUTHORIZATION_URL, ACCESS_TOKEN_URL
        # and API_ROOT only (no discovery), for either app.
        provider_style="endpoints",
        name_suffix="-devstack",
        subnet_offset=1,
    ),
}

# app-init prints this before an optional step that failed; the bootstrap looks for it in that log.
OPTIONAL_STEP_FAILED = "odl-stack: optional step failed:"

APISIX_PORT = 9080
KEYCLOAK_HOSTNAME = "kc.odl.local"
KEYCLOAK_PORT = 7080
KEYCLOAK_REALM = "ol-local"
