"""STAND-IN of xPro's `seed_data` (mitodl/mitxpro@92a8dcb localdev/seed/management/commands/
seed_data.py, SeedDataLoader in localdev/seed/api.py), xPro's only command that makes a course
run: "Creates or updates" the seed courses of localdev/seed/resources/seed_data.json, each
object live (api.py:346-347) and titled "SEED <title>" (api.py:305-313). The stand-in seeds ONE
entry of that file, the demo course (seed_data.json:33-53: readable_id and courseware_id
course-v1:edX+DemoX+Demo_Course, run tag DEMO, courseware_url_path /courses/<id>/course/,
start 2098-02-05), without its product, topics, programs, the other 14 courses or CMS pages."""

from datetime import datetime, timezone

from courses.models import Course, CourseRun
from django.core.management.base import BaseCommand
from mitapp_standin.only import only_in

PREFIX = "SEED"
KEY = "course-v1:edX+DemoX+Demo_Course"
COURSE = {"title": "edX Demonstration Course", "readable_id": KEY}
RUN = {
    "title": "edX Demonstration Course - Spring 2013",
    "courseware_id": KEY,
    "run_tag": "DEMO",
    "courseware_url_path": f"/courses/{KEY}/course/",
    "start_date": datetime(2098, 2, 5, tzinfo=timezone.utc),
}


class Command(BaseCommand):
    help = "Creates or updates seed data based on a raw seed data file"

    def handle(self, *args, **options):
        only_in("xpro", "seed_data")
        course, course_created = Course.objects.update_or_create(
            title=f"{PREFIX} {COURSE['title']}",
            defaults={"readable_id": COURSE["readable_id"], "live": True},
        )
        _, run_created = CourseRun.objects.update_or_create(
            title=f"{PREFIX} {RUN['title']}",
            defaults={**{k: v for k, v in RUN.items() if k != "title"}, "course": course, "live": True},
        )
        self.stdout.write(self.style.SUCCESS("RESULTS"))
        self.stdout.write(f"Course: {'created' if course_created else 'updated'}")
        self.stdout.write(f"CourseRun: {'created' if run_created else 'updated'}")
