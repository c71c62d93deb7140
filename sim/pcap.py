"""Writing captured datagrams as a classic pcap file (IPv4, UDP or ESP, link type RAW).

Timestamps are the simulated times, as wall-clock dates from the world's start, so Wireshark
shows the same times as the kmd log.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import struct
from collections.abc import Iterable
from pathlib import Path

from pki.files import write_file
from sim.esp.inner import checksum as _checksum
from sim.network import PROTO_UDP, Captured

LINKTYPE_RAW = 101  # packets begin with the IP header


def ip_udp_packet(src: str, dst: str, sport: int, dport: int, payload: bytes,
                  ident: int = 0) -> bytes:
    s, d = ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed
    udp_len = 8 + len(payload)
    pseudo = s + d + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    udp_sum = _checksum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", udp_sum) + udp[8:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, ident & 0xFFFF, 0, 64, 17, 0,
                         s, d)
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + udp


def ip_packet(src: str, dst: str, protocol: int, payload: bytes, ident: int = 0) -> bytes:
    """An IPv4 header before `payload` (an ESP packet is protocol 50's payload as it is)."""
    s, d = ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0, 64,
                         protocol, 0, s, d)
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + payload


def pcap_bytes(captured: Iterable[Captured], *, start: dt.datetime) -> bytes:
    """Every captured datagram as a pcap file's bytes."""
    base = start.timestamp()
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_RAW)]
    for count, item in enumerate(captured, 1):
        d = item.datagram
        packet = (ip_udp_packet(d.src, d.dst, d.sport, d.dport, d.payload, ident=count)
                  if d.protocol == PROTO_UDP
                  else ip_packet(d.src, d.dst, d.protocol, d.payload, ident=count))
        when = base + item.time
        seconds = int(when)
        micros = int(round((when - seconds) * 1_000_000))
        if micros == 1_000_000:
            seconds, micros = seconds + 1, 0
        out.append(struct.pack("<IIII", seconds, micros, len(packet), len(packet)) + packet)
    return b"".join(out)


def write_pcap(path: str | Path, captured: Iterable[Captured], *, start: dt.datetime) -> int:
    """Write every captured datagram to `path` (replaced atomically); returns how many."""
    captured = list(captured)
    write_file(Path(path), pcap_bytes(captured, start=start))
    return len(captured)
