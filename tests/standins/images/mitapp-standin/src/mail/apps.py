from django.apps import AppConfig


class MailApp(AppConfig):
    name = "mail"
