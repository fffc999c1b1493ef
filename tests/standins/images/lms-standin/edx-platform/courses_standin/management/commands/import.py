"""STAND-IN for edx-platform's `import` management command
(cms/djangoapps/contentstore/management/commands/import.py): `import <data_directory>
[<source_dirs> ...] [--nostatic]` loads each course directory under the data directory into
the modulestore (`import_course_from_xml(..., create_if_not_present=True)`), re-importing over
an existing course of the same key. Reading the OLX: courses_standin/olx.py."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from courses_standin.models import ImportedCourse
from courses_standin.olx import OLXError, read_course


class Command(BaseCommand):
    help = "Import the specified data directory into the default ModuleStore (STAND-IN)."

    def add_arguments(self, parser):
        parser.add_argument("data_directory")
        parser.add_argument("source_dirs", nargs="*", help="Course directories within the data directory")
        parser.add_argument("--nostatic", action="store_true", help="Skip import of static content")
        parser.add_argument("--nopythonlib", action="store_true", help="Skip import of course python library")

    def handle(self, *args, **options):
        data_dir = Path(options["data_directory"])
        source_dirs = options["source_dirs"] or sorted(p.name for p in data_dir.iterdir() if (p / "course.xml").exists())
        if not source_dirs:
            raise CommandError(f"no course directory (with a course.xml) in {data_dir}")
        self.stdout.write(f"Importing.  Data_dir={data_dir}, source_dirs={source_dirs}")
        for source in source_dirs:
            try:
                course = read_course(data_dir / source)
            except OLXError as exc:
                raise CommandError(f'Failed to load courselike "{source}": {exc}') from None
            ImportedCourse.objects.update_or_create(
                course_id=course.key,
                defaults={
                    "org": course.org,
                    "number": course.number,
                    "run": course.run,
                    "display_name": course.display_name,
                    "start": parse_datetime(course.start) if course.start else None,
                    "enrollment_start": parse_datetime(course.enrollment_start) if course.enrollment_start else None,
                    "enrollment_end": parse_datetime(course.enrollment_end) if course.enrollment_end else None,
                    "self_paced": course.self_paced,
                    "blocks": course.blocks,
                },
            )
            self.stdout.write(f"Imported {course.key}: {len(course.blocks)} blocks")
