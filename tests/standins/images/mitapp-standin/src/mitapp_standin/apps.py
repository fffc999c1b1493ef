from django.apps import AppConfig


class MitappStandinConfig(AppConfig):
    name = "mitapp_standin"
    verbose_name = "odl-stack engine-test MIT app STAND-IN"
