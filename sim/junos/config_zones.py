"""`security policies`, `security zones`, `interfaces` and `routing-options static` as frozen
values: tunnel and plain policies between zones, zones with their interfaces, host-inbound
traffic and address books, logical units with their addresses, static routes. Each value
checks itself as Junos does at commit; sim.junos.config_build fills them from the parsed tree
and checks the references between them.

Logical unit numbers 0..16384 are from memory, not confirmed.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from pki.profiles import ConfigError, check_range, frozen_mapping
from sim.junos.config_ike import check_names


class PolicyAction(enum.Enum):
    PERMIT = "permit"
    DENY = "deny"
    REJECT = "reject"


@dataclass(frozen=True, kw_only=True)
class SecurityPolicy:
    """`security policies from-zone A to-zone B policy NAME`, in configuration order."""

    name: str
    from_zone: str
    to_zone: str
    source_addresses: tuple[str, ...]
    destination_addresses: tuple[str, ...]
    applications: tuple[str, ...]
    action: PolicyAction
    ipsec_vpn: str | None = None  # then permit tunnel ipsec-vpn
    pair_policy: str | None = None

    def __post_init__(self) -> None:
        stmt = f"from-zone {self.from_zone} to-zone {self.to_zone} policy {self.name}"
        for attr, words in (("source_addresses", "match source-address"),
                            ("destination_addresses", "match destination-address"),
                            ("applications", "match application")):
            if not getattr(self, attr):
                raise ConfigError(stmt, f"{words} must be configured")
            object.__setattr__(self, attr, check_names(getattr(self, attr)))
        if not isinstance(self.action, PolicyAction):
            raise ConfigError(stmt, "then permit, deny or reject must be configured")
        if self.pair_policy and not self.ipsec_vpn:
            raise ConfigError(f"{stmt} then permit tunnel pair-policy", "needs ipsec-vpn")


@dataclass(frozen=True, kw_only=True)
class HostInboundTraffic:
    system_services: frozenset[str] = frozenset()
    protocols: frozenset[str] = frozenset()

    def allows(self, service: str) -> bool:
        return service in self.system_services or "all" in self.system_services


@dataclass(frozen=True, kw_only=True)
class ZoneInterface:
    name: str
    host_inbound_traffic: HostInboundTraffic | None = None  # None: the zone's applies


@dataclass(frozen=True, kw_only=True)
class SecurityZone:
    name: str
    interfaces: Mapping[str, ZoneInterface] = field(default_factory=frozen_mapping)
    host_inbound_traffic: HostInboundTraffic = field(default_factory=HostInboundTraffic)
    address_book: Mapping[str, ipaddress.IPv4Network] = field(default_factory=frozen_mapping)

    def __post_init__(self) -> None:
        object.__setattr__(self, "interfaces", frozen_mapping(self.interfaces))
        object.__setattr__(self, "address_book", frozen_mapping(self.address_book))

    def accepts(self, interface: str, service: str) -> bool:
        """Whether host-inbound `service` (e.g. "ike") is allowed on `interface`."""
        entry = self.interfaces.get(interface)
        if entry is None:
            return False
        hit = entry.host_inbound_traffic or self.host_inbound_traffic
        return hit.allows(service)


@dataclass(frozen=True, kw_only=True)
class LogicalUnit:
    number: int
    addresses: tuple[ipaddress.IPv4Interface, ...] = ()

    def __post_init__(self) -> None:
        check_range("unit", self.number, 0, 16384)


@dataclass(frozen=True, kw_only=True)
class Interface:
    name: str
    units: Mapping[int, LogicalUnit] = field(default_factory=frozen_mapping)

    def __post_init__(self) -> None:
        object.__setattr__(self, "units", frozen_mapping(self.units))


@dataclass(frozen=True, kw_only=True)
class StaticRoute:
    """`routing-options static route PREFIX next-hop HOP`: HOP an address or an interface
    (`st0.1`, a route-based VPN's tunnel). Accepted and checked; ikesim looks up no route."""

    destination: ipaddress.IPv4Network
    next_hops: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address | str, ...]

    def __post_init__(self) -> None:
        if not self.next_hops:
            raise ConfigError(f"route {self.destination}", "next-hop must be configured")
        hops = []
        for hop in self.next_hops:
            try:
                hops.append(ipaddress.ip_address(hop))
            except ValueError:
                hops.append(check_names((hop,))[0])  # an interface name
        object.__setattr__(self, "next_hops", tuple(hops))
