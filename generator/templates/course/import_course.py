# Run by the stack's `openedx-course-import` one-shot as `./manage.py cms shell < this file`
# (one Django start). Imports the stack's OLX course with edx-platform's own `import`
# management command (cms/djangoapps/contentstore/management/commands/import.py), unless
# the course already exists: a course someone has since edited in Studio is left alone.
# Inputs come from the environment; nothing is formatted into this file.
import os
import sys

from django.core.management import call_command
from opaque_keys.edx.keys import CourseKey
from xmodule.modulestore.django import modulestore

key = CourseKey.from_string(os.environ["ODL_COURSE_KEY"])
if modulestore().has_course(key):
    print(f"odl-stack: course {key} already exists in the modulestore; left alone.")
else:
    print(f"odl-stack: importing course {key} from {os.environ['ODL_COURSE_DATA_DIR']}/{os.environ['ODL_COURSE_SOURCE_DIR']}")
    call_command("import", os.environ["ODL_COURSE_DATA_DIR"], os.environ["ODL_COURSE_SOURCE_DIR"])
    if not modulestore().has_course(key):
        sys.exit(f"odl-stack: the import finished but {key} is not in the modulestore (is the OLX's course key the plan's?)")
    print(f"odl-stack: course {key} imported.")
