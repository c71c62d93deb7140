"""`security ipsec` as frozen values: proposals, policies and VPNs (with proxy-identity),
and the enums their statements take. Each value checks itself as Junos does at commit;
sim.junos.config_build fills them from the parsed tree.

Not in the PKI guide (Junos 9.3-12.3 references): lifetime-seconds 180..86400,
lifetime-kilobytes 64..1048576, idle-time 60..999999. The default lifetime 3600 s agrees with
the guide's IPsec SA output (1676 s left).
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from pki.profiles import ConfigError, check_range, frozen_mapping
from sim.junos.config_ike import (
    DhGroup,
    EncryptionAlgorithm,
    ProposalSet,
    check_kind,
    check_proposals,
)


class IpsecProtocol(enum.Enum):
    ESP = "esp"
    AH = "ah"


class IpsecAuthenticationAlgorithm(enum.Enum):
    HMAC_MD5_96 = "hmac-md5-96"
    HMAC_SHA1_96 = "hmac-sha1-96"
    HMAC_SHA_256_128 = "hmac-sha-256-128"


class EstablishTunnels(enum.Enum):
    IMMEDIATELY = "immediately"
    ON_TRAFFIC = "on-traffic"


class DfBit(enum.Enum):
    CLEAR = "clear"
    COPY = "copy"
    SET = "set"


IPSEC_LIFETIME_DEFAULT = 3600


@dataclass(frozen=True, kw_only=True)
class IpsecProposal:
    name: str
    protocol: IpsecProtocol | None = None
    authentication_algorithm: IpsecAuthenticationAlgorithm | None = None
    encryption_algorithm: EncryptionAlgorithm | None = None
    lifetime_seconds: int | None = None
    lifetime_kilobytes: int | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        check_kind("protocol", self.protocol, IpsecProtocol)
        check_kind("authentication-algorithm", self.authentication_algorithm,
              IpsecAuthenticationAlgorithm)
        check_kind("encryption-algorithm", self.encryption_algorithm, EncryptionAlgorithm)
        stmt = f"proposal {self.name}"
        check_range(f"{stmt} lifetime-seconds", self.lifetime_seconds, 180, 86400)
        check_range(f"{stmt} lifetime-kilobytes", self.lifetime_kilobytes, 64, 1048576)
        if self.protocol is IpsecProtocol.AH and self.encryption_algorithm is not None:
            raise ConfigError(f"{stmt} encryption-algorithm", "AH does not encrypt")

    @property
    def effective_lifetime_seconds(self) -> int:
        return IPSEC_LIFETIME_DEFAULT if self.lifetime_seconds is None else self.lifetime_seconds


@dataclass(frozen=True, kw_only=True)
class IpsecPolicy:
    name: str
    perfect_forward_secrecy: DhGroup | None = None  # perfect-forward-secrecy keys
    proposals: tuple[str, ...] = ()
    proposal_set: ProposalSet | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "proposals", check_proposals(self.name, self.proposals))
        check_kind("perfect-forward-secrecy keys", self.perfect_forward_secrecy, DhGroup)
        check_kind("proposal-set", self.proposal_set, ProposalSet)


@dataclass(frozen=True, kw_only=True)
class ProxyIdentity:
    local: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    remote: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    service: str | None = None


@dataclass(frozen=True, kw_only=True)
class IpsecVpn:
    """`security ipsec vpn NAME` keyed by IKE (`ike gateway`, `ike ipsec-policy`)."""

    name: str
    gateway: str | None
    ipsec_policy: str | None
    bind_interface: str | None = None
    proxy_identity: ProxyIdentity | None = None
    idle_time: int | None = None
    no_anti_replay: bool = False
    establish_tunnels: EstablishTunnels | None = None
    df_bit: DfBit | None = None

    def __post_init__(self) -> None:
        stmt = f"vpn {self.name}"
        if not self.gateway:
            raise ConfigError(stmt, "ike gateway must be configured")
        if not self.ipsec_policy:
            raise ConfigError(stmt, "ike ipsec-policy must be configured")
        check_kind("proxy-identity", self.proxy_identity, ProxyIdentity)
        check_kind("establish-tunnels", self.establish_tunnels, EstablishTunnels)
        check_kind("df-bit", self.df_bit, DfBit)
        check_range(f"{stmt} ike idle-time", self.idle_time, 60, 999999)


@dataclass(frozen=True, kw_only=True)
class IpsecConfig:
    proposals: Mapping[str, IpsecProposal] = field(default_factory=frozen_mapping)
    policies: Mapping[str, IpsecPolicy] = field(default_factory=frozen_mapping)
    vpns: Mapping[str, IpsecVpn] = field(default_factory=frozen_mapping)

    def __post_init__(self) -> None:
        for name in ("proposals", "policies", "vpns"):
            object.__setattr__(self, name, frozen_mapping(getattr(self, name)))
