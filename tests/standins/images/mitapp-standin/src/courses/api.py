"""STAND-IN of the apps' course functions the stack's course step calls, same names and
signatures, same Open edX calls (through the real edx-api-client the apps pin, 1.14.0):

- create_run_enrollments(user, runs, ...)  mitxonline courses/api.py:176, mitxpro courses/api.py:90:
  the app's enroll_in_edx_course_runs first; on its failure MITx Online returns ([], False) and
  xPro raises EdxEnrollmentCreateError (unless keep_failed_enrollments); then the local
  CourseRunEnrollment (get_or_create; an inactive one reactivated; xPro sets edx_enrolled on an
  existing row only when it was inactive, MITx Online on every existing row). Left out: e-mails, B2B
  contracts, orders/companies, mode upgrades/downgrades.
- sync_course_runs(runs)  mitxonline courses/api.py:719 (returns (updated, failed)), mitxpro
  courses/utils.py:257 (returns (updated, failed, unchanged)): the LMS course list API with the
  service-worker token (course_keys, username=OPENEDX_SERVICE_WORKER_USERNAME); a run is saved only
  when a synced field differs (title, start/end, enrollment start/end, MITx Online also
  is_self_paced and certificate_available_date)."""

import logging

from django.conf import settings
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import HTTPError

from courses.models import CourseRunEnrollment

log = logging.getLogger(__name__)
EDX_DEFAULT_ENROLLMENT_MODE = "audit"  # mitxonline openedx/constants.py:9-10


class EdxEnrollmentCreateError(Exception):
    """xPro courses/exceptions.py."""


def _app_api():
    """The app's Open edX module: MITx Online `openedx.api`, xPro `courseware.api`."""
    if settings.STANDIN_APP == "xpro":
        from courseware import api
    else:
        from openedx import api
    return api


def create_run_enrollments(user, runs, *, keep_failed_enrollments=None, mode=EDX_DEFAULT_ENROLLMENT_MODE, **_ignored):
    xpro = settings.STANDIN_APP == "xpro"
    if keep_failed_enrollments is None:
        keep_failed_enrollments = False if xpro else settings.FEATURES.get("IGNORE_EDX_FAILURES", False)
    api = _app_api()
    try:
        if xpro:
            api.enroll_in_edx_course_runs(user, runs)
        else:
            api.enroll_in_edx_course_runs(user, runs, mode=mode)
    except (
        api.EdxApiEnrollErrorException,
        api.UnknownEdxApiEnrollException,
        api.NoEdxApiAuthError,
        api.OpenEdxUserMissingError,
        HTTPError,
        RequestsConnectionError,
    ) as exc:
        message = f"edX enrollment failure for user: {user}, runs: {[run.courseware_id for run in runs]}"
        log.exception(message)
        edx_request_success = False
        if not keep_failed_enrollments:
            if xpro:
                raise EdxEnrollmentCreateError(message) from exc
            return [], edx_request_success
    else:
        edx_request_success = True
    enrollments = []
    # MITx Online's rows carry the mode (courses/models.py:1994); xPro's have none.
    defaults = {"edx_enrolled": edx_request_success, **({} if xpro else {"enrollment_mode": mode})}
    for run in runs:
        enrollment, created = CourseRunEnrollment.all_objects.get_or_create(user=user, run=run, defaults=defaults)
        if created:
            pass
        elif xpro:
            # mitxpro courses/api.py:143-145: only an INACTIVE row gets edx_enrolled and is
            # reactivated; an active one is left as it is, whatever the LMS said.
            if not enrollment.active:
                enrollment.edx_enrolled = edx_request_success
                enrollment.reactivate_and_save()
        else:
            enrollment.edx_enrolled = edx_request_success
            if enrollment.active:
                enrollment.save()
            else:
                enrollment.reactivate_and_save()
        enrollments.append(enrollment)
    return enrollments, edx_request_success


SYNCED_FIELDS = {
    "name": "title",
    "start": "start_date",
    "end": "end_date",
    "enrollment_start": "enrollment_start",
    "enrollment_end": "enrollment_end",
}


def sync_course_runs(runs):
    client = _app_api().get_edx_api_course_list_client()
    runs_by_id = {run.courseware_id: run for run in runs}
    success = failure = unchanged = 0
    try:
        for detail in client.get_courses(course_keys=list(runs_by_id), username=settings.OPENEDX_SERVICE_WORKER_USERNAME):
            run = runs_by_id.get(detail.course_id)
            if run is None:
                continue
            values = {field: getattr(detail, name) for name, field in SYNCED_FIELDS.items()}
            if settings.STANDIN_APP != "xpro":
                values["is_self_paced"] = detail.is_self_paced()
                values["certificate_available_date"] = detail.certificate_available_date or detail.end
            if all(getattr(run, field) == value for field, value in values.items()):
                unchanged += 1
                continue
            if run.start_date != values["start_date"] or run.end_date != values["end_date"]:
                run.expiration_date = None
            for field, value in values.items():
                setattr(run, field, value)
            run.save()
            success += 1
    except Exception as exc:
        log.error("Bulk course list API error: %s", exc)
        failure += 1
    if settings.STANDIN_APP == "xpro":
        return success, failure, unchanged
    return success, failure


def runs_to_sync(courseware_id):
    """Both apps' sync commands: the run named by --run (CommandError when unknown), else every live run."""
    from django.core.management.base import CommandError

    from courses.models import CourseRun

    if not courseware_id:
        return list(CourseRun.objects.filter(live=True))
    try:
        return [CourseRun.objects.get(courseware_id=courseware_id)]
    except CourseRun.DoesNotExist:
        raise CommandError(f"Could not find run with courseware_id={courseware_id}") from None
