"""The stack's own course: a small OLX course the CMS imports offline at `up`.

The apps' own seeding (`configure_instance`: mitodl/mitxonline
main/management/commands/configure_instance.py) expects
`course-v1:edX+DemoX+Demo_Course` in Open edX, so the stack's course has that key;
Tutor's `importdemocourse` (which clones the full demo course from GitHub) stays
available for a person who wants it. One chapter, one sequential, one problem;
self-paced, started in the past, so a learner can enroll and open it at once.
"""

from __future__ import annotations

from typing import Any

from generator import templates
from generator.profiles import AppFacts

ORG, NUMBER, RUN = "edX", "DemoX", "Demo_Course"
KEY = f"course-v1:{ORG}+{NUMBER}+{RUN}"
DISPLAY_NAME = "odl-stack Demo Course"
# Fixed, so the same answers render the same files. Started in the past (a learner opens it at
# once), with no end, and an enrollment end far ahead: xPro's CourseRun.save() refuses a run whose
# start_date and enrollment_end are both past or missing (mitxpro mitxpro/utils.py:676-679
# validate_courserun_dates, via courses/models.py:789-823), so its sync from the LMS could never
# save a past-started run without it; MITx Online's clean() (courses/models.py:1639) checks only
# expiration_date. One set of dates therefore suits both apps.
START = "2020-01-01T00:00:00Z"
ENROLLMENT_END = "2099-12-31T00:00:00Z"

STACK_DIR = "course"  # in the stack; mounted read-only into the import one-shot
MOUNT = "/openedx/odl-course"
SOURCE_DIR = "olx"  # the course root under MOUNT (edx-platform's `import <data_dir> <source_dir>`)
IMPORT_SCRIPT = "import_course.py"
SERVICE = "openedx-course-import"
# Tutor's full demo course, cloned from GitHub: on demand only (`docker compose run --rm <it>`).
DEMO_SERVICE = "openedx-demo-course"
DEMO_PROFILE = "demo-course"

# OLX files: template name under templates/course/olx/ -> path under the course root.
OLX_FILES = {
    "course.xml.j2": "course.xml",
    "course-run.xml.j2": f"course/{RUN}.xml",
    "policy.json.j2": f"policies/{RUN}/policy.json",
    "grading_policy.json.j2": f"policies/{RUN}/grading_policy.json",
    "chapter.xml.j2": "chapter/odl_chapter.xml",
    "sequential.xml.j2": "sequential/odl_sequential.xml",
    "vertical.xml.j2": "vertical/odl_vertical.xml",
    "problem.xml.j2": "problem/odl_problem.xml",
}


def facts(lms_url: str) -> dict[str, Any]:
    """What the import one-shot and the bootstrap's checklist read (plan.json `course`)."""
    return {
        "key": KEY,
        "org": ORG,
        "number": NUMBER,
        "run": RUN,
        "display_name": DISPLAY_NAME,
        "start": START,
        "enrollment_end": ENROLLMENT_END,
        "self_paced": True,
        "import_service": SERVICE,
        # edx-platform lms/djangoapps/course_api/urls.py: CourseDetailView at courses/v1/courses/<course_key>/
        "api_url": f"{lms_url}/api/courses/v1/courses/{KEY}/",
        "lms_url": f"{lms_url}/courses/{KEY}/",
    }


def app_contract(course: dict[str, Any], app: AppFacts) -> dict[str, Any]:
    """What the bootstrap's app side needs to make the same run in the MIT app and enroll the
    learner, all through the app's own commands and functions (plan.json `app.course`)."""
    values = {
        "key": course["key"],
        "course_id": f"course-v1:{course['org']}+{course['number']}",
        "run": course["run"],
        "title": course["display_name"],
    }

    def argv(template: tuple[str, ...]) -> list[str]:
        return [part.format(**values) for part in template]

    return {
        "key": course["key"],
        "display_name": course["display_name"],
        "start": course["start"],
        "enrollment_end": course["enrollment_end"],
        "synced": list(app.course_synced),
        "enrollment_fields": list(app.enrollment_fields),
        "course_id": values["course_id"],
        "create": argv(app.course_create),
        "create_run": argv(app.course_create_run or app.course_create),
        "product": argv(app.course_product),
        "sync": argv(app.course_sync),
        # Both apps: courses/api.py create_run_enrollments, which calls the app's own
        # enroll_in_edx_course_runs (mitxonline openedx/api.py:1239, mitxpro courseware/api.py:623).
        "enroll": ["courses.api", "create_run_enrollments"],
        "page_url": course["lms_url"],
    }


def files(context: dict[str, Any]) -> dict[str, str]:
    """Every file of the stack's course/ directory: path under it -> text. The OLX reads only
    `course` (plan.json `course`) of the template context."""
    out = {f"{SOURCE_DIR}/{target}": templates.render(f"course/olx/{name}", context) for name, target in OLX_FILES.items()}
    out[IMPORT_SCRIPT] = templates.render(f"course/{IMPORT_SCRIPT}", context)
    return out


def environment(course: dict[str, Any]) -> dict[str, str]:
    """The import script's inputs (it is a fixed file; values never go into its code)."""
    return {"ODL_COURSE_KEY": course["key"], "ODL_COURSE_DATA_DIR": MOUNT, "ODL_COURSE_SOURCE_DIR": SOURCE_DIR}


def command() -> list[str]:
    # One Django start: the script checks the modulestore, then calls edx-platform's `import`.
    return ["sh", "-e", "-c", f"python ./manage.py cms shell < {MOUNT}/{IMPORT_SCRIPT}"]
