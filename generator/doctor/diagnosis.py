"""`diagnose`: every check of doctor run on one stack, with the facts the engine and the host give."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from generator import hosts as hosts_mod
from generator import neighbours
from generator.datastamp import PASSWORD_VARS, bind_has_data, data_stores
from generator.dockercli import NoDockerCLI
from generator.doctor.checks import (
    Finding,
    PortHolder,
    check_arch,
    check_compose_version,
    check_engine_socket,
    check_engine_version,
    check_hosts,
    check_memory,
    check_plugin_checkouts,
    check_port,
    check_siblings,
    check_stale_data,
    check_subnet_networks,
    check_subnet_routes,
    compose_features,
    fail,
    warn,
)
from generator.enginefacts import (
    SOCKET_ENV,
    EngineFacts,
    EngineUnreachable,
    Route,
    compose_version,
    engine_url,
    gather_engine,
    read_routes,
)
from generator.stackdir import Stack


def diagnose(
    stack: Stack,
    hosts_file: Path = hosts_mod.DEFAULT_HOSTS_FILE,
    engine: Callable[[Sequence[str]], EngineFacts] = gather_engine,
    compose: Callable[[], str] = compose_version,
    routes: Callable[[], tuple[list[Route], str]] = read_routes,
    siblings: Sequence[Stack] = (),
    socket_url: Callable[[], str] = engine_url,
) -> list[Finding]:
    findings: list[Finding] = []
    facts: EngineFacts | None = None
    no_engine: EngineUnreachable | None = None
    try:
        facts = engine(stack.images)
        findings.append(check_engine_version(facts.version))
        findings.append(check_engine_socket(socket_url(), os.environ.get(SOCKET_ENV) or None, os.path.exists, str(stack.path)))
    except EngineUnreachable as exc:
        no_engine = exc
    try:
        compose_finding = check_compose_version(compose(), compose_features(stack.compose))
    except NoDockerCLI as exc:
        compose_finding = fail("docker compose", exc.problem, exc.fix)
        if no_engine is not None:
            # One cause, one line: Docker is not installed here.
            no_engine = EngineUnreachable(
                f"{exc.problem}, and {no_engine}", "install Docker (Docker Engine with the Compose v2 plugin, or Docker Desktop)"
            )
            compose_finding = None
    except RuntimeError as exc:
        compose_finding = fail(
            "docker compose",
            f"Docker Compose v2 not usable: {exc}",
            "install the Compose v2 plugin (docker-compose-plugin / docker-compose-v2), or set ODL_STACK_COMPOSE to a Compose v2 binary",
        )
    if no_engine is not None:
        # The checks that need the engine are left out rather than each failing on its own line.
        findings.append(fail("docker engine", f"not reachable: {no_engine}; the checks that need it are skipped", no_engine.fix))
    if compose_finding is not None:
        findings.append(compose_finding)
    if facts is not None:
        findings.append(check_memory(facts.mem_total))
        findings.extend(check_arch(facts.arch, facts.image_arches, stack.built_images))

    for pub in stack.published:
        holders = None
        if facts is not None:
            holders = [
                PortHolder(c.name, c.project)
                for c in facts.containers
                if any(
                    p == pub.port and (ip in ("", "0.0.0.0", "::") or not pub.host_ip or ip == pub.host_ip) for ip, p in c.ports
                )
            ]
        findings.append(check_port(pub, stack.project, holders, str(stack.path)))

    findings.append(check_hosts(hosts_file, stack.hostnames, str(stack.path)))
    findings.extend(check_plugin_checkouts(stack.path, stack.answers.get("openedx_plugin_src") or []))

    # One rule for a free range (neighbours): a suggestion avoids the stacks beside this one and the
    # engine's other networks, never this stack's own.
    beside = [s.subnet for s in siblings]
    engine_taken = (
        [] if facts is None else [s for _who, s in neighbours.network_subnets(facts.networks, stack.project, stack.network_name)]
    )
    docker_ifaces = [] if facts is None else [n.iface for n in facts.networks if n.iface]
    route_list, why = routes()
    host_routes = [
        r.network for r in route_list if r.iface not in docker_ifaces and r.iface != "lo" and not r.network.endswith("/0")
    ]
    if facts is not None:
        findings.append(
            check_subnet_networks(stack.subnet, facts.networks, stack.network_name, str(stack.path), avoid=beside + host_routes)
        )
    if why:
        findings.append(warn("subnet", f"host routes not checked: {why}"))
    else:
        findings.append(
            check_subnet_routes(stack.subnet, route_list, docker_ifaces, str(stack.path), avoid=beside + engine_taken)
        )

    stamp = stack.data_stamp()
    for store in data_stores(stack):
        present: bool | None
        if store.volume:
            if facts is None:
                continue  # volumes live in the engine: the engine finding says why this is not checked
            present = store.volume in facts.volumes
        else:
            present = bind_has_data(store.bind)
        container = None
        if facts is not None:
            container = next((c for c in facts.containers if c.project == stack.project and c.service == store.service), None)
        findings.append(
            check_stale_data(
                store,
                stack.project,
                present,
                stamp,
                container_password=None if container is None else container.env.get(_password_var(stack, store.service), ""),
                container=container.name if container else "",
                stack_path=str(stack.path),
            )
        )

    running = None if facts is None else {c.project for c in facts.containers if c.running}
    findings.extend(check_siblings(stack, siblings, running, avoid=engine_taken + host_routes))
    return findings


def _password_var(stack: Stack, service: str) -> str:
    env = ((stack.compose.get("services") or {}).get(service) or {}).get("environment") or {}
    names = env if isinstance(env, dict) else [e.split("=", 1)[0] for e in env]
    return next(v for v in PASSWORD_VARS if v in names)
