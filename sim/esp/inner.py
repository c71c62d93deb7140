"""The IPv4 packets a tunnel carries between protected networks: ICMP echo request and reply
(what `ping` sends) and UDP datagrams (a flow), built and read back. A received inner packet is
the peer's bytes: `parse` checks every length before it trusts one."""

from __future__ import annotations

import functools
import ipaddress
import struct
from dataclasses import dataclass

PROTO_ICMP = 1
PROTO_UDP = 17
ICMP_ECHO_REPLY = 0
ICMP_ECHO_REQUEST = 8
IPV4_HEADER = 20
TTL = 64
DISCARD_PORT = 9  # a flow's datagrams go to the discard service (RFC 863)
MAX_DATA = 65535 - IPV4_HEADER - 8


class InnerMalformed(ValueError):
    """Decrypted bytes that are not an IPv4 packet we can read."""


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


@dataclass(frozen=True, kw_only=True)
class InnerPacket:
    """An IPv4 packet between two protected hosts. For ICMP, `ident` and `seq` are the echo's
    identifier and sequence; for UDP the source port is `ident`."""

    src: str
    dst: str
    protocol: int
    ident: int
    seq: int
    data: bytes
    icmp_type: int = ICMP_ECHO_REQUEST

    def __post_init__(self) -> None:
        for address in (self.src, self.dst):
            _packed(address)  # a ValueError names it
        if self.protocol not in (PROTO_ICMP, PROTO_UDP):
            raise ValueError(f"protocol {self.protocol}: ICMP (1) or UDP (17)")
        if not 0 <= self.ident <= 0xFFFF or not 0 <= self.seq <= 0xFFFF:
            raise ValueError(f"identifier {self.ident} and sequence {self.seq}: 16 bits")
        if len(self.data) > MAX_DATA:
            raise ValueError(f"{len(self.data)} data bytes: at most {MAX_DATA}")

    def reply(self) -> InnerPacket:
        """The echo reply a host sends back for this echo request."""
        return InnerPacket(src=self.dst, dst=self.src, protocol=PROTO_ICMP, ident=self.ident,
                           seq=self.seq, data=self.data, icmp_type=ICMP_ECHO_REPLY)

    def encode(self) -> bytes:
        s, d = _packed(self.src), _packed(self.dst)
        if self.protocol == PROTO_ICMP:
            body = struct.pack("!BBHHH", self.icmp_type, 0, 0, self.ident, self.seq) + self.data
            body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
        else:
            length = 8 + len(self.data)
            pseudo = s + d + struct.pack("!BBH", 0, PROTO_UDP, length)
            body = struct.pack("!HHHH", self.ident, DISCARD_PORT, length, 0) + self.data
            body = body[:6] + struct.pack("!H", checksum(pseudo + body) or 0xFFFF) + body[8:]
        head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, IPV4_HEADER + len(body), self.seq, 0, TTL,
                           self.protocol, 0, s, d)
        head = head[:10] + struct.pack("!H", checksum(head)) + head[12:]
        return head + body


# A run's packets come and go between a few hosts: each address is converted once.
@functools.lru_cache(maxsize=65536)
def _packed(address: str) -> bytes:
    return ipaddress.IPv4Address(address).packed


@functools.lru_cache(maxsize=65536)
def _text(packed: bytes) -> str:
    return str(ipaddress.IPv4Address(packed))


def parse(packet: bytes) -> InnerPacket:
    """Read an inner packet back; InnerMalformed for anything else."""
    if len(packet) < IPV4_HEADER + 8:
        raise InnerMalformed(f"{len(packet)} bytes: too short for IPv4 and ICMP or UDP")
    version_ihl, _, total, _, _, _, protocol, _, s, d = struct.unpack_from(
        "!BBHHHBBH4s4s", packet)
    ihl = (version_ihl & 0x0F) * 4
    if version_ihl >> 4 != 4 or ihl < IPV4_HEADER or total != len(packet) or ihl + 8 > total:
        raise InnerMalformed("not a whole IPv4 packet")
    if checksum(packet[:ihl]):
        raise InnerMalformed("IPv4 header checksum")
    body = packet[ihl:]
    src, dst = _text(s), _text(d)
    if protocol == PROTO_ICMP:
        icmp_type, _, _, ident, seq = struct.unpack_from("!BBHHH", body)
        if checksum(body) or icmp_type not in (ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY):
            raise InnerMalformed("not an ICMP echo")
        return InnerPacket(src=src, dst=dst, protocol=PROTO_ICMP, ident=ident, seq=seq,
                           data=body[8:], icmp_type=icmp_type)
    if protocol == PROTO_UDP:
        sport, _, length, _ = struct.unpack_from("!HHHH", body)
        if length != len(body):
            raise InnerMalformed("UDP length")
        return InnerPacket(src=src, dst=dst, protocol=PROTO_UDP, ident=sport,
                           seq=struct.unpack_from("!H", packet, 4)[0], data=body[8:])
    raise InnerMalformed(f"protocol {protocol}: ICMP or UDP expected")
