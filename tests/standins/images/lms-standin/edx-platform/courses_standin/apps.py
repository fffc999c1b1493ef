from django.apps import AppConfig


class CoursesStandinConfig(AppConfig):
    name = "courses_standin"
    verbose_name = "odl-stack engine-test course storage STAND-IN (NOT the modulestore)"
