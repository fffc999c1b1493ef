"""The stacks beside a stack, and what they and the engine's networks take: the one answer to "is this
subnet free" and "does another stack publish this port", for `new`, `upgrade` and doctor alike.

A stack's own subnet and network never clash with itself: its own directory is left out of the stacks
beside it, and its compose project's network out of the engine's networks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from pathlib import Path

from generator import addressing, stackdir, statefile, wording
from generator.enginefacts import DockerNetwork
from generator.errors import StackError
from generator.stackfiles import PLAN_FILE

# (who, subnet): who takes it, as a user reads it ("stack 'xpro'", "Docker network 'x_odl'").
Taken = tuple[str, str]


def stack_subnets(stack_dir: Path) -> list[Taken]:
    """The subnets of the other stacks in the directory that holds `stack_dir` (which need not exist yet).
    A neighbour whose plan.json cannot be read is left out: it is not this stack's to fix."""
    found = []
    for other in stackdir.stack_dirs(stackdir.beside(stack_dir), leave_out=stack_dir):
        try:
            plan = statefile.read_mapping(other / PLAN_FILE) or {}
            subnet = str((plan.get("network") or {})["subnet"])
            ipaddress.ip_network(subnet, strict=False)
        except (StackError, OSError, KeyError, TypeError, ValueError):
            continue
        found.append((f"stack '{other.name}'", subnet))
    return found


def network_subnets(networks: Sequence[DockerNetwork] | None, project: str, network_name: str) -> list[Taken]:
    """The subnets of the engine's networks, leaving out the stack's own (by name, or by its project's label)."""
    return sorted(
        (f"Docker network '{n.name}'", s)
        for n in networks or []
        if n.name != network_name and n.project != project
        for s in n.subnets
    )


def subnets_taken(stack_dir: Path, project: str, network_name: str, networks: Sequence[DockerNetwork] | None) -> list[Taken]:
    """Everything a stack's subnet must not overlap: the stacks beside it first (the likelier reason, and the
    user knows them), then the engine's networks."""
    return stack_subnets(stack_dir) + network_subnets(networks, project, network_name)


def clash(subnet: str, taken: Iterable[Taken]) -> Taken | None:
    mine = ipaddress.ip_network(subnet)
    for who, other in taken:
        try:
            theirs = ipaddress.ip_network(other, strict=False)
        except ValueError:
            continue
        if theirs.version == mine.version and mine.overlaps(theirs):
            return who, other
    return None


def free_subnet(subnet: str, taken: Iterable[Taken]) -> str:
    """`subnet`, or the next range of its size that nothing in `taken` uses."""
    return addressing.next_free_subnet(subnet, [other for _who, other in taken])


def settle_subnet(subnet: str, taken: Sequence[Taken], given: bool, kept: bool, stack_dir: Path) -> tuple[str, list[str]]:
    """The subnet a (re)generation uses, and what to say about it. `given`: the user passed it now, so a
    clash is refused; `kept`: the stack has it already, so it stays (with a warning: only one of the two
    can run at a time); else it is a default, moved to the next free range."""
    found = clash(subnet, taken)
    if found is None:
        return subnet, []
    who, other = found
    free = free_subnet(subnet, taken)
    if given:
        raise StackError(
            wording.field("--subnet"),
            f"{subnet} overlaps {other} of {who}; Compose would fail with 'Pool overlaps'",
            f"pass {wording.option('--subnet', free)} (or another range nothing uses)",
        )
    if kept:
        return subnet, [
            f"warning: its subnet {subnet} overlaps {other} of {who}; only one of them can run at a time"
            f" (to run both: {wording.command('upgrade', stack_dir, ('--subnet', free))})"
        ]
    return free, [f"subnet {free} ({subnet} is used by {who})"]


def published_ports(stack_dir: Path, kind: tuple[str, bool, str]) -> dict[int, str]:
    """Host ports published by the other stacks of one kind (app, gateway, profile) beside `stack_dir`:
    a second xPro stack is meant to run beside the first. Stacks of different kinds share the LMS port
    by default and run one at a time (doctor says so)."""
    found: dict[int, str] = {}
    for other in siblings_of(stack_dir):
        answers = other.answers
        if (answers.get("app"), bool(answers.get("apisix")), answers.get("profile") or "tutor") == kind:
            for pub in other.published:
                found.setdefault(pub.port, other.project)
    return found


def all_published_ports(stack_dir: Path) -> dict[int, str]:
    """Host ports published by any other stack beside `stack_dir`, by port."""
    found: dict[int, str] = {}
    for other in siblings_of(stack_dir):
        for pub in other.published:
            found.setdefault(pub.port, other.project)
    return found


def siblings_of(stack_dir: Path) -> list[stackdir.Stack]:
    """The other stacks beside `stack_dir`, loaded (one that cannot be read is left out)."""
    found = []
    for other in stackdir.stack_dirs(stackdir.beside(stack_dir), leave_out=stack_dir):
        try:
            found.append(stackdir.load(other))
        except (StackError, OSError, ValueError, KeyError):
            continue
    return found
