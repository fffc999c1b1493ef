"""uWSGI's `static-map = /prefix=/dir/` for the gunicorn stand-in of uWSGI (bin/uwsgi).

Tutor's uwsgi.ini (tutor/templates/build/openedx/settings/uwsgi.ini:2-3) maps /static and
/media to /openedx/staticfiles/ and /openedx/media/: an existing file there is sent as is,
anything else goes on to the Django application, as uWSGI does.
"""

import importlib
import mimetypes
import os
import posixpath

MAPS = [tuple(item.split("=", 1)) for item in os.environ.get("ODL_UWSGI_STATIC_MAP", "").split(";") if "=" in item]
_django = importlib.import_module(os.environ["ODL_UWSGI_MODULE"]).application


def _file_for(path):
    for prefix, root in MAPS:
        if path.startswith(prefix.rstrip("/") + "/"):
            relative = posixpath.normpath(path[len(prefix.rstrip("/")) + 1 :])
            if relative.startswith(("..", "/")):
                return None
            candidate = os.path.join(root, relative)
            if os.path.isfile(candidate):
                return candidate
    return None


def application(environ, start_response):
    found = _file_for(environ.get("PATH_INFO", ""))
    if found is None:
        return _django(environ, start_response)
    with open(found, "rb") as f:
        body = f.read()
    kind = mimetypes.guess_type(found)[0] or "application/octet-stream"
    start_response("200 OK", [("Content-Type", kind), ("Content-Length", str(len(body)))])
    return [body]
