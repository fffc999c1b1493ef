"""Read a generated stack directory back: what the operating commands need.

doctor, hosts, lifecycle and upgrade all start from a stack directory on disk
(never from a plan in memory), so a stack can be operated by any later
version of odl-stack, and by a user who only has the directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator import hosts, statefile, wording
from generator.errors import StackError
from generator.stackfiles import COMPOSE_FILE, DATA_STAMP, OVERRIDE_FILE, PLAN_FILE, SECRETS_FILE, STACK_FILE


@dataclass(frozen=True)
class Published:
    service: str
    host_ip: str  # "" = all interfaces
    port: int


@dataclass
class Stack:
    path: Path
    project: str
    answers: dict[str, Any]
    generator_version: str
    plan: dict[str, Any]
    compose: dict[str, Any]
    override: dict[str, Any] | None
    secrets: dict[str, str] = field(repr=False)
    tutor_config: dict[str, Any] = field(repr=False)

    @property
    def subnet(self) -> str:
        return str(self.plan["network"]["subnet"])

    @property
    def network_name(self) -> str:
        """The Docker network Compose creates for the stack."""
        return f"{self.project}_{self.plan['network']['name']}"

    @property
    def hostnames(self) -> list[str]:
        return sorted(self.plan["network"]["hostnames"])

    @property
    def hosts_line(self) -> str:
        return hosts.hosts_line(self.hostnames)

    @property
    def urls(self) -> dict[str, str]:
        from generator.profiles import APPS

        app = APPS.get(self.plan["app_name"])
        urls = {"Open edX LMS": self.plan["openedx"]["url"]}
        front = self.plan["openedx"].get("front")  # absent from plans written before the MFEs
        if front:
            urls.update({"Studio": front["studio_url"], "Learning MFE": front["learning_mfe_url"]})
        urls[app.title if app else self.plan["app_name"]] = self.plan["app"]["url"]
        if self.plan.get("keycloak"):
            urls["Keycloak"] = self.plan["keycloak"]["url"]
        if self.plan.get("mail"):  # absent from plans written before the inbox
            urls["Mail inbox"] = self.plan["mail"]["url"]
        return urls

    @property
    def compose_files(self) -> list[Path]:
        """The files Compose reads, in order: ours, then the user's override if present."""
        files = [self.path / COMPOSE_FILE]
        if (self.path / OVERRIDE_FILE).exists():
            files.append(self.path / OVERRIDE_FILE)
        return files

    @property
    def models(self) -> list[dict[str, Any]]:
        """The compose files' contents, in the order Compose reads them."""
        return [self.compose] + ([self.override] if self.override else [])

    @property
    def published(self) -> list[Published]:
        """Every host port the stack publishes (ours and the override's)."""
        found: dict[tuple[str, str, int], Published] = {}
        for model in self.models:
            for service, body in (model.get("services") or {}).items():
                if body and body.get("profiles"):
                    continue  # profiled jobs are never started by `up`
                for entry in (body or {}).get("ports") or []:
                    for pub in parse_port(service, entry):
                        found[(pub.service, pub.host_ip, pub.port)] = pub
        return sorted(found.values(), key=lambda p: (p.port, p.service))

    @property
    def volumes(self) -> list[str]:
        """Full Docker names of the stack's named volumes (`<project>_<volume>`)."""
        names: set[str] = set()
        for model in self.models:
            for key, body in (model.get("volumes") or {}).items():
                body = body or {}
                if body.get("external"):
                    continue
                names.add(body.get("name") or f"{self.project}_{key}")
        return sorted(names)

    @property
    def images(self) -> list[str]:
        refs = {body["image"] for body in (self.compose.get("services") or {}).values() if body and body.get("image")}
        return sorted(refs)

    @property
    def built_images(self) -> set[str]:
        return {
            body["image"]
            for body in (self.compose.get("services") or {}).values()
            if body and body.get("build") and body.get("image")
        }

    def data_stamp(self) -> dict[str, str]:
        path = self.path / DATA_STAMP
        return json.loads(path.read_text()) if path.exists() else {}


