"""The capture writes each IP fragment as its own packet, with headers Wireshark reassembles:
one identification per datagram, offsets in 8-byte units, More Fragments on all but the last,
checksums right."""

from __future__ import annotations

import datetime as dt
import os
import random
import struct
import subprocess
from pathlib import Path

import pytest

from sim.report.pcap import _checksum, pcap_bytes
from sim.world.network import Captured, Datagram
from tests.sim.tshark import needs_tshark

START = dt.datetime(2012, 9, 19, 17, 20, tzinfo=dt.UTC)
TOPOLOGIES = Path(__file__).resolve().parents[2] / "topologies"


def packets(pcap: bytes) -> list[bytes]:
    out, at = [], 24
    while at < len(pcap):
        _, _, length, _ = struct.unpack_from("<IIII", pcap, at)
        out.append(pcap[at + 16:at + 16 + length])
        at += 16 + length
    return out


def ip_fields(packet: bytes) -> tuple[int, int, bool, int]:
    """(total length, identification, More Fragments, offset in bytes)."""
    _, _, total, ident, flags, _, proto, _ = struct.unpack_from("!BBHHHBBH", packet)
    assert proto == 17 and _checksum(packet[:20]) == 0
    return total, ident, bool(flags & 0x2000), (flags & 0x1FFF) * 8


def test_a_datagram_over_the_link_mtu_is_written_as_its_fragments():
    payload = random.Random(5).randbytes(2892)
    d = Datagram(src="30.1.1.31", dst="30.1.1.51", sport=500, dport=500, payload=payload)
    small = Datagram(src="30.1.1.51", dst="30.1.1.31", sport=500, dport=500, payload=b"x" * 84)
    written = packets(pcap_bytes([Captured(1.0, d, ident=7, mtu=1500),
                                  Captured(1.5, small, ident=1, mtu=1500)], start=START))
    assert [ip_fields(p) for p in written] == [(1500, 7, True, 0), (1440, 7, False, 1480),
                                               (112, 1, False, 0)]
    # The UDP header (with the checksum of the whole datagram) travels in the first fragment.
    segment = written[0][20:] + written[1][20:]
    sport, dport, length, _ = struct.unpack_from("!HHHH", segment)
    assert (sport, dport, length, segment[8:]) == (500, 500, 2900, payload)
    pseudo = bytes([30, 1, 1, 31, 30, 1, 1, 51, 0, 17]) + struct.pack("!H", 2900)
    assert _checksum(pseudo + segment) == 0


def test_a_capture_without_an_mtu_is_written_whole_as_before():
    d = Datagram(src="10.0.0.1", dst="10.0.0.2", sport=500, dport=500, payload=bytes(3000))
    (packet,) = packets(pcap_bytes([Captured(0.0, d)], start=START))
    assert ip_fields(packet) == (3028, 1, False, 0)


@pytest.fixture(scope="module")
def fragments_dropped(tmp_path_factory):
    from sim.cli.main import main
    out = tmp_path_factory.mktemp("fragments-dropped")
    assert main(["run", str(TOPOLOGIES / "fragments-dropped.yaml"), "--out", str(out / "run"),
                 "--quiet", "--pcap", str(out / "f.pcap")]) == 0
    return out


def test_the_shipped_scenarios_capture_holds_message_5_as_two_fragments(fragments_dropped):
    written = [ip_fields(p) + (p[12:16],) for p in
               packets((fragments_dropped / "f.pcap").read_bytes())]
    allowed = bytes([30, 1, 2, 31])
    fragments = [f for f in written if f[4] == allowed and (f[2] or f[3])]
    # Message 5 sent once: 1,916 bytes of ISAKMP + 8 of UDP = 1,480 + 444.
    assert [f[:4] for f in fragments] == [(1500, fragments[0][1], True, 0),
                                          (464, fragments[0][1], False, 1480)]


@needs_tshark
def test_tshark_reassembles_the_fragments_into_the_isakmp_messages(fragments_dropped, tmp_path):
    home = tmp_path / "home"
    (home / ".config" / "wireshark").mkdir(parents=True)
    (home / ".config" / "wireshark" / "ikev1_decryption_table").write_text(
        (fragments_dropped / "f.pcap.keys").read_text())
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    rows = subprocess.run(
        ["tshark", "-r", str(fragments_dropped / "f.pcap"), "-Y", "isakmp", "-T", "fields",
         "-e", "ip.src", "-e", "ip.dst", "-e", "ip.fragment.count", "-e", "udp.length",
         "-e", "isakmp.length"],
        capture_output=True, text=True, env=env, check=True).stdout.splitlines()
    fields = [row.split("\t") for row in rows]
    # Each pair's message 5 is one reassembled ISAKMP message of 1,916 bytes (two IP
    # fragments) where the link let the fragments through; the Smaller pair's is 892 bytes in
    # one packet, the Jumbo pair's 1,916 in one 9000-byte packet.
    fives = {(f[0], f[2], f[3]) for f in fields if f[4] in ("1916", "892")}
    assert ("30.1.2.31", "2", "1924") in fives  # Allowed
    assert ("30.1.1.31", "2", "1924") in fives  # Blocked: the sender's capture has them
    assert ("30.1.3.31", "", "900") in fives    # Smaller: the EE certificate alone
    assert ("30.1.4.31", "", "1924") in fives   # Jumbo
    decrypted = subprocess.run(
        ["tshark", "-r", str(fragments_dropped / "f.pcap"), "-V", "-Y",
         "ip.src == 30.1.2.31 && isakmp.length == 1916"],
        capture_output=True, text=True, env=env, check=True).stdout
    assert "Malformed" not in decrypted
    assert decrypted.count("Certificate Encoding: X.509 Certificate - Signature (4)") == 3
