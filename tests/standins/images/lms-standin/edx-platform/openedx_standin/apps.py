from django.apps import AppConfig


class OpenedxStandinConfig(AppConfig):
    name = "openedx_standin"
    verbose_name = "odl-stack engine-test LMS STAND-IN"
