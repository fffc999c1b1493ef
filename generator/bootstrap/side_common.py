"""Shared head of the two Django-side scripts.

`sides.script_source` puts this file in front of lms_side.py or app_side.py, so each side
still reaches its container as ONE self-contained script (Django and the side's own apps
only), run by a fixed launcher with its data in a JSON file: no value is ever formatted
into code.
"""

import json
import os
import sys

# Copied on purpose from sides.py (this script imports nothing of ours); a test keeps the two equal.
RESULT_PREFIX = "ODL_BOOTSTRAP_RESULT="


class Steps:
    """Collects `created` / `updated` / `unchanged` per step; `dry` = verify mode (never writes)."""

    def __init__(self, dry):
        self.dry = dry
        self.items = []
        self.failures = {}
        self.timings = {}  # seconds a step took, for the engine tier's report

    def add(self, step, result, changed=()):
        self.items.append({"step": step, "result": result, "changed": sorted(changed)})

    def fail(self, key, message):
        """A step that could not be done (e.g. the app lacks a function): one ✗ in the checklist."""
        self.failures[key] = message


def update_fields(steps, obj, wanted, extra=(), also=None):
    """Reconcile an existing row: the names of `wanted` fields that differ, plus `extra`
    changes the caller detected; in run mode set them, call `also` (the extra's own
    setter) and save once. Returns the changed names for the step's report."""
    changed = [name for name, value in wanted.items() if getattr(obj, name) != value] + list(extra)
    if changed and not steps.dry:
        for name, value in wanted.items():
            setattr(obj, name, value)
        if also is not None:
            also()
        obj.save()
    return changed


_CHECKED = {}


def password_matches(raw, encoded):
    """Django's hashers.check_password (which never re-hashes or saves, unlike
    User.check_password), once per stored hash and raw value in this process: the steps and
    the facts read back the same rows, and each check is a deliberately slow hash (PBKDF2 at
    Django 5.2's 1,000,000 iterations: about half a second here)."""
    from django.contrib.auth.hashers import check_password

    key = (encoded, raw)
    if key not in _CHECKED:
        _CHECKED[key] = check_password(raw, encoded)
    return _CHECKED[key]


def superuser_ok(user):
    return bool(user and user.is_superuser and user.is_active)


def oauth_app_facts(app, secret_matches, extra=()):
    """What verify reports of an OAuth application row (None when it is missing); the
    secret comparison is the side's own (plain on the LMS, hashed on the app)."""
    if app is None:
        return None
    facts = {
        "client_id": app.client_id,
        "secret_matches": secret_matches(app),
        "redirect_uris": app.redirect_uris.split(),
        "client_type": app.client_type,
        "grant_type": app.authorization_grant_type,
        "skip_authorization": app.skip_authorization,
    }
    facts.update({name: getattr(app, name) for name in extra})
    return facts


def send_probe_mail(spec, send):
    """One mail to the stack's inbox through the side's own code (`send(recipient)`): to whom,
    since when (UTC, taken just before sending: the checklist looks for mail this new), or why
    it could not be sent. The senders only read rows."""
    from datetime import datetime, timezone

    since = datetime.now(timezone.utc).isoformat()
    try:
        send(spec["recipient"])
    except Exception as exc:  # the side's own code raised: a ✗ with its words, never a traceback
        return {"to": spec["recipient"], "since": since, "error": "{}: {}".format(type(exc).__name__, " ".join(str(exc).split()))}
    return {"to": spec["recipient"], "since": since}


def wait_for_migrations(timeout):
    """Tables first: a database still being migrated is waited for inside this one process
    (no second Django launch), then reported by name if it never finishes."""
    import time

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    deadline = time.monotonic() + timeout
    delay = 1.0
    while True:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if not pending:
            return
        if time.monotonic() >= deadline:
            names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in pending[:5])
            raise SystemExit(f"database not migrated after {timeout}s: {len(pending)} unapplied migration(s), e.g. {names}")
        time.sleep(min(delay, max(deadline - time.monotonic(), 0)))
        delay = min(delay * 2, 15.0)


def wait_for_gate(gate):
    """Started at the same time as the other side's process, this one calls that side only
    once the bootstrap says it has committed: it puts a `go` file in this script's private
    directory (`stop` when that side failed). The directory vanishing (an interrupted
    bootstrap's leftovers removed by the next run) also stops it, so no process waits on."""
    import time

    directory = os.path.dirname(os.environ["ODL_BOOTSTRAP_DATA"])
    go, stop = (os.path.join(directory, word) for word in ("go", "stop"))
    deadline = time.monotonic() + gate["timeout"]
    while not os.path.exists(go):
        if os.path.exists(stop) or not os.path.isdir(directory):
            raise SystemExit("stopped before the steps that call the {0} side: the {0} side did not finish".format(gate["after"]))
        if time.monotonic() >= deadline:
            raise SystemExit(
                "stopped before the steps that call the {0} side: no word from the bootstrap on the {0} side after {1}s".format(
                    gate["after"], gate["timeout"]
                )
            )
        time.sleep(gate["poll"])


def run_side(side, reconcile, facts, after=None):
    """Read the data, wait for migrations (and for the other side, when the data names a
    gate), reconcile in one transaction, then the `after` steps (committed rows other
    processes must see first), print the result line."""
    import time

    from django.db import transaction

    clock = [time.monotonic()]
    seconds = {}

    def lap(name):
        now = time.monotonic()
        seconds[name] = round(now - clock[0], 2)
        clock[0] = now

    with open(os.environ["ODL_BOOTSTRAP_DATA"]) as handle:
        data = json.load(handle)
    wait_for_migrations(data.get("migration_timeout", 0))
    lap("migrations")
    steps = Steps(dry=data["mode"] != "run")
    # One transaction: an interrupted run leaves nothing half-written; a re-run converges.
    with transaction.atomic():
        reconcile(steps, data)
    lap("reconcile")
    if after is not None:
        if data.get("gate"):
            # The after-steps call the other side, which must have committed first.
            wait_for_gate(data["gate"])
            lap("waiting for the {} side".format(data["gate"]["after"]))
        # Outside our transaction: the app's own code calls the LMS, which calls the app's web
        # process back, so what it reads must be committed. Each app function keeps its own
        # transactions; a run killed here leaves a half-made learner the next run repairs.
        after(steps, data)
        lap("after")
    found = facts(data, steps)
    lap("facts")
    result = {
        "side": side,
        "steps": steps.items,
        "failures": steps.failures,
        "facts": found,
        "seconds": seconds,
        "step_seconds": steps.timings,
    }
    sys.stdout.write("\n" + RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()
