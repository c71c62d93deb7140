"""Traffic events: hosts behind a device send through its IPsec VPN.

    events:
      - {at: 30s, ping: {from: Host-A, to: 10.2.0.1, count: 5, size: 100}}
      - {at: 40s, flow: {from: Host-A, to: 10.2.0.1, rate: 100pps, duration: 60s, size: 1000}}

`from` is the device whose protected network the packets leave; `to` (IPv4 or IPv6) must
lie in the remote proxy ID of one of its VPNs; `source` (optional) in the same VPN's local
proxy ID, by default its first host (given explicitly when the VPN protects every address).
A ping sends `count` ICMP (ICMPv6) echo requests (default 5) of `size` data bytes (default 56,
as Junos's ping), one every `interval` (default 1s); a flow sends UDP datagrams of `size`
data bytes (default 1000) at `rate` packets a second for `duration`. Checked at load like
every event: one line, exit 2.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from types import MappingProxyType

from pki.files import shown
from sim.ike.ids import render
from sim.topology.durations import parse_duration
from sim.topology.limits import LONGEST_RUN
from sim.topology.reader import Reader, integer, run_time
from sim.topology.traffic_plan import Protected, covers, first_host, protected
from sim.topology.values import DeviceEntry, EventEntry, TopologyError
from sim.topology.yaml_lines import Located

TRAFFIC_ARGS = {
    "ping": {"from", "to", "source", "count", "size", "interval"},
    "flow": {"from", "to", "source", "rate", "duration", "size"},
}
_REQUIRED = {"ping": ("from", "to"), "flow": ("from", "to", "rate", "duration")}
MAX_PACKETS = 1_000_000  # per event, and in all: each is simulated and kept for the capture
MAX_BYTES = 256 * 1024 * 1024  # of inner packets in all (a ping's replies count too)
MAX_SIZE = 65_000  # data bytes: the inner packet and ESP still fit one IPv4 datagram
MAX_RATE = 100_000.0  # packets a second
_RATE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(pps)?\s*")


def rate(value: object) -> float:
    """`100pps`, `0.5pps` or a number of packets a second."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a rate")
    if isinstance(value, int | float):
        number = float(value)
    else:
        match = _RATE.fullmatch(value) if isinstance(value, str) and len(value) < 40 else None
        if match is None:
            raise ValueError(f"{shown(value)} is not a rate (e.g. 100pps)")
        number = float(match.group(1))
    if not 0.001 <= number <= MAX_RATE:
        raise ValueError(f"{shown(value)}: 0.001pps..{MAX_RATE:,.0f}pps")
    return number


def address(value: object) -> str:
    """An IPv4 or IPv6 address, as ikesim writes it back."""
    try:
        if not isinstance(value, str) or len(value) > 64:
            raise ValueError
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"{shown(value)} is not an IP address") from None


def _positive_duration(value: object) -> float:
    return parse_duration(value, at_most=LONGEST_RUN, positive=True)


def read_traffic(r: Reader, item: Located, action: str, args: Mapping[str, object],
                 devices: Mapping[str, DeviceEntry]) -> EventEntry:
    """A ping or flow event, every value checked against the device's VPNs."""
    path = f"events.{action}"
    where = args if isinstance(args, Located) else item
    r.arguments(args, where, path, TRAFFIC_ARGS[action], _REQUIRED[action])
    device = r.reference(where, "from", path, devices, "device")
    vpns = protected(devices[device].config)
    to = r.convert(where, "to", path, address, required=True)
    vpn = next((v for v in vpns if covers(v.remote, to)), None)
    if vpn is None:
        raise r.fail(where, "to", f"{path}.to: {to} is in no network {device}'s IPsec VPNs "
                                  f"protect ({_networks(vpns)})")
    source = r.convert(where, "source", path, address)
    if source is None:
        source = first_host(vpn.local)
        if source is None:
            raise r.fail(where, None, f"{path}: {device}'s VPN {vpn.vpn} protects every local "
                                      "address; give a source")
    elif not covers(vpn.local, source):
        raise r.fail(where, "source", f"{path}.source: {source} is not in the local proxy ID "
                                      f"of {device}'s VPN {vpn.vpn} "
                                      f"({render(vpn.local)})")
    values: dict[str, object] = {"from": device, "to": to, "source": source,
                                 "size": r.convert(where, "size", path, integer(0, MAX_SIZE),
                                                   default=56 if action == "ping" else 1000)}
    if action == "ping":
        values["count"] = r.convert(where, "count", path, integer(1, MAX_PACKETS), default=5)
        values["interval"] = r.convert(where, "interval", path, _positive_duration, default=1.0)
    else:
        values["rate"] = r.convert(where, "rate", path, rate, required=True)
        values["duration"] = r.convert(where, "duration", path, _positive_duration,
                                       required=True)
        packets = values["rate"] * values["duration"]  # type: ignore[operator]
        if packets < 1:
            raise r.fail(where, "rate", f"{path}: {packets:g} packets (rate x duration); at "
                                        "least 1")
        if packets > MAX_PACKETS:
            raise r.fail(where, "rate", f"{path}: {packets:,.0f} packets (rate x duration); "
                                        f"at most {MAX_PACKETS:,} per flow")
    at = r.convert(item, "at", "events", run_time, required=True)
    return EventEntry(at=at, action=action, args=MappingProxyType(values), line=item.line)


def _networks(vpns: tuple[Protected, ...]) -> str:
    if not vpns:
        return "it has no IPsec VPN"
    return "; ".join(f"{v.vpn}: {render(v.local)} -> {render(v.remote)}" for v in vpns)


def check_traffic_total(r: Reader, events: list[EventEntry]) -> None:
    """All traffic events together: at most MAX_PACKETS packets and MAX_BYTES bytes (the
    network keeps every packet for the capture), refused at the event that goes past."""
    packets = size = 0
    for event in events:
        if event.action == "ping":
            count = 2 * event.args["count"]  # type: ignore[operator]
        elif event.action == "flow":
            count = int(event.args["rate"] * event.args["duration"])  # type: ignore[operator]
        else:
            continue
        packets += count
        size += count * (28 + event.args["size"])  # type: ignore[operator]
        if packets > MAX_PACKETS or size > MAX_BYTES:
            raise TopologyError(r.source, event.line, f"events.{event.action}: with this one "
                                f"the traffic events send {packets:,} packets of {size:,} "
                                f"bytes; at most {MAX_PACKETS:,} and {MAX_BYTES:,} in all")
