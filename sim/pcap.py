"""Writing captured datagrams as a classic pcap file (IPv4/UDP, link type RAW).

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
from sim.ip_fragments import IPV4_HEADER, Piece, pieces
from sim.network import Captured

_MORE_FRAGMENTS = 0x2000

LINKTYPE_RAW = 101  # packets begin with the IP header


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp_segment(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    """The UDP header, its checksum over the pseudo-header included, then the payload."""
    udp_len = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    udp_sum = _checksum(pseudo + udp) or 0xFFFF
    return udp[:6] + struct.pack("!H", udp_sum) + udp[8:]


def ipv4_packet(src: bytes, dst: bytes, ident: int, piece: Piece, data: bytes) -> bytes:
    """One IPv4 packet (UDP) carrying `data`, the bytes of `piece` of the IP payload."""
    flags = (_MORE_FRAGMENTS if piece.more else 0) | piece.units
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, IPV4_HEADER + len(data), ident & 0xFFFF,
                         flags, 64, 17, 0, src, dst)
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + data


def ip_udp_packets(src: str, dst: str, sport: int, dport: int, payload: bytes, *,
                   ident: int = 0, mtu: int | None = None) -> list[bytes]:
    """The IP packets that carry one UDP datagram over a link of `mtu` (None: one packet)."""
    s, d = ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed
    segment = udp_segment(s, d, sport, dport, payload)
    plan = (pieces(len(segment), mtu) if mtu is not None
            else (Piece(offset=0, length=len(segment), more=False),))
    return [ipv4_packet(s, d, ident, piece, segment[piece.offset:piece.offset + piece.length])
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
        for packet in ip_udp_packets(d.src, d.dst, d.sport, d.dport, d.payload,
                                     ident=count if item.ident is None else item.ident,
                                     mtu=item.mtu):
            out.append(struct.pack("<IIII", seconds, micros, len(packet), len(packet))
                       + packet)
    return b"".join(out)


def write_pcap(path: str | Path, captured: Iterable[Captured], *, start: dt.datetime) -> int:
    """Write every captured datagram to `path` (replaced atomically); returns how many."""
    captured = list(captured)
    write_file(Path(path), pcap_bytes(captured, start=start))
    return len(captured)
