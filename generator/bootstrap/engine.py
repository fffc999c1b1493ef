"""The only module that talks to Docker: containers of THIS compose project, found by label.

Every container is looked up by the compose project + service labels and checked again before
each exec, so the bootstrap can never act on another stack's (or anyone's) containers.
"""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


class EngineError(Exception):
    """A Docker operation failed or was refused (exit code 4)."""


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    output: str


class Engine:
    """Docker SDK client restricted to one compose project."""

    def __init__(self, client: Any, project: str) -> None:
        if not project:
            raise EngineError("no compose project name: refusing to look for containers")
        self.client = client
        self.project = project

    def _filters(self, service: str) -> dict[str, Any]:
        return {"label": [f"{PROJECT_LABEL}={self.project}", f"{SERVICE_LABEL}={service}"]}

    def _ours(self, container: Any, service: str) -> bool:
        labels = container.labels or {}
        return labels.get(PROJECT_LABEL) == self.project and labels.get(SERVICE_LABEL) == service

    def container(self, service: str) -> Any | None:
        """The running container of `service` in this project, or None."""
        found = self.client.containers.list(filters=self._filters(service))
        # Re-check the labels ourselves: a filter typo must not widen what we act on.
        mine = sorted((c for c in found if self._ours(c, service) and c.status == "running"), key=lambda c: c.name)
        return mine[0] if mine else None

    def describe(self, service: str) -> str:
        """Why a service has no running container (for wait messages)."""
        found = [c for c in self.client.containers.list(all=True, filters=self._filters(service)) if self._ours(c, service)]
        if not found:
            return f"no container for service '{service}' in compose project '{self.project}'"
        return "container " + ", ".join(f"{c.name} is {c.status}" for c in found)

    def logs(self, service: str) -> str:
        """The log of this project's (newest) container of `service`, running or not; "" if none."""
        found = [c for c in self.client.containers.list(all=True, filters=self._filters(service)) if self._ours(c, service)]
        return found[0].logs().decode("utf-8", errors="replace") if found else ""

    def require(self, service: str) -> Any:
        container = self.container(service)
        if container is None:
            raise EngineError(self.describe(service))
        return container

    def exec(
        self,
        service: str,
        argv: Sequence[str],
        workdir: str | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> ExecResult:
        """Run argv in the service's container (no shell unless argv asks for one)."""
        container = self.require(service)
        if not self._ours(container, service):  # belt and braces: never exec elsewhere
            raise EngineError(f"refusing to exec in {container.name}: not service '{service}' of project '{self.project}'")
        kwargs: dict[str, Any] = {"stdout": True, "stderr": True}
        if workdir:
            kwargs["workdir"] = workdir
        if environment:
            kwargs["environment"] = dict(environment)
        try:
            result = container.exec_run(list(argv), **kwargs)
        except Exception as exc:  # docker.errors.APIError and transport errors
            raise EngineError(f"exec in {container.name} failed: {exc}") from exc
        output = result.output or b""
        text = output.decode("utf-8", "replace") if isinstance(output, bytes) else str(output)
        return ExecResult(int(result.exit_code or 0), text)

    def put_files(self, service: str, directory: str, files: Mapping[str, bytes], uid: int, gid: int) -> None:
        """Copy files into an existing directory of the container, private to uid:gid (0600)."""
        container = self.require(service)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for name, content in sorted(files.items()):
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.uid, info.gid = len(content), 0o600, uid, gid
                info.mtime = int(time.time())
                tar.addfile(info, io.BytesIO(content))
        try:
            ok = container.put_archive(directory, buffer.getvalue())
        except Exception as exc:
            raise EngineError(f"copying files into {container.name}:{directory} failed: {exc}") from exc
        if ok is False:
            raise EngineError(f"copying files into {container.name}:{directory} failed")
