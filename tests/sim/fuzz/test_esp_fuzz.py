"""Fuzzing the ESP receiver and the inner-packet reader: the peer's bytes, random or damaged,
and even authenticated by a peer that holds the keys (a hostile peer can ICV anything): an
EspError subclass (counted once on the SA) or InnerMalformed is the only outcome besides a
packet read whole."""

from __future__ import annotations

import random
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.esp.inner import InnerMalformed, InnerPacket, parse
from sim.esp.packet import EspError, EspSuite
from sim.esp.sa import EspCounters, Inbound, Outbound, WrongSpi
from sim.ike.ipsec_proposals import EspAuthentication, EspEncryption

SPI = 0x1000


def _suite(encryption: EspEncryption, authentication: EspAuthentication) -> EspSuite:
    rng = random.Random(f"{encryption.name}/{authentication.name}")
    return EspSuite(encryption=encryption, authentication=authentication,
                    encryption_key=rng.randbytes(encryption.key_size),
                    authentication_key=rng.randbytes(authentication.key_size))


SUITES = st.builds(_suite, st.sampled_from(list(EspEncryption)),
                   st.sampled_from(list(EspAuthentication)))


def _refusals(counters: EspCounters) -> int:
    stats = counters.statistics().counters()
    return sum(v for k, v in stats.items() if not k.endswith(("bytes", "packets")))


@settings(max_examples=100)
@given(SUITES, st.binary(max_size=200), st.booleans())
def test_random_bytes_are_refused_and_counted_once(suite, data, own_spi):
    counters = EspCounters()
    inbound = Inbound(suite, spi=SPI, counters=counters)
    if own_spi and len(data) >= 4:
        data = struct.pack("!I", SPI) + data[4:]
    try:
        inbound.decapsulate(data)
    except EspError:
        pass
    else:
        raise AssertionError("random bytes were taken")
    assert _refusals(counters) <= 1


@settings(max_examples=100)
@given(SUITES, st.integers(0, 300), st.integers(0, 7), st.sampled_from(["flip", "cut", "add"]))
def test_a_damaged_real_packet_is_refused(suite, where, bit, how):
    counters = EspCounters()
    out = Outbound(suite, spi=SPI, rng=random.Random(1), counters=counters)
    packet = out.encapsulate(InnerPacket(src="10.1.0.1", dst="10.2.0.1", protocol=1, ident=1,
                                         seq=1, data=b"x" * 60).encode())
    where %= len(packet)
    if how == "flip":
        damaged = packet[:where] + bytes([packet[where] ^ (1 << bit)]) + packet[where + 1:]
    elif how == "cut":
        damaged = packet[:where]
    else:
        damaged = packet + bytes(where % 20 + 1)
    inbound = Inbound(suite, spi=SPI, counters=counters)
    try:
        inbound.decapsulate(damaged)
    except WrongSpi:  # another SA's: the driver looks SAs up by SPI, so none counts it
        assert _refusals(counters) == 0
    except EspError:
        assert _refusals(counters) == 1
    else:
        raise AssertionError(f"damaged packet taken ({how} at {where})")


@settings(max_examples=150)
@given(SUITES, st.binary(min_size=1, max_size=120), st.binary(max_size=20))
def test_a_peer_with_the_keys_cannot_crash_the_receiver(suite, plaintext, tail):
    """Any plaintext encrypted, with any bytes after it (not whole blocks), and ICV'd as the
    peer may."""
    block = suite.block_size
    plaintext += bytes(-len(plaintext) % block)
    iv = bytes(block)
    encryptor = suite.cipher(iv).encryptor()
    body = (struct.pack("!II", SPI, 1) + iv + encryptor.update(plaintext)
            + encryptor.finalize() + tail)
    counters = EspCounters()
    try:
        _, inner = Inbound(suite, spi=SPI, counters=counters).decapsulate(body + suite.icv(body))
    except EspError:
        assert _refusals(counters) == 1
        return
    try:
        parse(inner)
    except InnerMalformed:
        pass


@settings(max_examples=200)
@given(st.binary(max_size=120))
def test_the_inner_reader_refuses_what_is_not_an_echo_or_udp(data):
    try:
        packet = parse(data)
    except InnerMalformed:
        return
    assert packet.protocol in (1, 17) and len(packet.data) < len(data)
