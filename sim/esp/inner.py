"""The IP packets a tunnel carries between protected networks, IPv4 or IPv6: ICMP echo request
and reply (what `ping` sends; ICMPv6's for IPv6) and UDP datagrams (a flow), built and read
back. A received inner packet is the peer's bytes: `parse` checks every length and checksum
before it trusts one, and reads no IPv6 extension header (a packet with one is refused)."""

from __future__ import annotations

import functools
import ipaddress
import struct
from dataclasses import dataclass

PROTO_ICMP = 1
PROTO_UDP = 17
PROTO_ICMPV6 = 58
# (echo request, echo reply) types of ICMP (RFC 792) and ICMPv6 (RFC 4443).
ECHO_TYPES = {PROTO_ICMP: (8, 0), PROTO_ICMPV6: (128, 129)}
ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY = ECHO_TYPES[PROTO_ICMP]
IPV4_HEADER = 20
IPV6_HEADER = 40
TTL = 64
DISCARD_PORT = 9  # a flow's datagrams go to the discard service (RFC 863)
MAX_DATA = 65535 - IPV4_HEADER - 8


class InnerMalformed(ValueError):
    """Decrypted bytes that are not an IP packet we can read."""


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
    """A packet between two protected hosts of one family. For an echo, `ident` and `seq` are
    its identifier and sequence and `icmp_type` its type in its family's numbers; for UDP the
    source port is `ident`."""

    src: str
    dst: str
    protocol: int
    ident: int
    seq: int
    data: bytes
    icmp_type: int = ICMP_ECHO_REQUEST

    def __post_init__(self) -> None:
        if _family(self.src) != _family(self.dst):  # a ValueError names a bad address
            raise ValueError(f"{self.src} and {self.dst}: one address family")
        allowed = (PROTO_ICMP if self.version == 4 else PROTO_ICMPV6, PROTO_UDP)
        if self.protocol not in allowed:
            raise ValueError(f"protocol {self.protocol}: one of {allowed} for IPv{self.version}")
        if self.protocol != PROTO_UDP and self.icmp_type not in ECHO_TYPES[self.protocol]:
            raise ValueError(f"ICMP type {self.icmp_type}: an echo request or reply")
        if not 0 <= self.ident <= 0xFFFF or not 0 <= self.seq <= 0xFFFF:
            raise ValueError(f"identifier {self.ident} and sequence {self.seq}: 16 bits")
        if len(self.data) > MAX_DATA:
            raise ValueError(f"{len(self.data)} data bytes: at most {MAX_DATA}")

    @classmethod
    def echo_request(cls, *, src: str, dst: str, ident: int, seq: int,
                     data: bytes) -> InnerPacket:
        """`ping`'s packet: ICMP for IPv4 addresses, ICMPv6 for IPv6 ones."""
        protocol = PROTO_ICMP if _family(src) == 4 else PROTO_ICMPV6
        return cls(src=src, dst=dst, protocol=protocol, ident=ident, seq=seq, data=data,
                   icmp_type=ECHO_TYPES[protocol][0])

    @property
    def version(self) -> int:
        return _family(self.src)

    @property
    def is_echo_request(self) -> bool:
        return self.protocol != PROTO_UDP and self.icmp_type == ECHO_TYPES[self.protocol][0]

    @property
    def is_echo_reply(self) -> bool:
        return self.protocol != PROTO_UDP and self.icmp_type == ECHO_TYPES[self.protocol][1]

    def reply(self) -> InnerPacket:
        """The echo reply a host sends back for this echo request."""
        return InnerPacket(src=self.dst, dst=self.src, protocol=self.protocol,
                           ident=self.ident, seq=self.seq, data=self.data,
                           icmp_type=ECHO_TYPES[self.protocol][1])

    def encode(self) -> bytes:
        s, d = _packed(self.src), _packed(self.dst)
        if self.protocol == PROTO_UDP:
            body = struct.pack("!HHHH", self.ident, DISCARD_PORT, 8 + len(self.data), 0)
        else:
            body = struct.pack("!BBHHH", self.icmp_type, 0, 0, self.ident, self.seq)
        body += self.data
        # ICMP's checksum covers the message alone; UDP's and ICMPv6's a pseudo-header too.
        pseudo = b"" if self.protocol == PROTO_ICMP else _pseudo(s, d, self.protocol, len(body))
        at = 6 if self.protocol == PROTO_UDP else 2
        value = checksum(pseudo + body)
        if self.protocol == PROTO_UDP:
            value = value or 0xFFFF  # 0 means "no checksum" in UDP
        body = body[:at] + struct.pack("!H", value) + body[at + 2:]
        if self.version == 6:
            return struct.pack("!IHBB16s16s", 6 << 28, len(body), self.protocol, TTL, s,
                               d) + body
        head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, IPV4_HEADER + len(body), self.seq, 0,
                           TTL, self.protocol, 0, s, d)
        head = head[:10] + struct.pack("!H", checksum(head)) + head[12:]
        return head + body


