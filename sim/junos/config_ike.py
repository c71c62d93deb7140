"""`security ike` as frozen values: proposals, policies, gateways and their identities,
traceoptions, and the enums their statements take (DH groups, encryption algorithms and
proposal sets are shared with `security ipsec`). Each value checks itself as Junos does at
commit; sim.junos.config_build fills them from the parsed tree.

Not in the PKI guide (Junos 9.3-12.3 references): lifetime-seconds 180..86400. The default
lifetime 28800 s agrees with the guide's IKE SA output (23282 s left).
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from pki.profiles import ConfigError, TraceFile, check_range, frozen_mapping
from sim.junos.config_dpd import DeadPeerDetection


class AuthenticationMethod(enum.Enum):
    RSA_SIGNATURES = "rsa-signatures"
    DSA_SIGNATURES = "dsa-signatures"
    ECDSA_SIGNATURES_256 = "ecdsa-signatures-256"
    ECDSA_SIGNATURES_384 = "ecdsa-signatures-384"
    PRE_SHARED_KEYS = "pre-shared-keys"


class DhGroup(enum.Enum):
    GROUP1 = "group1"
    GROUP2 = "group2"
    GROUP5 = "group5"
    GROUP14 = "group14"
    GROUP19 = "group19"
    GROUP20 = "group20"
    GROUP24 = "group24"


class IkeAuthenticationAlgorithm(enum.Enum):
    MD5 = "md5"
    SHA1 = "sha1"
    SHA_256 = "sha-256"
    SHA_384 = "sha-384"


class EncryptionAlgorithm(enum.Enum):
    DES_CBC = "des-cbc"
    TRIPLE_DES_CBC = "3des-cbc"
    AES_128_CBC = "aes-128-cbc"
    AES_192_CBC = "aes-192-cbc"
    AES_256_CBC = "aes-256-cbc"
    AES_128_GCM = "aes-128-gcm"  # IPsec only
    AES_192_GCM = "aes-192-gcm"
    AES_256_GCM = "aes-256-gcm"


class ProposalSet(enum.Enum):
    BASIC = "basic"
    COMPATIBLE = "compatible"
    STANDARD = "standard"


class IkeMode(enum.Enum):
    MAIN = "main"
    AGGRESSIVE = "aggressive"


class PeerCertificateType(enum.Enum):
    X509_SIGNATURE = "x509-signature"
    PKCS7 = "pkcs7"


class IdentityType(enum.Enum):
    INET = "inet"
    HOSTNAME = "hostname"
    USER_AT_HOSTNAME = "user-at-hostname"
    DISTINGUISHED_NAME = "distinguished-name"


class IkeVersion(enum.Enum):
    V1_ONLY = "v1-only"
    V2_ONLY = "v2-only"


class IkeTraceFlag(enum.Enum):
    ALL = "all"
    CERTIFICATES = "certificates"
    DATABASE = "database"
    GENERAL = "general"
    IKE = "ike"
    PARSE = "parse"
    POLICY_MANAGER = "policy-manager"
    ROUTING_SOCKET = "routing-socket"
    TIMER = "timer"


IKE_LIFETIME_DEFAULT = 28800
NAT_KEEPALIVE_DEFAULT = 5  # seconds (nat-keepalive)


def check_names(value: tuple[str, ...]) -> tuple[str, ...]:
    """A tuple of non-empty names (also used by the ipsec and zones values)."""
    if isinstance(value, str) or not all(isinstance(v, str) and v for v in value):
        raise TypeError("expected a tuple of non-empty names")
    return tuple(value)


# ISAKMP numbers each proposal or transform of an offer in one byte (RFC 2408 3.5, 3.6).
MAX_PROPOSALS = 255


def check_proposals(policy: str, proposals: tuple[str, ...]) -> tuple[str, ...]:
    """A policy's `proposals`: names, as many as one ISAKMP offer can carry."""
    proposals = check_names(proposals)
    if len(proposals) > MAX_PROPOSALS:
        raise ConfigError(f"policy {policy} proposals",
                          f"{len(proposals)} proposals; an offer carries at most "
                          f"{MAX_PROPOSALS} (ISAKMP numbers them in one byte)")
    return proposals


def check_kind(stmt: str, value: object, cls: type) -> None:
    """None or an instance of `cls` (also used by the ipsec values)."""
    if value is not None and not isinstance(value, cls):
        raise TypeError(f"{stmt} must be a {cls.__name__}, not {type(value).__name__}")


@dataclass(frozen=True, kw_only=True)
class IkeTraceoptions:
    """`security ike traceoptions`; without a file name tracing goes to the kmd log."""

    file: TraceFile = field(default_factory=TraceFile)
    flags: frozenset[IkeTraceFlag] = frozenset()
    no_remote_trace: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "flags", frozenset(self.flags))
        if not all(isinstance(f, IkeTraceFlag) for f in self.flags):
            raise TypeError("flags must be IkeTraceFlag values")

    def traces(self, flag: IkeTraceFlag) -> bool:
        return flag in self.flags or IkeTraceFlag.ALL in self.flags


