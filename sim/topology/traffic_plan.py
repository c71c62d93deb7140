"""Which traffic a device's IPsec VPNs protect: each VPN's proxy IDs (its tunnel policy's
addresses, its `proxy-identity`, or 0.0.0.0/0 both ways for a route-based VPN without one), and
whether an address lies in a proxy ID. Read by the topology's traffic events (checked at load)
and by sim.world.traffic (which VPN a packet with no SA would bring up)."""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass

from sim.ike.ids import IkeId
from sim.junos.config import DeviceConfig
from sim.topology.phase2_plan import Phase2PlanError, plan

TRIGGER_HOLD_DOWN = 10.0  # seconds between traffic-started negotiations of one gateway


@dataclass(frozen=True, kw_only=True)
class Protected:
    """One VPN: the addresses behind this device (`local`) and behind its peer (`remote`)."""

    vpn: str
    gateway: str
    local: IkeId
    remote: IkeId


def covers(ike_id: IkeId, address: str) -> bool:
    """Is `address` (IPv4 or IPv6) one of the addresses the proxy ID names?"""
    span = _span(ike_id)
    if span is None:
        return False
    version, value = _address(address)
    family, first, last = span
    return version == family and first <= value <= last


# Every packet asks: a run's few proxy IDs and addresses are worked out once each.
@functools.lru_cache(maxsize=1024)
def _span(ike_id: IkeId) -> tuple[int, int, int] | None:
    return ike_id.covers()


@functools.lru_cache(maxsize=65536)
def _address(address: str) -> tuple[int, int]:
    ip = ipaddress.ip_address(address)
    return ip.version, int(ip)


def protected(config: DeviceConfig) -> tuple[Protected, ...]:
    """Every VPN of the configuration that has a gateway and a usable Phase-2 plan."""
    found = []
    for vpn in config.ipsec.vpns.values():
        gateway = config.ike.gateways.get(vpn.gateway or "")
        if gateway is None:
            continue
        try:
            p2 = plan(config, gateway.name, external_interface=gateway.external_interface)
        except Phase2PlanError:
            continue
        if p2 is None or p2.vpn.name != vpn.name:
            continue
        ids = p2.config.proxy_ids
        found.append(Protected(vpn=vpn.name, gateway=gateway.name, local=ids.local,
                               remote=ids.remote))
    return tuple(found)


def route(config: DeviceConfig, source: str, destination: str) -> Protected | None:
    """The first VPN whose proxy IDs hold traffic from `source` to `destination`."""
    return next((p for p in protected(config)
                 if covers(p.local, source) and covers(p.remote, destination)), None)


def first_host(ike_id: IkeId) -> str | None:
    """The address a host behind the device uses by default: the first of the proxy ID's range
    after its network address (the only one for a single address); None for 0.0.0.0/0."""
    span = ike_id.covers()
    if span is None:
        return None
    family, first, last = span
    if first == 0 and last == (1 << (32 if family == 4 else 128)) - 1:
        return None
    kind = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
    return str(kind(first + 1 if last - first >= 2 else first))
