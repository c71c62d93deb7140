"""`nat:` on a link: a source NAT (NAPT) between the two devices, the inside one behind it.

    links:
      - {between: [Spoke, Hub], nat: {inside: Spoke, address: 198.51.100.7, timeout: 120s}}

`inside` is one of the link's two devices; `address` is the NAT's public address, an IPv4
address no device or server has; `timeout` is how long the NAT keeps an unused mapping
(default 120 s). See sim.nat for what the NAT does.
"""

from __future__ import annotations

from collections.abc import Mapping

from pki.files import shown
from sim.durations import parse_duration
from sim.nat import DEFAULT_TIMEOUT, NatSpec
from sim.servers import ServerSpec
from sim.topology.reader import Reader, ipv4
from sim.topology.values import DeviceEntry
from sim.topology.yaml_lines import Located

__all__ = ["read_nat", "used_addresses"]

_PATH = "links[].nat"


def _timeout(value: object) -> float:
    seconds = parse_duration(value, at_most=86400.0, positive=True)
    if seconds < 1.0:
        raise ValueError(f"{shown(value)}: at least 1s")
    return seconds


def read_nat(r: Reader, link: Located, pair: list[str], devices: Mapping[str, DeviceEntry],
             taken: set[str]) -> NatSpec | None:
    """The link's `nat:`, or None. `taken` holds every address a device or server has, and
    the public addresses of the NATs read before this one."""
    if link.get("nat") is None:
        return None
    entry = r.mapping(link, "nat", "links[]")
    r.only(entry, {"inside", "address", "timeout"}, _PATH)
    inside = entry.get("inside")
    if not isinstance(inside, str) or inside not in pair:
        raise r.fail(entry, "inside", f"{_PATH}.inside: {shown(inside)} is not one of the "
                                      f"link's devices ({pair[0]}, {pair[1]})")
    address = r.convert(entry, "address", _PATH, ipv4, required=True)
    if address in taken:
        raise r.fail(entry, "address", f"{_PATH}.address: {address} is already in use")
    taken.add(address)
    timeout = r.convert(entry, "timeout", _PATH, _timeout, default=DEFAULT_TIMEOUT)
    return NatSpec(inside=devices[inside].address, address=address, timeout=timeout)


def used_addresses(devices: Mapping[str, DeviceEntry],
                   servers: Mapping[str, ServerSpec] | None) -> set[str]:
    """Every address a device or server has: none of them can be a NAT's public address."""
    taken = {entry.address for entry in devices.values()}
    taken |= {server.address for server in (servers or {}).values()}
    return taken
