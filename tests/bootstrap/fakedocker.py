"""A fake Docker SDK client for the bootstrap's orchestration tests.

`DjangoContainer` behaves like the LMS / app-web container as far as the bootstrap can tell:
the temp-dir preparation, put_archive and `./manage.py [lms] shell -c <launcher>` really
happen, against the test Django projects and venvs (paths inside the "container" are mapped to
a real temp directory). Real containers are the engine tier's job.
"""

from __future__ import annotations

import builtins
import io
import os
import shutil
import subprocess
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.bootstrap import probes, sides
from generator.bootstrap.engine import PROJECT_LABEL, SERVICE_LABEL


@dataclass
class ExecResult:
    exit_code: int
    output: bytes


@dataclass
class FakeContainer:
    name: str
    project: str
    service: str
    status: str = "running"
    calls: list[dict[str, Any]] = field(default_factory=list)
    probe_answers: dict[str, str] = field(default_factory=dict)  # url -> "HTTP 200" / "ERROR ..."
    log: bytes = b""  # what `docker logs` shows

    def logs(self) -> bytes:
        return self.log

    @property
    def labels(self) -> dict[str, str]:
        return {PROJECT_LABEL: self.project, SERVICE_LABEL: self.service}

    def exec_run(
        self,
        cmd: list[str],
        stdout: bool = True,
        stderr: bool = True,
        workdir: str | None = None,
        environment: dict | None = None,
    ) -> ExecResult:
        self.calls.append({"cmd": list(cmd), "workdir": workdir, "environment": dict(environment or {})})
        if cmd[:2] in (["python", "-c"], ["python3", "-c"]) and cmd[2] == probes.PROBE:
            return ExecResult(
                0, (self.probe_answers.get(cmd[3], "ERROR URLError: [Errno -2] Name or service not known") + "\n").encode()
            )
        return self.handle(cmd, workdir, environment or {})

    def handle(self, cmd: list[str], workdir: str | None, environment: dict) -> ExecResult:
        return ExecResult(127, b"not implemented in the fake")

    def put_archive(self, path: str, data: bytes) -> bool:
        self.calls.append({"put_archive": path, "data": data})
        return True


class DjangoContainer(FakeContainer):
    """Runs the real side script in a test venv (see module docstring)."""

    def __init__(
        self, *args: Any, root: Path, project_dir: Path, env: Callable[[dict[str, str]], dict[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.root, self.project_dir, self.env = root, project_dir, env
        self.fail_with: tuple[int, str] | None = None
        self.interrupt = False
        self.delay = 0.0  # seconds before a Django launch starts (to order the two sides' processes)
        self.finished: list[float] = []  # time.monotonic() as each Django launch ended

    def real(self, path: str) -> Path:
        assert path.startswith(sides.TMP_PREFIX), path
        return self.root / path.lstrip("/")

    def handle(self, cmd: list[str], workdir: str | None, environment: dict) -> ExecResult:
        if cmd == ["sh", "-c", sides.PREPARE]:
            for old in (self.root / "tmp").glob("odl-bootstrap.*"):
                shutil.rmtree(old)
            directory = f"{sides.TMP_PREFIX}{len(self.calls):06d}"
            self.real(directory).mkdir(parents=True, mode=0o700)
            return ExecResult(0, f"{os.getuid()}\n{os.getgid()}\n{directory}\n".encode())
        if cmd[:2] == ["rm", "-rf"]:
            shutil.rmtree(self.real(cmd[2]), ignore_errors=True)
            return ExecResult(0, b"")
        if cmd[-3:-1] == ["shell", "-c"]:
            if self.interrupt:
                raise KeyboardInterrupt
            if self.fail_with:
                return ExecResult(self.fail_with[0], self.fail_with[1].encode())
            mapped = {k: str(self.real(v)) for k, v in environment.items()}
            time.sleep(self.delay)
            proc = subprocess.run(cmd, cwd=self.project_dir, env=self.env(mapped), capture_output=True)
            self.finished.append(time.monotonic())
            return ExecResult(proc.returncode, proc.stdout + proc.stderr)
        return super().handle(cmd, workdir, environment)

    def put_archive(self, path: str, data: bytes) -> bool:
        super().put_archive(path, data)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar.getmembers():
                assert member.mode == 0o600 and member.uid == os.getuid(), member
            tar.extractall(self.real(path))
        return True

    def leftovers(self) -> list[Path]:
        return list((self.root / "tmp").glob("odl-bootstrap.*")) if (self.root / "tmp").exists() else []


class FakeContainers:
    def __init__(self, containers: list[FakeContainer], honour_filters: bool = True) -> None:
        self.items, self.honour_filters = containers, honour_filters
        self.list_calls: list[dict[str, Any]] = []

    def list(self, all: bool = False, filters: dict | None = None) -> list[FakeContainer]:
        self.list_calls.append({"all": all, "filters": filters})
        found = [c for c in self.items if all or c.status == "running"]
        if self.honour_filters:
            wanted = dict(label.split("=", 1) for label in (filters or {}).get("label", []))
            found = [c for c in found if builtins.all(c.labels.get(k) == v for k, v in wanted.items())]
        return found


class FakeClient:
    def __init__(self, containers: list[FakeContainer], honour_filters: bool = True) -> None:
        self.containers = FakeContainers(containers, honour_filters)
