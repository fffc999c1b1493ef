"""STAND-IN of MITx Online's `create_courseware` (mitodl/mitxonline@b3c9730
courses/management/commands/create_courseware.py), the options the stack uses: `course` or
`courserun`, courseware_id, title, --live, --self-paced, --create-run/--run-tag, --start, --end,
--enrollment-start, --enrollment-end, --upgrade. NOT idempotent, as upstream: an existing course
(:100-106) or run (:230-238) prints "... already exists." and exits -1. Left out: programs,
departments, CMS pages, products/modes by flag, languages."""

from django.core.management import BaseCommand
from django.db import transaction
from django.utils.dateparse import parse_datetime
from mitapp_standin.only import only_in

from courses.models import Course, CourseRun


def _date(value):
    """main/utils.py parse_supplied_date: a date or datetime string, UTC."""
    if not value:
        return None
    parsed = parse_datetime(value if "T" in value or " " in value else value + "T00:00:00+00:00")
    if parsed is None:
        raise ValueError(f"not a date: {value!r}")
    return parsed


class Command(BaseCommand):
    help = "Creates a courseware object (a program or course, with or without a courserun)."

    def add_arguments(self, parser):
        parser.add_argument("type", choices=["program", "course", "courserun"])
        parser.add_argument("courseware_id", type=str)
        parser.add_argument("title", type=str)
        parser.add_argument("--live", action="store_true")
        parser.add_argument("--self-paced", action="store_true")
        parser.add_argument("--create-run", "--run-tag", nargs="?", type=str, metavar="create_run")
        for name in ("--start", "--enrollment-start", "--end", "--enrollment-end", "--upgrade"):
            parser.add_argument(name, nargs="?", type=str)

    def _exists(self, message):
        self.stderr.write(self.style.ERROR(message))
        exit(-1)

    def _create_course_run(self, course, **kwargs):
        """:227"""
        if CourseRun.objects.filter(run_tag=kwargs["create_run"], course=course).exists():
            self._exists(f"Course run for {course} with ID {kwargs['create_run']} already exists.")
        run = CourseRun.objects.create(
            course=course,
            title=kwargs["title"],
            run_tag=kwargs["create_run"],
            courseware_id=f"{course.readable_id}+{kwargs['create_run']}",
            live=kwargs["live"],
            is_self_paced=kwargs["self_paced"],
            start_date=_date(kwargs["start"]),
            end_date=_date(kwargs["end"]),
            enrollment_start=_date(kwargs["enrollment_start"]),
            enrollment_end=_date(kwargs["enrollment_end"]),
            upgrade_deadline=_date(kwargs["upgrade"]),
        )
        self.stdout.write(self.style.SUCCESS(f"Created course run {run.id}: {run}"))

    def handle(self, *args, **kwargs):
        only_in("mitxonline", "create_courseware")
        with transaction.atomic():
            if kwargs["type"] == "course":
                if Course.objects.filter(readable_id=kwargs["courseware_id"]).exists():
                    self._exists(f"Course with ID {kwargs['courseware_id']} already exists.")
                course = Course.objects.create(title=kwargs["title"], readable_id=kwargs["courseware_id"], live=kwargs["live"])
                self.stdout.write(self.style.SUCCESS(f"Created Course {course.id}: {course.title} ({course.readable_id})."))
                if kwargs["create_run"] is not None:
                    self._create_course_run(course, **kwargs)
            elif kwargs["type"] == "courserun":
                course = Course.objects.filter(readable_id=kwargs["courseware_id"]).first()
                if course is None:
                    self._exists(f"Course with ID {kwargs['courseware_id']} doesn't exist.")
                self._create_course_run(course, **kwargs)
            else:
                self._exists("programs are not made by the stand-in")
