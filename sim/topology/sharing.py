"""One object for the parts of the devices' configurations that are alike.

The members of a device group (sim.topology.expand) are configured from one template: their
CA profiles, IKE proposals, IPsec configuration, zones and policies come out equal, and only
the parts that name the member (its address, its local certificate) differ. Each member's
parsed configuration then holds the first member's objects for the equal parts, so 100,000
spokes hold one copy of them, not 100,000 (and code that remembers something per
configuration object finds it once for all).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from sim.junos.config import DeviceConfig

# DeviceConfig fields, and IkeConfig fields, a group's members usually have alike.
_DEVICE_FIELDS = ("pki", "ipsec", "policies", "zones", "static_routes")
_IKE_FIELDS = ("proposals", "policies", "gateways", "traceoptions")
T = TypeVar("T")


class SharedParts:
    """The parts seen so far; `config` returns a configuration equal to the one it is given,
    holding those parts where they are equal."""

    def __init__(self) -> None:
        self._seen: dict[str, object] = {}

    def config(self, config: DeviceConfig) -> DeviceConfig:
        changes = self._changes(config, _DEVICE_FIELDS, "")
        ike = config.ike
        ike_changes = self._changes(ike, _IKE_FIELDS, "ike.")
        if ike_changes:
            changes["ike"] = replace(ike, **ike_changes)
        return replace(config, **changes) if changes else config

    def one(self, key: str, part: T) -> T:
        """`part`, or the equal part seen last under `key`."""
        seen = self._seen.setdefault(key, part)
        if seen is part or seen == part:
            return seen  # type: ignore[return-value]
        self._seen[key] = part  # a device unlike the last: share from this one on
        return part

    def _changes(self, value: object, fields: tuple[str, ...], prefix: str) -> dict[str, object]:
        changes = {}
        for name in fields:
            part = getattr(value, name)
            shared = self.one(prefix + name, part)
            if shared is not part:
                changes[name] = shared
        return changes
