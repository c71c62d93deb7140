"""ESP packets (RFC 4303) with every negotiable algorithm: round trips, a known answer computed
another way, and each refusal counted where `show security ipsec statistics` prints it."""

from __future__ import annotations

import random
import struct

import pytest
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from sim.esp.inner import InnerMalformed, InnerPacket, parse
from sim.esp.packet import (
    BadHeader,
    BadTrailer,
    EspSuite,
    IcvFailure,
    decrypt,
    seal,
    verify,
)
from sim.esp.sa import EspCounters, Inbound, Outbound, ReplayError
from sim.ike.ipsec_proposals import EspAuthentication, EspEncryption
from sim.world.network import Datagram
from sim.world.traffic import carries_esp

PING = InnerPacket(src="10.1.0.1", dst="10.2.0.1", protocol=1, ident=0x1234, seq=1,
                   data=bytes(range(56)))


def suite(encryption: EspEncryption, authentication: EspAuthentication,
          seed: int = 0) -> EspSuite:
    rng = random.Random(seed)
    return EspSuite(encryption=encryption, authentication=authentication,
                    encryption_key=rng.randbytes(encryption.key_size),
                    authentication_key=rng.randbytes(authentication.key_size))


def pair(s: EspSuite, *, anti_replay: bool = True) -> tuple[Outbound, Inbound, EspCounters]:
    sent, received = EspCounters(), EspCounters()
    out = Outbound(s, spi=0x1A24EAB9, rng=random.Random(7), counters=sent)
    return out, Inbound(s, spi=0x1A24EAB9, counters=received, anti_replay=anti_replay), received


@pytest.mark.parametrize("encryption", list(EspEncryption))
@pytest.mark.parametrize("authentication", list(EspAuthentication))
def test_round_trip_every_algorithm(encryption, authentication):
    out, inbound, counters = pair(suite(encryption, authentication))
    for size in (0, 1, 55, 56, 1400):
        inner = InnerPacket(src="10.1.0.1", dst="10.2.0.1", protocol=1, ident=1, seq=size,
                            data=bytes(size)).encode()
        packet = out.encapsulate(inner)
        assert inner not in packet  # encrypted, not carried in the clear
        assert inbound.decapsulate(packet) == (4, inner)
    sent, received = out.counters.statistics(), counters.statistics()
    assert (sent.encrypted_packets, received.decrypted_packets) == (5, 5)
    assert sent.encrypted_bytes == received.decrypted_bytes == sum(
        28 + n for n in (0, 1, 55, 56, 1400))


def test_known_answer_computed_with_cryptography_primitives():
    """AES-128-CBC and HMAC-SHA1-96 by hand from RFC 4303's layout, not through sim.esp."""
    enc_key, auth_key = bytes(range(16)), bytes(range(100, 120))
    iv = bytes.fromhex("00112233445566778899aabbccddeeff")
    inner = PING.encode()  # 84 bytes
    s = EspSuite(encryption=EspEncryption.AES_128_CBC,
                 authentication=EspAuthentication.HMAC_SHA1_96,
                 encryption_key=enc_key, authentication_key=auth_key)
    got = seal(s, spi=0xBCE1C6E0, seq=3, iv=iv, inner=inner)

    # 84 + 10 padding + pad length + next header = 96, six AES blocks.
    plaintext = inner + bytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) + bytes([10, 4])
    encryptor = Cipher(algorithms.AES(enc_key), modes.CBC(iv)).encryptor()
    body = (bytes.fromhex("bce1c6e0") + (3).to_bytes(4, "big") + iv
            + encryptor.update(plaintext) + encryptor.finalize())
    mac = crypto_hmac.HMAC(auth_key, hashes.SHA1())
    mac.update(body)
    assert got == body + mac.finalize()[:12]
    assert len(got) == 8 + 16 + 96 + 12


def test_known_answer_3des_sha256_decrypts_with_cryptography():
    s = suite(EspEncryption.TRIPLE_DES_CBC, EspAuthentication.HMAC_SHA_256_128)
    iv = bytes(8)
    packet = seal(s, spi=0x100, seq=1, iv=iv, inner=PING.encode())
    mac = crypto_hmac.HMAC(s.authentication_key, hashes.SHA256())
    mac.update(packet[:-16])
    assert packet[-16:] == mac.finalize()[:16]
    decryptor = Cipher(TripleDES(s.encryption_key), modes.CBC(iv)).decryptor()
    plain = decryptor.update(packet[16:-16]) + decryptor.finalize()
    assert plain[:84] == PING.encode() and plain[-2:] == bytes([2, 4]) and plain[84:86] == b"\1\2"


def test_a_flipped_bit_fails_the_icv_and_is_counted():
    out, inbound, counters = pair(suite(EspEncryption.AES_256_CBC,
                                        EspAuthentication.HMAC_SHA1_96))
    packet = bytearray(out.encapsulate(PING.encode()))
    packet[40] ^= 0x01
    with pytest.raises(IcvFailure):
        inbound.decapsulate(bytes(packet))
    seen = counters.statistics()
    assert (seen.esp_authentication_failures, seen.decrypted_packets) == (1, 0)


def test_a_replayed_packet_counts_as_replay():
    out, inbound, counters = pair(suite(EspEncryption.AES_128_CBC,
                                        EspAuthentication.HMAC_MD5_96))
    first = out.encapsulate(PING.encode())
    inbound.decapsulate(first)
    with pytest.raises(ReplayError):
        inbound.decapsulate(first)
    seen = counters.statistics()
    assert (seen.replay_errors, seen.decrypted_packets) == (1, 1)


