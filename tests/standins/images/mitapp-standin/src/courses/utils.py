"""xPro keeps sync_course_runs in courses/utils.py:257 (MITx Online in courses/api.py)."""

from courses.api import sync_course_runs  # noqa: F401
