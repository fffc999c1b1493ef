from django.apps import AppConfig


class KcStandinConfig(AppConfig):
    name = "kcstandin"
    default_auto_field = "django.db.models.BigAutoField"
