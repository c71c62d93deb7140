"""One peer datagram never crashes an SA: what used to escape IkeSA.receive() as a bare Python
exception is now dropped (the SA untouched, the genuine message still completes the exchange)
or, for a well-formed message whose certificate or identity is unusable, a Phase-1 failure with
the Junos error."""

from __future__ import annotations

import datetime
import random
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from sim.ike.ids import IkeId, render
from sim.ike.payloads import HEADER_LEN, NotifyType
from sim.ike.phase1 import (
    NEED_INPUT,
    Cause,
    IkeSA,
    Mode,
    Phase1Done,
    Phase1Failed,
    RemoteProtocolError,
    State,
)
from tests.sim.ike.conftest import NOW
from tests.sim.ike.ike_pair import Pair, configs, fingerprint

# (mode, index of a clear message, its receiver) for every message sent in the clear.
CLEAR_MESSAGES = [(Mode.MAIN, i, r) for i, r in ((0, "responder"), (1, "initiator"),
                                                 (2, "responder"), (3, "initiator"))] + \
                 [(Mode.AGGRESSIVE, 1, "initiator")]


def deliver_first(pair: Pair, index: int, mutate) -> list[RemoteProtocolError]:
    """Run the pair; just before message `index` goes out, hand its receiver mutate(message),
    which must be dropped with the SA left exactly as it was."""
    drops = []

    def tamper(i, sender, data):
        if i == index:
            receiver = pair.responder if sender == "initiator" else pair.initiator
            before = fingerprint(receiver)
            with pytest.raises(RemoteProtocolError) as info:
                receiver.receive(mutate(data))
            drops.append(info.value)
            assert fingerprint(receiver) == before
        return data

    pair.tamper = tamper
    pair.run()
    return drops


def set_encryption_flag(data: bytes) -> bytes:
    return data[:19] + bytes([data[19] | 1]) + data[20:]


@pytest.mark.parametrize(("mode", "index", "receiver"), CLEAR_MESSAGES)
def test_encryption_flag_on_a_clear_message_is_dropped(peers, ca, mode, index, receiver):
    """It used to raise a bare ValueError out of IkeSA.receive(): the encrypted flag on a
    message the state machine reads in the clear."""
    pair = Pair.of(*configs(peers, ca, mode=mode), ca_cert=ca.cert)
    drops = deliver_first(pair, index, set_encryption_flag)
    assert [d.notify for d in drops] == [NotifyType.INVALID_FLAGS]
    assert isinstance(pair.outcome("initiator"), Phase1Done)
    assert isinstance(pair.outcome("responder"), Phase1Done)


def test_aggressive_message_3_flagged_encrypted_but_clear_is_dropped_as_undecryptable(peers, ca):
    """Message 3 may come encrypted (RFC 2409 5), so the flag makes the responder decrypt it:
    clear bytes decrypt to garbage, which is dropped with the SA left as it was."""
    pair = Pair.of(*configs(peers, ca, mode=Mode.AGGRESSIVE), ca_cert=ca.cert)
    drops = deliver_first(pair, 2, set_encryption_flag)
    assert [d.notify for d in drops] == [NotifyType.PAYLOAD_MALFORMED]
    assert isinstance(pair.outcome("responder"), Phase1Done)


@pytest.mark.parametrize("index", [4, 5])
def test_message_5_or_6_in_the_clear_is_dropped(peers, ca, index):
    pair = Pair.of(*configs(peers, ca), ca_cert=ca.cert)

    def clear(data):
        return data[:19] + bytes([data[19] & ~1]) + data[20:]

    assert [d.notify for d in deliver_first(pair, index, clear)] == [NotifyType.INVALID_FLAGS]
    assert isinstance(pair.outcome("initiator"), Phase1Done)


def test_the_same_undecryptable_message_5_twice_fails_the_negotiation(peers, ca):
    """A damaged copy is dropped; the very same bytes again mean the keys differ."""
    pair = Pair.of(*configs(peers, ca), ca_cert=ca.cert)
    garbage = []

    def garble(index, sender, data):
        if index == 4:
            garbage.append(data[:HEADER_LEN] + bytes([data[HEADER_LEN] ^ 0x55])
                           + data[HEADER_LEN + 1:])
            return garbage[0]
        return data

    pair.tamper = garble
    pair.run()
    assert pair.responder.state is State.WAIT_AUTH
    pair.responder.receive(garbage[0])
    pair.settle()
    failed = pair.outcome("responder")
    assert failed.error in (NotifyType.INVALID_PAYLOAD_TYPE, NotifyType.PAYLOAD_MALFORMED)
    assert failed.reason.startswith("message does not decrypt under the negotiated keys")


