"""What a topology says about the world's parts, as frozen values checked when built: a CRL,
SCEP or OCSP server (ServerSpec), a link (LinkSpec, with its MTU and what it does with IP
fragments), a NAT (NatSpec), and the host and path a URL names. sim.topology reads them from
the file; sim.world builds the servers, network and NAT from them.

MTU limits: 576..9216. RFC 791's floor is 68 (a router must forward 68 octets unfragmented),
but every IPv4 host must accept 576-byte datagrams and no Internet path carrying IKE runs
below it; 9216 is the largest jumbo frame SRX interfaces take.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_MTU = 1500
MIN_MTU = 576
MAX_MTU = 9216
DEFAULT_NAT_TIMEOUT = 120.0  # RFC 4787 REQ-5: a UDP mapping lasts at least 120 s by default


class FragmentError(ValueError):
    """A datagram that no IPv4 packet can carry (over 65,535 bytes), or a bad MTU."""


def check_mtu(mtu: int) -> int:
    if isinstance(mtu, bool) or not isinstance(mtu, int):
        raise FragmentError(f"mtu {mtu!r}: a whole number of bytes")
    if not MIN_MTU <= mtu <= MAX_MTU:
        raise FragmentError(f"mtu {mtu}: out of range ({MIN_MTU}..{MAX_MTU})")
    return mtu


@dataclass(frozen=True, kw_only=True)
class ServerSpec:
    name: str
    address: str
    hostnames: tuple[str, ...] = ()
    latency: float = 0.02  # seconds, one request-response
    capacity: int = 4  # concurrent downloads
    bandwidth: float = 1_250_000.0  # bytes per second (10 Mbit/s)
    protocols: tuple[str, ...] = ("http", "ldap")

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError(f"server {self.name}: capacity must be at least 1")
        if self.latency < 0 or self.bandwidth <= 0:
            raise ValueError(f"server {self.name}: latency >= 0 and bandwidth > 0 required")


def path_of(url: str) -> str:
    """The path (and query) under which a server keeps what a URL names."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class Fragments(enum.Enum):
    """What a link does with IP fragments."""

    ALLOW = "allow"
    DROP = "drop"


@dataclass(frozen=True, kw_only=True)
class LinkSpec:
    """One direction-agnostic link: one-way delay in seconds, jitter, and loss probability."""

    latency: float = 0.005
    jitter: float = 0.0
    loss: float = 0.0
    mtu: int = DEFAULT_MTU
    fragments: Fragments = Fragments.ALLOW

    def __post_init__(self) -> None:
        if self.latency < 0 or self.jitter < 0:
            raise ValueError(f"latency {self.latency} and jitter {self.jitter} must be >= 0")
        if not 0.0 <= self.loss <= 1.0:
            raise ValueError(f"loss {self.loss}: must be between 0 and 1")
        check_mtu(self.mtu)
        if not isinstance(self.fragments, Fragments):
            raise TypeError(f"fragments {self.fragments!r}: a Fragments value")


@dataclass(frozen=True, kw_only=True)
class NatSpec:
    """The NAT of one link: the inside device's address and the public address it gets."""

    inside: str
    address: str
    timeout: float = DEFAULT_NAT_TIMEOUT

    def __post_init__(self) -> None:
        for what in ("inside", "address"):
            ipaddress.IPv4Address(getattr(self, what))  # ValueError for anything else
        if self.inside == self.address:
            raise ValueError(f"nat address {self.address} is the inside device's own address")
        if not 1.0 <= self.timeout <= 86400.0:
            raise ValueError(f"nat timeout {self.timeout}: must be 1 s .. 1 day")
