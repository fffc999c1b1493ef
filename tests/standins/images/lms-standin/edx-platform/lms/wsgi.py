"""WSGI entry point (uwsgi.ini: wsgi-file = $(SERVICE_VARIANT)/wsgi.py)."""

import os

os.environ["SERVICE_VARIANT"] = "lms"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.envs.tutor.production")

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