def test_no_anti_replay_takes_the_same_packet_twice():
    out, inbound, counters = pair(suite(EspEncryption.AES_128_CBC,
                                        EspAuthentication.HMAC_MD5_96), anti_replay=False)
    first = out.encapsulate(PING.encode())
    inbound.decapsulate(first)
    inbound.decapsulate(first)
    seen = counters.statistics()
    assert (seen.replay_errors, seen.decrypted_packets) == (0, 2)


def test_window_takes_late_packets_inside_and_refuses_those_behind_it():
    out, inbound, counters = pair(suite(EspEncryption.AES_128_CBC,
                                        EspAuthentication.HMAC_SHA1_96))
    packets = [out.encapsulate(PING.encode()) for _ in range(100)]
    inbound.decapsulate(packets[99])          # sequence 100 arrives first
    inbound.decapsulate(packets[99 - 31])     # 69: the oldest the guide's 32-packet window holds
    with pytest.raises(ReplayError):
        inbound.decapsulate(packets[99 - 32])  # 68: behind the window
    seen = counters.statistics()
    assert (seen.decrypted_packets, seen.replay_errors) == (2, 1)


def test_a_forged_packet_does_not_move_the_window():
    out, inbound, counters = pair(suite(EspEncryption.AES_128_CBC,
                                        EspAuthentication.HMAC_SHA1_96))
    genuine = out.encapsulate(PING.encode())
    forged = genuine[:4] + struct.pack("!I", 1000) + genuine[8:]  # far ahead, ICV now wrong
    with pytest.raises(IcvFailure):
        inbound.decapsulate(forged)
    inbound.decapsulate(genuine)  # sequence 1 is still inside the window
    assert counters.statistics().decrypted_packets == 1


def test_short_and_unaligned_packets_are_bad_headers():
    out, inbound, counters = pair(suite(EspEncryption.AES_128_CBC,
                                        EspAuthentication.HMAC_SHA1_96))
    packet = out.encapsulate(PING.encode())
    for broken in (packet[:5], packet[:-1], packet[:8 + 16 + 12]):
        with pytest.raises(BadHeader):
            inbound.decapsulate(broken)
    assert counters.statistics().bad_headers == 3


def test_bad_padding_is_a_bad_trailer():
    s = suite(EspEncryption.AES_128_CBC, EspAuthentication.HMAC_SHA1_96)
    iv = bytes(16)
    plaintext = bytes(14) + bytes([9, 9])  # pad length 9 over zeros, not 1..9
    encryptor = s.cipher(iv).encryptor()
    body = b"\0\0\1\0\0\0\0\1" + iv + encryptor.update(plaintext) + encryptor.finalize()
    packet = body + s.icv(body)
    verify(s, packet)
    with pytest.raises(BadTrailer):
        decrypt(s, packet)


def test_inner_packets_read_back_and_refuse_garbage():
    assert parse(PING.encode()) == PING
    assert parse(PING.reply().encode()).icmp_type == 0
    udp = InnerPacket(src="10.1.0.1", dst="10.2.0.9", protocol=17, ident=40000, seq=5,
                      data=b"x" * 1000)
    assert parse(udp.encode()) == udp
    broken = bytearray(PING.encode())
    broken[30] ^= 0xFF
    for garbage in (b"", b"\x45" * 30, bytes(broken)):
        with pytest.raises(InnerMalformed):
            parse(garbage)


def test_esp_in_udp_4500_is_told_from_ike_by_the_non_esp_marker():
    def udp(port: int, payload: bytes) -> Datagram:
        return Datagram(src="1.1.1.1", dst="2.2.2.2", sport=port, dport=port, payload=payload)

    assert carries_esp(Datagram(src="1.1.1.1", dst="2.2.2.2", sport=0, dport=0,
                                payload=b"", protocol=50))
    assert carries_esp(udp(4500, b"\x1a\x24\xea\xb9" + bytes(20)))
    assert not carries_esp(udp(4500, bytes(4) + b"\x11" * 28))  # IKE after the marker
    assert not carries_esp(udp(500, b"\x1a\x24\xea\xb9" + bytes(20)))  # IKE on 500


def test_ipv6_inner_packets_read_back_and_refuse_garbage():
    echo = InnerPacket.echo_request(src="2001:db8:a::1", dst="2001:db8:b::1", ident=7, seq=3,
                                    data=b"abc")
    assert (echo.protocol, echo.icmp_type, echo.version) == (58, 128, 6)
    wire = echo.encode()
    assert wire[0] >> 4 == 6 and wire[6] == 58 and len(wire) == 40 + 8 + 3
    assert parse(wire) == echo and parse(echo.reply().encode()).icmp_type == 129
    udp = InnerPacket(src="2001:db8:a::1", dst="2001:db8:b::9", protocol=17, ident=5, seq=0,
                      data=b"y" * 300)
    assert parse(udp.encode()) == udp
    damaged = bytearray(wire)
    damaged[-1] ^= 1  # the ICMPv6 checksum covers the data
    extension = bytearray(wire)
    extension[6] = 0  # a hop-by-hop options header: not read
    for garbage in (bytes(damaged), bytes(extension), wire[:-1], b"\x60" + bytes(50)):
        with pytest.raises(InnerMalformed):
            parse(garbage)
    with pytest.raises(ValueError, match="one address family"):
        InnerPacket(src="10.1.0.1", dst="2001:db8::1", protocol=17, ident=1, seq=1, data=b"")
