"""The one place that derives network addresses: subnet, gateway, static IPs."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from generator import wording
from generator.errors import StackError

# Static addresses start here; the upper half of the subnet is left to Docker
# for one-shot containers (ip_range), so they never take a planned address.
FIRST_HOST_OFFSET = 10


@dataclass(frozen=True)
class Network:
    subnet: str
    gateway: str
    ip_range: str  # where Docker hands out dynamic addresses


def network_for(subnet: str) -> Network:
    net = ipaddress.ip_network(subnet)
    upper = list(net.subnets(prefixlen_diff=1))[1]
    return Network(subnet=str(net), gateway=str(net.network_address + 1), ip_range=str(upper))


def assign(subnet: str, services: Sequence[str], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Give every long-running service a static IP; validate user overrides.

    Addresses are handed out in service order from the lower half of the
    subnet, so the same services always get the same addresses.
    """
    net = ipaddress.ip_network(subnet)
    network = network_for(subnet)
    overrides = dict(overrides or {})
    for service in overrides:
        if service not in services:
            raise StackError(f"address for '{service}'", "names no long-running service", f"use one of: {', '.join(services)}")
    # spec.make_spec admits IPv4 networks only.
    lower = list(cast(ipaddress.IPv4Network, net).subnets(prefixlen_diff=1))[0]
    candidates = [lower.network_address + i for i in range(FIRST_HOST_OFFSET, lower.num_addresses)]
    needed = len(services) - len(overrides)
    if len(candidates) < len(services):
        smallest = next(p for p in range(30, 7, -1) if 2 ** (32 - p - 1) - FIRST_HOST_OFFSET >= len(services))
        raise StackError(
            "subnet",
            f"{subnet} is too small for {len(services)} services (they need {FIRST_HOST_OFFSET + len(services)} addresses in its lower half)",
            f"use a /{smallest} or larger",
        )
    taken: dict[ipaddress.IPv4Address | ipaddress.IPv6Address, str] = {}
    result: dict[str, str] = {}
    for service, raw in overrides.items():
        try:
            ip = ipaddress.ip_address(raw)
        except ValueError as exc:
            raise StackError(
                f"address for '{service}'", f"'{raw}' is not an IP address", "give an IPv4 address inside the subnet"
            ) from exc
        if ip not in net:
            raise StackError(
                f"address for '{service}'", f"{ip} is outside the subnet {subnet}", f"pick an address inside {subnet}"
            )
        if ip == net.network_address or ip == net.broadcast_address:
            raise StackError(
                f"address for '{service}'", f"{ip} is the network or broadcast address of {subnet}", "pick a host address"
            )
        if str(ip) == network.gateway:
            raise StackError(f"address for '{service}'", f"{ip} is the gateway of {subnet}", "pick another host address")
        if ip in ipaddress.ip_network(network.ip_range):
            raise StackError(
                f"address for '{service}'",
                f"{ip} is in {network.ip_range}, kept for Docker's dynamic addresses",
                f"pick an address in {lower}",
            )
        if ip in taken:
            raise StackError(
                f"address for '{service}'", f"{ip} is already used by '{taken[ip]}'", "give each service its own address"
            )
        taken[ip] = service
        result[service] = str(ip)
    free = (ip for ip in candidates if ip not in taken)
    for service in services:
        if service not in result:
            result[service] = str(next(free))
    assert needed >= 0
    return {service: result[service] for service in services}


def next_free_subnet(start: str, taken: Iterable[str]) -> str:
    """`start`, or the first network of its size after it that overlaps none of `taken`
    (wrapping around inside the private range that holds it)."""
    net = ipaddress.ip_network(start)
    others = [ipaddress.ip_network(t, strict=False) for t in taken]
    others = [o for o in others if o.version == net.version]
    blocks = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("172.16.0.0/12"), ipaddress.ip_network("192.168.0.0/16"))
    block = next((b for b in blocks if net.version == 4 and net.subnet_of(b)), net)  # type: ignore[arg-type]
    count = block.num_addresses // net.num_addresses
    first = (int(net.network_address) - int(block.network_address)) // net.num_addresses
    for step in range(count):
        candidate = ipaddress.ip_network(
            (int(block.network_address) + ((first + step) % count) * net.num_addresses, net.prefixlen)
        )
        if not any(candidate.overlaps(o) for o in others):
            return str(candidate)
    raise StackError(
        wording.field("--subnet"),
        f"no free /{net.prefixlen} left in {block}",
        f"pass {wording.option('--subnet')} with a range outside {block}",
    )