def test_a_first_message_in_the_other_mode_is_refused_only_if_it_is_a_message(peers, ca):
    """An Aggressive Mode header on garbage used to open, and fail, a negotiation (No proposal
    chosen) at a Main Mode responder; now it must parse first."""
    _, cr = configs(peers, ca)
    aggressive_header = bytes(range(8)) + bytes(8) + bytes([1, 0x10, 4, 0]) + \
        (0).to_bytes(4, "big") + (36).to_bytes(4, "big")
    responder = IkeSA.responder(cr, rng=random.Random(1))
    with pytest.raises(RemoteProtocolError):
        responder.receive(aggressive_header + bytes(8))
    assert responder.state is State.IDLE
    real_aggressive = Pair.of(*configs(peers, ca, mode=Mode.AGGRESSIVE), ca_cert=ca.cert)
    real_aggressive.tamper = lambda i, sender, data: None  # just capture message 1
    real_aggressive.run()
    responder.receive(real_aggressive.datagrams[0][1])
    events = list(iter(responder.next_event, NEED_INPUT))
    assert events[-1].error is NotifyType.NO_PROPOSAL_CHOSEN


# ---------------------------------------------------------------- certificates a peer sends


def _damaged(der: bytes) -> bytes:
    return der[:50] + bytes([der[50] ^ 0xFF]) + der[51:]


def _unknown_key_type(der: bytes) -> bytes:
    ec_public_key = bytes.fromhex("06072a8648ce3d0201")  # OID 1.2.840.10045.2.1
    at = der.index(ec_public_key)
    return der[:at] + bytes.fromhex("06072a8648ce3d0209") + der[at + len(ec_public_key):]