def parse_port(service: str, entry: Any) -> list[Published]:
    """Compose `ports:` entry (short or long syntax) -> published host ports."""
    if isinstance(entry, dict):
        published = entry.get("published")
        if published in (None, ""):
            return []
        return [Published(service, str(entry.get("host_ip") or ""), p) for p in _port_range(str(published))]
    text = str(entry).split("/")[0]
    if text.startswith("[") or text.count(":") > 2:  # IPv6 host address
        host, _, rest = text.rpartition("]:") if "]" in text else ("", "", text)
        host = host.lstrip("[")
        parts = [host] + rest.split(":")
    else:
        parts = text.split(":")
    if len(parts) == 1:
        return []  # container port only: Docker picks a random host port
    host_ip = parts[0] if len(parts) == 3 else ""
    return [Published(service, host_ip, p) for p in _port_range(parts[-2])]


def _port_range(text: str) -> list[int]:
    if not text:
        return []
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))


def _yaml(path: Path) -> dict[str, Any] | None:
    return yaml.safe_load(path.read_text()) or {} if path.exists() else None


def is_stack(path: Path) -> bool:
    return (path / STACK_FILE).is_file()


def recorded(path: Path) -> dict[str, Any]:
    """The stack's record (stack.json): the generator's version and the answers it was made from."""
    if not is_stack(path):
        raise StackError(
            "STACK",
            f"no such stack: {path}" if not path.exists() else f"{path} is not an odl-stack stack (it has no {STACK_FILE})",
            _which_stacks(path),
        )
    record = statefile.read_mapping(path / STACK_FILE)
    if record is None:
        raise statefile.corrupt(path / STACK_FILE, "is empty")
    statefile.check_types(path / STACK_FILE, record, {"generator_version": (str,), "answers": (dict,)})
    statefile.check_types(path / STACK_FILE, record.get("answers") or {}, _ANSWER_TYPES, within="answers.")
    return record


# The types of the answers a stack records (spec.StackSpec.answers); null is "not given".
_ANSWER_TYPES: dict[str, tuple[type, ...]] = {
    **{key: (str, type(None)) for key in ("app", "profile", "name", "subnet", "app_src")},
    "apisix": (bool, type(None)),
    **{key: (dict, type(None)) for key in ("images", "ports", "picked_ports", "addresses")},
    "openedx_plugin_src": (list, type(None)),
}


def load(path: str | Path) -> Stack:
    path = Path(path)
    record = recorded(path)
    plan = statefile.read_mapping(path / PLAN_FILE)
    if plan is None:
        raise StackError(
            "STACK", f"{path} has no {PLAN_FILE} (or it is empty)", f"regenerate it: {wording.command('upgrade', path)}"
        )
    compose = _yaml(path / COMPOSE_FILE)
    if compose is None:
        raise StackError("STACK", f"{path} has no {COMPOSE_FILE}", f"regenerate it: {wording.command('upgrade', path)}")
    secrets_path = path / SECRETS_FILE
    return Stack(
        path=path,
        project=str(compose.get("name") or plan["project"]),
        answers=record.get("answers", {}),
        generator_version=str(record.get("generator_version", "?")),
        plan=plan,
        compose=compose,
        override=_yaml(path / OVERRIDE_FILE),
        secrets=statefile.read_mapping(secrets_path) or {},
        tutor_config=statefile.read_mapping(path / "tutor/config.yml") or {},
    )


def _which_stacks(path: Path) -> str:
    """The fix for a STACK that is none: the stacks that exist, as the user would name them."""
    found: list[Path] = []
    for where in dict.fromkeys([path.parent, Path(wording.STACKS_DIR)]):
        found += [p for p in stack_dirs(where) if p not in found]
    if not found:
        return f"create one first: {wording.command('new', None, ('--app', 'xpro'))}"
    names = ", ".join(wording.stack_value(p) if wording.via_make() else str(p) for p in found)
    return f"use one of the stacks that exist: {names}"


def beside(path: Path) -> Path:
    """The directory that holds the stack `path`, named the way `path` was (relative stays relative),
    so fix lines about its neighbours agree with the ones about it."""
    return path.parent if path.name not in ("", "..") else path.resolve().parent


def stack_dirs(where: Path, leave_out: Path | None = None) -> list[Path]:
    """The stack directories directly in `where`, by name, leaving out `leave_out`: the one scan of a
    directory for stacks (siblings, neighbours' subnets and ports, the list of stacks in a fix line)."""
    if not where.is_dir():
        return []
    skip = leave_out.resolve() if leave_out is not None else None
    return [p for p in sorted(where.iterdir()) if p.is_dir() and is_stack(p) and p.resolve() != skip]


def find_stacks(default_root: Path = Path("stacks")) -> list[Path]:
    """STACK when none is given: the current directory if it is a stack, else every stack under stacks/."""
    if is_stack(Path(".")):
        return [Path(".")]
    return stack_dirs(default_root)
