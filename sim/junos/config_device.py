"""One SRX device's whole configuration as a frozen value, `DeviceConfig`: the PKI, IKE,
IPsec, policy, zone, interface and static-route values side by side, with lookups across
them (the zone of an interface, the policies between two zones), and the statements that
were accepted without being modelled (`UnmodelledStatement`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pki.profiles import PkiConfig, frozen_mapping
from sim.junos.config_ike import IkeConfig
from sim.junos.config_ipsec import IpsecConfig
from sim.junos.config_zones import Interface, SecurityPolicy, SecurityZone, StaticRoute


@dataclass(frozen=True, kw_only=True)
class UnmodelledStatement:
    """A valid Junos statement ikesim accepts without modelling it (dead-peer-detection,
    vpn-monitor, a static route, the first statement of `system`, ...). `line` is its 1-based
    line in the configuration text parsed; `statement` is the statement without `set`, as
    normalised (e.g. `security ike gateway gw1 dead-peer-detection interval 10`)."""

    line: int
    statement: str

    def __post_init__(self) -> None:
        if isinstance(self.line, bool) or not isinstance(self.line, int) or self.line < 1:
            raise ValueError(f"line must be a positive int, not {self.line!r}")
        if not isinstance(self.statement, str) or not self.statement:
            raise ValueError("statement must be a non-empty str")


@dataclass(frozen=True, kw_only=True)
class DeviceConfig:
    """What `parse_config` returns. `ignored`, `notes` and `unmodelled` are records, not
    compared. `unmodelled` holds one statement per unmodelled statement (per gateway, VPN,
    route ...) and per ignored hierarchy (`system`, `security nat`, ...): its first."""

    source: str
    pki: PkiConfig = field(default_factory=PkiConfig)
    ike: IkeConfig = field(default_factory=IkeConfig)
    ipsec: IpsecConfig = field(default_factory=IpsecConfig)
    policies: tuple[SecurityPolicy, ...] = ()
    zones: Mapping[str, SecurityZone] = field(default_factory=frozen_mapping)
    interfaces: Mapping[str, Interface] = field(default_factory=frozen_mapping)
    static_routes: tuple[StaticRoute, ...] = ()
    ignored: tuple[str, ...] = field(default=(), compare=False)
    notes: tuple[str, ...] = field(default=(), compare=False)
    unmodelled: tuple[UnmodelledStatement, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zones", frozen_mapping(self.zones))
        object.__setattr__(self, "interfaces", frozen_mapping(self.interfaces))

    def zone_of(self, interface: str) -> SecurityZone | None:
        """The security zone `interface` (e.g. "ge-0/0/3.0") belongs to."""
        return next((z for z in self.zones.values() if interface in z.interfaces), None)

    def policies_between(self, from_zone: str, to_zone: str) -> tuple[SecurityPolicy, ...]:
        return tuple(p for p in self.policies
                     if p.from_zone == from_zone and p.to_zone == to_zone)
