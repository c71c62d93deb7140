"""NAT traversal in IKEv1 (RFC 3947), sans I/O: one IKE SA's share of it.

Both sides announce NAT-T with the RFC 3947 vendor ID in their first message. When both did,
the next pair of messages (Main Mode 3 and 4, Aggressive Mode 2 and 3) carries NAT-D payloads
(type 20): HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash, the first one of the
address and port the sender sends to, the next one of the address and port it sends from. The
receiver compares them with what it sees (RFC 3947 3.2):

- no NAT-D payload matches its own address and port: this end is behind a NAT;
- the sender's own hash does not match the packet's source: the other end is behind a NAT.

Either way a NAT sits in the path, and the initiator moves to UDP 4500 from Main Mode message
5 (Aggressive Mode message 3) on, each IKE message then led by the four-byte non-ESP marker
(RFC 3948 2.2); the responder follows the port it is spoken to on. The IPsec SAs are then
UDP-encapsulated tunnels (encapsulation mode 3, RFC 3947 5.1).

The driver tells the SA where its datagrams come from and go to (`observe`), because only the
driver sees the IP and UDP headers.
"""

from __future__ import annotations

import functools
import ipaddress
import struct
from dataclasses import dataclass, replace

from sim.ike import crypto
from sim.ike.ids import IkeId
from sim.ike.payloads import Message, PayloadType, RawPayload, VendorIDPayload
from sim.ike.vendor_ids import NAT_T_RFC3947, names_of

__all__ = ["IKE_PORT", "NAT_T_PORT", "NON_ESP_MARKER", "UDP_ENCAPSULATED_TUNNEL", "Endpoint",
           "NatDetected", "NatTraversal", "VendorIdsReceived", "nat_d_hash"]

IKE_PORT = 500
NAT_T_PORT = 4500
NON_ESP_MARKER = bytes(4)  # RFC 3948 2.2: an ESP SPI is never zero
UDP_ENCAPSULATED_TUNNEL = 3  # RFC 3947 5.1, the IPsec SA's encapsulation mode


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """An IPv4 address and UDP port, as one side of a datagram shows them."""

    address: str
    port: int

    def __post_init__(self) -> None:
        if not isinstance(self.address, str):
            raise TypeError(f"address must be a str, not {type(self.address).__name__}")
        _packed_address(self.address)  # ValueError for anything else
        if not isinstance(self.port, int) or not 0 <= self.port <= 0xFFFF:
            raise ValueError(f"port {self.port!r}: a UDP port is 0..65535")

    def packed(self) -> bytes:
        return _packed_address(self.address) + struct.pack("!H", self.port)

    def __str__(self) -> str:
        return f"{self.address}:{self.port}"


@functools.lru_cache(maxsize=4096)
def _packed_address(address: str) -> bytes:
    """An IPv4 address's four bytes; every message of a NAT-T negotiation names the same two
    endpoints, so each is parsed once. ValueError (not kept) for anything else."""
    return ipaddress.IPv4Address(address).packed


def nat_d_hash(alg: crypto.HashAlgorithm, icookie: bytes, rcookie: bytes,
               endpoint: Endpoint) -> bytes:
    """RFC 3947 3.2: HASH = HASH(CKY-I | CKY-R | IP | Port), with the negotiated hash."""
    return crypto.plain_hash(alg, icookie + rcookie + endpoint.packed())


@dataclass(frozen=True, kw_only=True)
class VendorIdsReceived:
    """The peer's first message carried these vendor IDs (names, unknown ones as hex)."""

    names: tuple[str, ...]
    nat_t: bool  # both sides announced RFC 3947


@dataclass(frozen=True, kw_only=True)
class NatDetected:
    """The NAT-D payloads were compared: where a NAT sits, if anywhere."""

    local_behind: bool
    remote_behind: bool

    @property
    def any(self) -> bool:
        return self.local_behind or self.remote_behind


class NatTraversal:
    """One IKE SA's NAT-T state: what we announced, what the peer did, what the NAT-D
    payloads showed."""

    def __init__(self, announced: tuple[bytes, ...]) -> None:
        self.enabled = NAT_T_RFC3947.data in announced
        self.peer_vendor_ids: tuple[bytes, ...] = ()
        self.local: Endpoint | None = None   # where we send from
        self.remote: Endpoint | None = None  # where the peer's datagrams come from
        self.detected: NatDetected | None = None

    @property
    def negotiated(self) -> bool:
        return self.enabled and NAT_T_RFC3947.data in self.peer_vendor_ids

    @property
    def behind_nat(self) -> bool:
        """Is a NAT in the path (so IKE floats to 4500 and ESP is UDP-encapsulated)?"""
        return self.detected is not None and self.detected.any

    def local_id(self, configured: IkeId) -> IkeId:
        """Our IKE ID as its payload goes out: port 4500 once a NAT moved the SA there (the
        guide reads "udp:500" in kmd's ID as "NAT-T was not negotiated")."""
        if self.behind_nat and configured.port == IKE_PORT:
            return replace(configured, port=NAT_T_PORT)
        return configured

    def observe(self, *, local: Endpoint, remote: Endpoint) -> None:
        self.local, self.remote = local, remote

    def read_vendor_ids(self, message: Message) -> VendorIdsReceived:
        self.peer_vendor_ids = tuple(v.data for v in message.all(VendorIDPayload))
        return VendorIdsReceived(names=names_of(self.peer_vendor_ids), nat_t=self.negotiated)

    def nat_d_payloads(self, alg: crypto.HashAlgorithm, icookie: bytes,
                       rcookie: bytes) -> list[RawPayload]:
        """Ours, when NAT-T was negotiated: the peer's endpoint first, then our own."""
        if not self.negotiated or self.local is None or self.remote is None:
            return []
        return [RawPayload(type=PayloadType.NAT_D,
                           data=nat_d_hash(alg, icookie, rcookie, end))
                for end in (self.remote, self.local)]

    def read_nat_d(self, message: Message, alg: crypto.HashAlgorithm, icookie: bytes,
                   rcookie: bytes) -> NatDetected | None:
        """Compare the peer's NAT-D payloads with what we see. None when NAT-T was not
        negotiated, or the peer sent fewer than two (it then does no NAT-T with us)."""
        if not self.negotiated or self.local is None or self.remote is None:
            return None
        hashes = [p.data for p in message.payloads
                  if isinstance(p, RawPayload) and p.type == PayloadType.NAT_D]
        if len(hashes) < 2:
            return None
        mine = nat_d_hash(alg, icookie, rcookie, self.local)
        theirs = nat_d_hash(alg, icookie, rcookie, self.remote)
        self.detected = NatDetected(local_behind=hashes[0] != mine,
                                    remote_behind=theirs not in hashes[1:])
        return self.detected
