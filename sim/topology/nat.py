"""`nat:` on a link: a source NAT (NAPT) between the two devices, the inside one behind it.

    links:
      - {between: [Spoke, Hub], nat: {inside: Spoke, address: 198.51.100.7, timeout: 120s}}

`inside` is one of the link's two devices; `address` is the NAT's public address, a unicast
IPv4 address no device or server has; `timeout` is how long the NAT keeps an unused mapping
(default 120 s). See sim.world.nat for what the NAT does.

A NAT translates everything its inside device sends, whatever the destination (it is that
device's way out), so a device is behind one NAT at most, and a device behind a NAT is not the
outside end of another one (its answers would leave through its own NAT, from an address the
other NAT never sent to, and be dropped). Both are refused at load.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from pki.files import shown
from sim.topology.durations import parse_duration
from sim.topology.reader import Reader, ipv4
from sim.topology.specs import DEFAULT_NAT_TIMEOUT, NatSpec, ServerSpec
from sim.topology.values import DeviceEntry
from sim.topology.yaml_lines import Located

__all__ = ["read_nat", "used_addresses"]

_PATH = "links[].nat"


def _timeout(value: object) -> float:
    seconds = parse_duration(value, at_most=86400.0, positive=True)
    if seconds < 1.0:
        raise ValueError(f"{shown(value)}: at least 1s")
    return seconds


_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


def _public(value: object) -> str:
    address = ipv4(value)
    parsed = ipaddress.IPv4Address(address)
    if (parsed.is_unspecified or parsed.is_loopback or parsed.is_multicast
            or parsed.is_reserved or parsed.is_link_local or parsed == _BROADCAST):
        raise ValueError(f"{address} is not a unicast address a NAT can answer on")
    return address


def read_nat(r: Reader, link: Located, pair: list[str], devices: Mapping[str, DeviceEntry],
             taken: set[str], read: list[tuple[str, str, str]]) -> NatSpec | None:
    """The link's `nat:`, or None. `taken` holds every address a device or server has, and
    the public addresses of the NATs read before this one; `read` their (inside, outside,
    address). Both are added to."""
    if link.get("nat") is None:
        return None
    entry = r.mapping(link, "nat", "links[]")
    r.only(entry, {"inside", "address", "timeout"}, _PATH)
    inside = entry.get("inside")
    if not isinstance(inside, str) or inside not in pair:
        raise r.fail(entry, "inside", f"{_PATH}.inside: {shown(inside)} is not one of the "
                                      f"link's devices ({pair[0]}, {pair[1]})")
    address = r.convert(entry, "address", _PATH, _public, required=True)
    if address in taken:
        raise r.fail(entry, "address", f"{_PATH}.address: {address} is already in use")
    outside = pair[1] if inside == pair[0] else pair[0]
    for other_inside, other_outside, other in read:
        if inside == other_inside:
            raise r.fail(entry, "inside", f"{_PATH}.inside: {inside} is already behind the NAT "
                                          f"{other}; a device has one NAT, on its way out")
        if outside == other_inside or inside == other_outside:
            behind_one, of = ((outside, inside) if outside == other_inside
                              else (inside, other_inside))
            raise r.fail(entry, "inside", f"{_PATH}: {behind_one} would be behind one NAT and "
                                          f"the outside of {of}'s; its answers would leave "
                                          "through its own NAT and be dropped")
    taken.add(address)
    read.append((inside, outside, address))
    timeout = r.convert(entry, "timeout", _PATH, _timeout, default=DEFAULT_NAT_TIMEOUT)
    return NatSpec(inside=devices[inside].address, address=address, timeout=timeout)


def used_addresses(devices: Mapping[str, DeviceEntry],
                   servers: Mapping[str, ServerSpec] | None) -> set[str]:
    """Every address a device or server has: none of them can be a NAT's public address."""
    taken = {entry.address for entry in devices.values()}
    taken |= {server.address for server in (servers or {}).values()}
    return taken
