"""STAND-IN of xPro's validate_courserun_dates (mitodl/mitxpro@92a8dcb mitxpro/utils.py:645-696,
messages :25-35), the rule xPro's CourseRun.clean() applies on every save. Its own module (not
courses/utils.py) because courses.models imports it."""

from django.utils import timezone

ERROR_START_OR_ENROLLMENT_END_REQUIRED = "start_date or enrollment_end must be provided."
ERROR_START_OR_ENROLLMENT_END_FUTURE = "start_date or enrollment_end must be in the future."
ERROR_END_AFTER_START = "end_date must be later than start_date."
ERROR_ENROLLMENT_ORDER = "enrollment_end must be later than enrollment_start."
ERROR_END_IN_FUTURE = "end_date must be in the future."
ERROR_EXPIRATION_AFTER_START = "expiration_date must be later than start_date."
ERROR_EXPIRATION_AFTER_END = "expiration_date must be later than end_date."


def validate_courserun_dates(start_date, end_date, enrollment_end, enrollment_start=None, expiration_date=None):
    """(valid, error message or None), in upstream's order of checks."""
    now = timezone.now()
    error_msg = None
    if not (start_date or enrollment_end):
        error_msg = ERROR_START_OR_ENROLLMENT_END_REQUIRED
    elif (not start_date or start_date < now) and (not enrollment_end or enrollment_end < now):
        error_msg = ERROR_START_OR_ENROLLMENT_END_FUTURE
    elif start_date and end_date and start_date > end_date:
        error_msg = ERROR_END_AFTER_START
    elif enrollment_start and enrollment_end and enrollment_start > enrollment_end:
        error_msg = ERROR_ENROLLMENT_ORDER
    elif end_date and end_date < now:
        error_msg = ERROR_END_IN_FUTURE
    elif expiration_date:
        if start_date and expiration_date < start_date:
            error_msg = ERROR_EXPIRATION_AFTER_START
        elif end_date and expiration_date < end_date:
            error_msg = ERROR_EXPIRATION_AFTER_END
    return not bool(error_msg), error_msg
