"""Writing captured datagrams as a classic pcap file (IPv4, UDP or ESP, link type RAW).

Timestamps are the simulated times, as wall-clock dates from the world's start, so Wireshark
shows the same times as the kmd log. A datagram larger than its link's MTU is written as the
IP fragments that crossed the link (one record each, same identification, offsets and More
Fragments as RFC 791 sets them), so Wireshark and tshark reassemble it as they would a real
capture.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import struct
from collections.abc import Iterable
from pathlib import Path

from pki.files import write_file
from sim.esp.inner import checksum as _checksum
from sim.world.ip_fragments import IPV4_HEADER, Piece, pieces
from sim.world.network import PROTO_UDP, Captured, Datagram

_MORE_FRAGMENTS = 0x2000

LINKTYPE_RAW = 101  # packets begin with the IP header


def udp_segment(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    """The UDP header, its checksum over the pseudo-header included, then the payload."""
    udp_len = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    udp_sum = _checksum(pseudo + udp) or 0xFFFF
    return udp[:6] + struct.pack("!H", udp_sum) + udp[8:]


def ipv4_packet(src: bytes, dst: bytes, protocol: int, ident: int, piece: Piece,
                data: bytes) -> bytes:
    """One IPv4 packet carrying `data`, the bytes of `piece` of the IP payload."""
    flags = (_MORE_FRAGMENTS if piece.more else 0) | piece.units
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, IPV4_HEADER + len(data), ident & 0xFFFF,
                         flags, 64, protocol, 0, src, dst)
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + data


def ip_packets(datagram: Datagram, *, ident: int = 0, mtu: int | None = None) -> list[bytes]:
    """The IP packets that carry one datagram (UDP, or ESP as it is) over a link of `mtu`
    (None: one packet)."""
    s = ipaddress.IPv4Address(datagram.src).packed
    d = ipaddress.IPv4Address(datagram.dst).packed
    payload = (udp_segment(s, d, datagram.sport, datagram.dport, datagram.payload)
               if datagram.protocol == PROTO_UDP else datagram.payload)
    plan = (pieces(len(payload), mtu) if mtu is not None
            else (Piece(offset=0, length=len(payload), more=False),))
    return [ipv4_packet(s, d, datagram.protocol, ident, piece,
                        payload[piece.offset:piece.offset + piece.length])
            for piece in plan]


def pcap_bytes(captured: Iterable[Captured], *, start: dt.datetime) -> bytes:
    """Every captured datagram as a pcap file's bytes."""
    base = start.timestamp()
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_RAW)]
    for count, item in enumerate(captured, 1):
        d = item.datagram
        when = base + item.time
        seconds = int(when)
        micros = int(round((when - seconds) * 1_000_000))
        if micros == 1_000_000:
            seconds, micros = seconds + 1, 0
        for packet in ip_packets(d, ident=count if item.ident is None else item.ident,
                                 mtu=item.mtu):
            out.append(struct.pack("<IIII", seconds, micros, len(packet), len(packet))
                       + packet)
    return b"".join(out)


def write_pcap(path: str | Path, captured: Iterable[Captured], *, start: dt.datetime) -> int:
    """Write every captured datagram to `path` (replaced atomically); returns how many."""
    captured = list(captured)
    write_file(Path(path), pcap_bytes(captured, start=start))
    return len(captured)