def _pseudo(s: bytes, d: bytes, protocol: int, length: int) -> bytes:
    """The pseudo-header of UDP over IPv4 (RFC 768) or of any upper layer over IPv6 (RFC 8200
    8.1)."""
    if len(s) == 4:
        return s + d + struct.pack("!BBH", 0, protocol, length)
    return s + d + struct.pack("!I3xB", length, protocol)


# A run's packets come and go between a few hosts: each address is converted once.
@functools.lru_cache(maxsize=65536)
def _address(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(address)


def _family(address: str) -> int:
    return _address(address).version


def _packed(address: str) -> bytes:
    return _address(address).packed


@functools.lru_cache(maxsize=65536)
def _text(packed: bytes) -> str:
    return str(ipaddress.ip_address(packed))


def parse(packet: bytes) -> InnerPacket:
    """Read an inner packet back; InnerMalformed for anything else."""
    if not packet or packet[0] >> 4 not in (4, 6):
        raise InnerMalformed("neither IPv4 nor IPv6")
    if packet[0] >> 4 == 6:
        if len(packet) < IPV6_HEADER + 8:
            raise InnerMalformed(f"{len(packet)} bytes: too short for IPv6 and ICMPv6 or UDP")
        _, length, protocol, _, s, d = struct.unpack_from("!IHBB16s16s", packet)
        if length != len(packet) - IPV6_HEADER:
            raise InnerMalformed("not a whole IPv6 packet")
        body = packet[IPV6_HEADER:]
        if protocol not in (PROTO_ICMPV6, PROTO_UDP):
            raise InnerMalformed(f"next header {protocol}: ICMPv6 or UDP expected")
    else:
        if len(packet) < IPV4_HEADER + 8:
            raise InnerMalformed(f"{len(packet)} bytes: too short for IPv4 and ICMP or UDP")
        version_ihl, _, total, _, _, _, protocol, _, s, d = struct.unpack_from(
            "!BBHHHBBH4s4s", packet)
        ihl = (version_ihl & 0x0F) * 4
        if ihl < IPV4_HEADER or total != len(packet) or ihl + 8 > total:
            raise InnerMalformed("not a whole IPv4 packet")
        if checksum(packet[:ihl]):
            raise InnerMalformed("IPv4 header checksum")
        body = packet[ihl:]
        if protocol not in (PROTO_ICMP, PROTO_UDP):
            raise InnerMalformed(f"protocol {protocol}: ICMP or UDP expected")
    pseudo = b"" if protocol == PROTO_ICMP else _pseudo(s, d, protocol, len(body))
    if protocol == PROTO_UDP:
        sport, _, length, carried = struct.unpack_from("!HHHH", body)
        if length != len(body) or (carried or len(s) == 16) and checksum(pseudo + body):
            raise InnerMalformed("UDP length or checksum")
        seq = struct.unpack_from("!H", packet, 4)[0] if len(s) == 4 else 0
        return InnerPacket(src=_text(s), dst=_text(d), protocol=PROTO_UDP, ident=sport,
                           seq=seq, data=body[8:])
    icmp_type, _, _, ident, seq = struct.unpack_from("!BBHHH", body)
    if checksum(pseudo + body) or icmp_type not in ECHO_TYPES[protocol]:
        raise InnerMalformed("not an ICMP echo")
    return InnerPacket(src=_text(s), dst=_text(d), protocol=protocol, ident=ident, seq=seq,
                       data=body[8:], icmp_type=icmp_type)