def _ed25519_certificate(ca) -> bytes:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(32))
    cert = (x509.CertificateBuilder().subject_name(ca.cert.subject).issuer_name(ca.cert.subject)
            .public_key(key.public_key()).serial_number(7)
            .not_valid_before(NOW - datetime.timedelta(days=1))
            .not_valid_after(NOW + datetime.timedelta(days=1))
            .sign(ca.key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def _negative_serial(peer) -> bytes:
    """The certificate with its serial number made negative (RFC 5280 4.1.2.2: positive)."""
    serial = peer.cert.serial_number
    value = serial.to_bytes((serial.bit_length() + 8) // 8, "big")
    at = peer.der.index(bytes([2, len(value)]) + value)
    negative = bytes([2, len(value), 0x80]) + bytes(len(value) - 1)
    return peer.der[:at] + negative + peer.der[at + 2 + len(value):]


@pytest.mark.parametrize("mode", [Mode.MAIN, Mode.AGGRESSIVE])
@pytest.mark.parametrize(("certificate", "reason"), [
    (lambda peer, ca: _damaged(peer.der), "certificate does not decode: error parsing asn1"),
    (lambda peer, ca: peer.der[:-5], "certificate does not decode: error parsing asn1"),
    (lambda peer, ca: _unknown_key_type(peer.der),
     "certificate does not decode: Unknown key type: 1.2.840.10045.2.9"),
    (lambda peer, ca: _ed25519_certificate(ca), "unsupported public-key algorithm Ed25519"),
    (lambda peer, ca: _negative_serial(peer), "certificate does not decode: Parsed a serial "
                                              "number which wasn't positive"),
], ids=["damaged-der", "truncated", "unknown-key-type", "ed25519", "negative-serial"])
def test_a_certificate_ike_cannot_use_fails_with_authentication_failed(
        peers, ca, mode, certificate, reason):
    """The unguarded x509 load in kmd (and UnsupportedAlgorithm from the key) used to crash the
    device; in Aggressive Mode the certificate travels in clear, so anyone could send one.
    Now the peer's proof cannot be checked: Authentication failed (24), as QuickSec's "No
    public key found". In Main Mode the first copy is dropped (it may have been damaged on
    its way) and the same bytes retransmitted fail the negotiation; Aggressive Mode's message
    3 comes only once, so it fails at once."""
    ci, cr = configs(peers, ca, mode=mode)
    a, _ = peers["ecdsa256"]
    ci = type(ci)(**{**vars(ci), "certificates": (certificate(a, ca),)})
    with warnings.catch_warnings(record=True) as printed:
        warnings.simplefilter("always")
        pair = Pair.of(ci, cr, ca_cert=ca.cert).run()
        if mode is Mode.MAIN:
            assert pair.outcome("responder") is None and len(pair.dropped) == 1
            assert pair.dropped[0].notify is NotifyType.INVALID_CERT_ENCODING
            pair.initiator.on_timer(pair.initiator.timer().generation)  # message 5 again
            pair.settle()
    assert not printed  # nothing the peer chose reaches the terminal as a warning
    failed = pair.outcome("responder")
    assert isinstance(failed, Phase1Failed) and failed.error is NotifyType.AUTHENTICATION_FAILED
    assert failed.reason.startswith(f"No public key found: {reason}")
    if mode is Mode.MAIN:  # in Aggressive Mode the initiator is done once message 3 is out
        assert not isinstance(pair.outcome("initiator"), Phase1Done)


def test_an_undecodable_ca_certificate_behind_a_good_leaf_is_ignored(peers, ca):
    ci, cr = configs(peers, ca)
    a, _ = peers["ecdsa256"]
    ci = type(ci)(**{**vars(ci), "certificates": (a.der, _damaged(ca.der))})
    received = []
    pair = Pair.of(ci, cr, ca_cert=ca.cert)
    verdict = pair.verdict

    def record(sa, event):
        received.append(event)
        verdict(sa, event)

    pair.verdict = record
    pair.run()
    assert isinstance(pair.outcome("responder"), Phase1Done)
    assert received[0].certificates == (a.der,) and received[0].decoded == (a.cert,)


# ---------------------------------------------------------------- identities a peer sends


def test_a_dn_identity_whose_oid_never_ends_is_a_remote_id_mismatch(peers, ca):
    """An OID made only of continuation bytes in the peer's DN ID used to raise IndexError in
    sim/ike/ids.py while the SA compared and rendered it."""
    bad_dn = b"\x30\x0d\x31\x0b\x30\x09\x06\x02\x81\x82\x0c\x03abc"
    expected = IkeId.der_asn1_dn(peers["ecdsa256"][0].cert.subject)
    pair = Pair.of(*configs(peers, ca, i_id=IkeId.der_asn1_dn(bad_dn), expect_a=expected),
                   ca_cert=ca.cert).run()
    failed = pair.outcome("responder")
    assert (failed.error, failed.cause) == (NotifyType.AUTHENTICATION_FAILED,
                                            Cause.REMOTE_ID_MISMATCH)
    assert render(failed.remote_id) == "der_asn1_dn(udp:500,[0..14]=<invalid DN>)"


@pytest.mark.parametrize("role", ["initiator", "responder"])
def test_a_message_5_or_6_damaged_on_its_way_is_dropped_and_the_genuine_copy_completes(
        peers, ca, role):
    """One byte of the ciphertext changed where the certificate travels: the CBC block turns
    to garbage and the certificate no longer decodes. The copy is dropped, not the
    negotiation: the retransmission (message 5, or message 6 sent again in answer to it)
    completes Phase 1."""
    ci, cr = configs(peers, ca)
    damaged_once = []

    def tamper(index: int, sender: str, data: bytes) -> bytes:
        if sender == role and data[19] & 1 and not damaged_once:  # its first encrypted one
            damaged_once.append(index)
            at = 28 + 120  # past the header and the ID payload: inside the CERT payload
            return data[:at] + bytes([data[at] ^ 0x5A]) + data[at + 1:]
        return data

    pair = Pair.of(ci, cr, ca_cert=ca.cert, tamper=tamper).run()
    assert damaged_once and len(pair.dropped) == 1
    assert "peer certificate" in str(pair.dropped[0])
    pair.initiator.on_timer(pair.initiator.timer().generation)  # message 5 again
    pair.settle()
    assert isinstance(pair.outcome("initiator"), Phase1Done)
    assert isinstance(pair.outcome("responder"), Phase1Done)
