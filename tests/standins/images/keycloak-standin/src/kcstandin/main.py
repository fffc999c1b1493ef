"""`kc.sh start-dev ...` of the Keycloak stand-in: check the command line, start the management
port, wait for PostgreSQL, migrate, create the bootstrap admin, import realms, serve.

Accepted command line (exactly what the stack's compose file passes, nothing else):
    start-dev [--import-realm] [--http-port=N] [--hostname=URL] [--health-enabled=true|false]
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socketserver
import sys
import threading
import time
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

IMPORT_DIR = Path("/opt/keycloak/data/import")
MANAGEMENT_PORT = 9000
log = logging.getLogger("org.keycloak.quarkus.runtime")


class UsageError(Exception):
    pass


def parse_args(argv: list[str]) -> dict:
    if not argv or argv[0] != "start-dev":
        raise UsageError(f"unknown or missing command {argv[0] if argv else ''!r}: the stand-in runs only 'start-dev'")
    options = {"import_realm": False, "http_port": 8080, "hostname": None, "health": False}
    args = list(argv[1:])
    while args:
        arg = args.pop(0)
        name, eq, value = arg.partition("=")
        if name == "--import-realm" and not eq:
            options["import_realm"] = True
            continue
        if name in ("--http-port", "--hostname", "--health-enabled"):
            if not eq:
                if not args:
                    raise UsageError(f"option {name} needs a value")
                value = args.pop(0)
            if name == "--http-port":
                if not value.isdigit() or not 0 < int(value) < 65536 or int(value) == MANAGEMENT_PORT:
                    raise UsageError(f"invalid --http-port {value!r}")
                options["http_port"] = int(value)
            elif name == "--hostname":
                if not value.startswith(("http://", "https://")):
                    raise UsageError(f"--hostname {value!r}: the stand-in needs a full URL (http://host:port)")
                options["hostname"] = value.rstrip("/")
            else:
                if value not in ("true", "false"):
                    raise UsageError(f"invalid --health-enabled {value!r} (true or false)")
                options["health"] = value == "true"
            continue
        raise UsageError(
            f"Unknown option: '{arg}'. The Keycloak stand-in accepts only start-dev --import-realm "
            "--http-port=N --hostname=URL --health-enabled=true|false"
        )
    if options["hostname"] is None:
        options["hostname"] = f"http://localhost:{options['http_port']}"
    return options


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class AccessLogHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        sys.stdout.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} INFO  [http] {self.address_string()} {format % args}\n")


class Management:
    """Port 9000: /health, /health/live, /health/ready, /health/started (DOWN until started)."""

    def __init__(self, health_enabled: bool) -> None:
        self.health_enabled = health_enabled
        self.ready = threading.Event()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if self.health_enabled and path in ("/health", "/health/", "/health/live", "/health/ready", "/health/started"):
            up = self.ready.is_set()
            body = json.dumps({"status": "UP" if up else "DOWN", "checks": []}).encode()
            start_response(
                "200 OK" if up else "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        body = b'{"error":"Resource not found"}'
        start_response("404 Not Found", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def serve(app, port: int, handler) -> None:
    server = make_server("0.0.0.0", port, app, server_class=ThreadingWSGIServer, handler_class=handler)
    threading.Thread(target=server.serve_forever, name=f"http-{port}", daemon=True).start()


def wait_for_database(timeout: float) -> None:
    import psycopg2

    from kcstandin.settings import DATABASES

    db = DATABASES["default"]
    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg2.connect(
                host=db["HOST"], port=db["PORT"], dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], connect_timeout=5
            ).close()
            return
        except psycopg2.OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            if time.monotonic() >= deadline:
                raise SystemExit(
                    f"ERROR: database {db['HOST']}:{db['PORT']}/{db['NAME']} not reachable within "
                    f"{int(timeout)} s (last: {reason}). Check KC_DB_URL, KC_DB_USERNAME, KC_DB_PASSWORD "
                    "and the keycloak-db service."
                ) from exc
            log.warning("Waiting for database %s:%s/%s: %s", db["HOST"], db["PORT"], db["NAME"], reason)
            time.sleep(2)


def main(argv: list[str]) -> int:
    started = time.monotonic()
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(levelname)-5s [%(name)s] %(message)s")
    try:
        options = parse_args(argv)
    except UsageError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    if os.environ.get("KC_DB", "postgres") != "postgres":
        print(f"ERROR: KC_DB={os.environ['KC_DB']!r}: the Keycloak stand-in supports only postgres", file=sys.stderr)
        return 1
    os.environ["KC_STANDIN_HOSTNAME"] = options["hostname"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kcstandin.settings")
    try:
        from kcstandin.settings import parse_jdbc_url

        parse_jdbc_url(os.environ.get("KC_DB_URL", ""))
    except ValueError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log.warning("odl-stack Keycloak STAND-IN (Django + django-oauth-toolkit; NOT Keycloak) starting: %s", " ".join(argv))
    management = Management(options["health"])
    serve(management, MANAGEMENT_PORT, QuietHandler)

    wait_for_database(float(os.environ.get("KC_STANDIN_DB_WAIT_SECONDS", "120")))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    log.info("Database schema up to date")

    from kcstandin import realms

    realms.ensure_master(os.environ.get("KC_BOOTSTRAP_ADMIN_USERNAME"), os.environ.get("KC_BOOTSTRAP_ADMIN_PASSWORD"))
    if options["import_realm"]:
        try:
            realms.import_directory(IMPORT_DIR)
        except realms.ImportError_ as exc:
            print(f"ERROR: {exc}", file=sys.stderr)
            return 1

    from django.core.wsgi import get_wsgi_application

    serve(get_wsgi_application(), options["http_port"], AccessLogHandler)
    management.ready.set()
    log.info(
        "Keycloak stand-in started in %.3fs. Listening on: http://0.0.0.0:%d (hostname %s). "
        "Management interface listening on http://0.0.0.0:%d.",
        time.monotonic() - started,
        options["http_port"],
        options["hostname"],
        MANAGEMENT_PORT,
    )
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
