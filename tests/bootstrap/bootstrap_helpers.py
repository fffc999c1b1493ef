"""Helpers of the bootstrap tests: the side projects and venvs, a plan, a Django side run as the bootstrap
runs it, and a fake LMS for the learner step (fixtures stay in conftest.py). Named apart from tests/helpers.py:
both directories are on sys.path when the bootstrap tier runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fake_lms import FakeLMS

from generator.bootstrap import plan as planmod
from generator.bootstrap import sides
from generator.plan import make_plan
from generator.spec import make_spec

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CACHE = Path(os.environ.get("ODL_TEST_CACHE", REPO / ".cache"))
PROJECTS = {"lms": HERE / "projects" / "lms", "app": HERE / "projects" / "app"}
VENVS = {"lms": CACHE / ".venv-lms-side", "app": CACHE / ".venv-app-side"}


# The app side runs the app stand-in's modules as one of the two apps (its Open edX module and
# migrations differ): a database per app. "app" is xPro's, "app-mitxonline" MITx Online's.
APP_KINDS = {"app": "xpro", "app-mitxonline": "mitxonline"}


def side_env(side: str, db: Path, extra: dict[str, str] | None = None, app: str = "xpro") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ODL_BOOTSTRAP_", "PYTHON", "ODL_TEST_"))}
    # `./manage.py` has a `/usr/bin/env python` shebang: the venv's python comes first, as in the image.
    env["PATH"] = f"{VENVS[side] / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["ODL_TEST_DB"] = str(db)
    env["ODL_TEST_APP"] = app
    env.update(extra or {})
    return env


def stack_plan(app: str = "mitxonline", tmp: Path | None = None, **answers: Any) -> planmod.Plan:
    real = make_plan(make_spec(app, **answers))
    return planmod.Plan(
        data=json.loads(json.dumps(real.bootstrap)), secrets=dict(real.secrets), stack_dir=tmp or Path("/nonexistent")
    )


class DjangoSide:
    """Runs a side script exactly as the bootstrap does: script + JSON file, fixed launcher."""

    def __init__(self, side: str, db: Path, workdir: Path, app: str = "xpro") -> None:
        self.side, self.db, self.workdir, self.app = side, db, workdir, app
        self.launches = 0
        self.env: dict[str, str] = {}  # extra environment (settings the test project reads)

    def run(self, data: dict[str, Any]) -> dict[str, Any]:
        proc = self.launch(data)
        result = sides.parse_result(proc.stdout)
        assert proc.returncode == 0 and result is not None, f"{self.side} side failed:\n{proc.stdout}\n{proc.stderr}"
        self.last_output = proc.stdout + proc.stderr
        return result

    def launch(self, data: dict[str, Any]) -> subprocess.CompletedProcess:
        directory = self.workdir / f"odl-bootstrap.{self.side}.{self.launches}"
        directory.mkdir(mode=0o700)
        (directory / "script.py").write_bytes(sides.script_source(self.side))
        (directory / "data.json").write_text(json.dumps(data))
        manage = ["./manage.py", "lms"] if self.side == "lms" else ["./manage.py"]
        self.launches += 1
        proc = subprocess.run(
            sides.launch_argv(manage),
            cwd=PROJECTS[self.side],
            env=side_env(self.side, self.db, {**self.env, **sides.launch_env(str(directory))}, app=self.app),
            capture_output=True,
            text=True,
        )
        shutil.rmtree(directory)
        return proc

    def shell(self, code: str, data: dict[str, Any] | None = None) -> str:
        """Test-only setup/inspection code (data via $ODL_TEST_DATA as JSON)."""
        manage = ["./manage.py", "lms"] if self.side == "lms" else ["./manage.py"]
        extra = {**self.env, "ODL_TEST_DATA": json.dumps(data or {})}
        proc = subprocess.run(
            [*manage, "shell", "-c", code],
            cwd=PROJECTS[self.side],
            env=side_env(self.side, self.db, extra, app=self.app),
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout


APP_SESSION_COOKIES = {"xpro": "sessionid", "mitxonline": "mitxonline_sessionid"}


@contextmanager
def learner_lms(plan: planmod.Plan, side: DjangoSide) -> Iterator[tuple[FakeLMS, planmod.Plan]]:
    """A fake LMS for the learner step, the app side's settings and a copy of the plan pointed
    at it (the app's own URL is the fake's too, so its session cookie reaches the fake)."""
    cc = (plan.secret("courses_client_id"), plan.secret("courses_client_secret")) if side.app == "mitxonline" else None
    with FakeLMS(side.db, plan.secret("service_worker_token"), cc, app_cookie=APP_SESSION_COOKIES[side.app]) as lms:
        side.env = {
            "ODL_TEST_LMS_URL": lms.url,
            "ODL_TEST_APP_URL": lms.url,
            "ODL_TEST_SERVICE_WORKER_TOKEN": plan.secret("service_worker_token"),
        }
        if cc:
            side.env.update(ODL_TEST_CC_ID=cc[0], ODL_TEST_CC_SECRET=cc[1])
        data = json.loads(json.dumps(plan.data))
        data["openedx"]["url"] = data["app"]["learner"]["lms_url"] = lms.url
        if data["app"]["learner"]["client_credentials"]:
            data["app"]["learner"]["client_credentials"]["token_url"] = lms.url + "/oauth2/access_token"
        course_on_fake_lms(data, lms)
        yield lms, planmod.Plan(data=data, secrets=plan.secrets, stack_dir=plan.stack_dir)


def course_on_fake_lms(data: dict[str, Any], lms: FakeLMS) -> None:
    """The stack's course "imported" in the fake LMS, the plan's course home API pointed at it."""
    course = data["app"]["course"]
    course["home_api_url"] = f"{lms.url}/api/course_home/course_metadata/{course['key']}"
    lms.courses[course["key"]] = {
        "name": course["display_name"],
        "start": course["start"],
        "enrollment_end": course["enrollment_end"],
    }