@dataclass(frozen=True, kw_only=True)
class IkeProposal:
    """`security ike proposal NAME`; None means not configured."""

    name: str
    authentication_method: AuthenticationMethod | None = None
    dh_group: DhGroup | None = None
    authentication_algorithm: IkeAuthenticationAlgorithm | None = None
    encryption_algorithm: EncryptionAlgorithm | None = None
    lifetime_seconds: int | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        check_kind("authentication-method", self.authentication_method, AuthenticationMethod)
        check_kind("dh-group", self.dh_group, DhGroup)
        check_kind("authentication-algorithm", self.authentication_algorithm,
              IkeAuthenticationAlgorithm)
        check_kind("encryption-algorithm", self.encryption_algorithm, EncryptionAlgorithm)
        if self.encryption_algorithm is not None and self.encryption_algorithm.value.endswith(
                "gcm"):
            raise ConfigError(f"proposal {self.name} encryption-algorithm "
                              f"{self.encryption_algorithm.value}", "not an IKE algorithm")
        check_range(f"proposal {self.name} lifetime-seconds", self.lifetime_seconds, 180, 86400)

    @property
    def effective_lifetime_seconds(self) -> int:
        return IKE_LIFETIME_DEFAULT if self.lifetime_seconds is None else self.lifetime_seconds


@dataclass(frozen=True, kw_only=True)
class IkePolicy:
    """`security ike policy NAME`, with its `certificate { ... }` statements flattened."""

    name: str
    mode: IkeMode = IkeMode.MAIN
    proposals: tuple[str, ...] = ()
    proposal_set: ProposalSet | None = None
    local_certificate: str | None = None
    peer_certificate_type: PeerCertificateType | None = None
    trusted_ca: str | None = None  # a ca-profile name
    trusted_ca_use_all: bool = False
    pre_shared_key: str | None = field(default=None, repr=False)
    pre_shared_key_hexadecimal: bool = False  # `pre-shared-key hexadecimal`, not ascii-text
    description: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "proposals", check_proposals(self.name, self.proposals))
        check_kind("mode", self.mode, IkeMode)
        check_kind("proposal-set", self.proposal_set, ProposalSet)
        check_kind("peer-certificate-type", self.peer_certificate_type, PeerCertificateType)
        if self.trusted_ca is not None and self.trusted_ca_use_all:
            raise ConfigError(f"policy {self.name} certificate trusted-ca",
                              "use-all and a ca-profile are exclusive")


@dataclass(frozen=True, kw_only=True)
class IkeIdentity:
    """An IKE ID as configured: local-identity, remote-identity or a dynamic peer."""

    type: IdentityType
    value: str | None = None  # None for a distinguished-name taken from the certificate
    container: str | None = None  # distinguished-name container / wildcard matching
    wildcard: str | None = None

    def __post_init__(self) -> None:
        check_kind("identity type", self.type, IdentityType)
        stmt = self.type.value
        if self.type is IdentityType.DISTINGUISHED_NAME:
            if self.value is not None:
                raise ConfigError(stmt, "takes container/wildcard, not a value")
            return
        if not self.value or not isinstance(self.value, str):
            raise ConfigError(stmt, "a value is required")
        if self.container is not None or self.wildcard is not None:
            raise ConfigError(stmt, "container/wildcard belong to distinguished-name")
        if self.type is IdentityType.INET:
            try:
                ipaddress.IPv4Address(self.value)
            except ValueError:
                raise ConfigError(f"{stmt} {self.value}", "not an IPv4 address") from None
        if self.type is IdentityType.USER_AT_HOSTNAME and "@" not in self.value:
            raise ConfigError(f"{stmt} {self.value}", "not an e-mail address")


@dataclass(frozen=True, kw_only=True)
class IkeGateway:
    """`security ike gateway NAME`: a static peer (`address`) or a `dynamic` one."""

    name: str
    ike_policy: str | None
    external_interface: str | None
    addresses: tuple[str, ...] = ()
    dynamic: IkeIdentity | None = None
    local_identity: IkeIdentity | None = None
    remote_identity: IkeIdentity | None = None
    local_address: str | None = None
    version: IkeVersion | None = None
    no_nat_traversal: bool = False
    dead_peer_detection: DeadPeerDetection | None = None
    nat_keepalive: int = NAT_KEEPALIVE_DEFAULT  # seconds between keepalives behind a NAT

    def __post_init__(self) -> None:
        object.__setattr__(self, "addresses", check_names(self.addresses))
        check_kind("dead_peer_detection", self.dead_peer_detection, DeadPeerDetection)
        stmt = f"gateway {self.name}"
        for attr in ("dynamic", "local_identity", "remote_identity"):
            check_kind(attr, getattr(self, attr), IkeIdentity)
        check_kind("version", self.version, IkeVersion)
        if not self.ike_policy:
            raise ConfigError(stmt, "ike-policy must be configured")
        if not self.external_interface:
            raise ConfigError(stmt, "external-interface must be configured")
        if bool(self.addresses) == (self.dynamic is not None):
            raise ConfigError(stmt, "configure either address or dynamic")
        if len(self.addresses) > 5:  # Junos takes a primary and up to four backups
            raise ConfigError(f"{stmt} address", "at most 5 addresses")


@dataclass(frozen=True, kw_only=True)
class IkeConfig:
    proposals: Mapping[str, IkeProposal] = field(default_factory=frozen_mapping)
    policies: Mapping[str, IkePolicy] = field(default_factory=frozen_mapping)
    gateways: Mapping[str, IkeGateway] = field(default_factory=frozen_mapping)
    traceoptions: IkeTraceoptions | None = None

    def __post_init__(self) -> None:
        for name in ("proposals", "policies", "gateways"):
            object.__setattr__(self, name, frozen_mapping(getattr(self, name)))
