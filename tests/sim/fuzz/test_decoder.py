"""Fuzzing the ISAKMP decoder and the parsers behind it with random bytes and with damaged real
messages: PayloadMalformed is the only error they raise (ValueError, documented, for an ID
that is not an identity), and no length field in a datagram makes the decoder allocate more
than the datagram holds. The long run: IKESIM_FUZZ=long .venv/bin/python -m pytest
tests/sim/fuzz (see test_state_machines.py)."""

from __future__ import annotations

import struct
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.ike.ids import IkeId, id_matches_certificate, parse_dn, render
from sim.ike.ipsec_proposals import PROPOSAL_SETS, Suite
from sim.ike.ipsec_proposals import accepted as ipsec_accepted
from sim.ike.ipsec_proposals import select as ipsec_select
from sim.ike.payloads import (
    HEADER_LEN,
    IDPayload,
    PayloadMalformed,
    PayloadType,
    SAPayload,
    TransformPayload,
    decode_body,
    decode_message,
    split_payloads,
)
from sim.ike.proposals import NoProposalChosen, accepted, from_transform, select
from sim.ike.quick_mode_wire import lifetime_of
from tests.sim.fuzz.checkpoints import phase1_checkpoints
from tests.sim.fuzz.mutations import fuzz_settings, mutations
from tests.sim.ike.ike_pair import proposal

PAYLOAD_TYPES = [t.value for t in PayloadType if t is not PayloadType.NONE]


@pytest.fixture(scope="session")
def captured(peers, ca) -> tuple[bytes, ...]:
    """Every datagram of a Main Mode and an Aggressive Mode negotiation, both kinds of
    authentication: the material the mutations damage."""
    return tuple(dict.fromkeys(cp.message for cp in phase1_checkpoints(peers, ca)))


def decodes_or_is_malformed(datagram: bytes, body: bytes | None = None) -> None:
    try:
        decode_message(datagram, body=body)
    except PayloadMalformed:
        pass


@fuzz_settings(300)
@given(st.binary(max_size=2000))
def test_random_bytes(datagram):
    decodes_or_is_malformed(datagram)


@fuzz_settings(300)
@given(data=st.data())
def test_damaged_real_messages(captured, data):
    original = data.draw(st.sampled_from(captured))
    _, datagram = data.draw(mutations(original))
    decodes_or_is_malformed(datagram)
    # An encrypted message's header with any body, as if it had been decrypted.
    decodes_or_is_malformed(datagram, body=datagram[HEADER_LEN:])


@fuzz_settings(300)
@given(st.sampled_from(PAYLOAD_TYPES), st.binary(max_size=300))
def test_each_payload_body(payload_type, body):
    try:
        decode_body(payload_type, body)
    except PayloadMalformed:
        pass


@fuzz_settings(200)
@given(st.integers(0, 255), st.binary(max_size=300))
def test_payload_chains(first, chain):
    try:
        split_payloads(first, chain, allow_trailing=bool(first & 1))
    except PayloadMalformed:
        pass


@fuzz_settings(300)
@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 0xFFFF), st.binary(max_size=80))
def test_identities_from_the_wire(id_type, protocol, port, data):
    """An ID payload: an identity or a ValueError; an identity always renders, compares and is
    matched against a certificate without raising."""
    payload = IDPayload(id_type=id_type, protocol=protocol, port=port, data=data)
    try:
        ike_id = IkeId.from_payload(payload)
    except ValueError:
        return
    assert render(ike_id).endswith(")")
    ike_id.same_identity(ike_id)
    ike_id.covers()


@fuzz_settings(300)
@given(st.binary(max_size=120))
def test_distinguished_names_from_the_wire(der):
    try:
        parse_dn(der)
    except ValueError:
        pass
    ike_id = IkeId.der_asn1_dn(der, protocol=0, port=0)
    render(ike_id)
    ike_id.same_identity(IkeId.der_asn1_dn(der[::-1], protocol=0, port=0))


@fuzz_settings(100)
@given(st.binary(max_size=120))
def test_identities_against_a_real_certificate(peers, der):
    certificate = peers["ecdsa256"][0].cert
    for id_type in (1, 2, 3, 5, 9, 11):
        try:
            ike_id = IkeId.from_payload(IDPayload(id_type=id_type, data=der))
        except ValueError:
            continue
        id_matches_certificate(ike_id, certificate)


@fuzz_settings(300)
@given(st.binary(max_size=300))
def test_proposals_from_the_wire(body):
    """An SA payload that decodes is chosen from, or refused, with the protocol's errors."""
    try:
        offer = SAPayload.decode_body(b"\x00\x00\x00\x01\x00\x00\x00\x01" + body)
    except PayloadMalformed:
        return
    for choose in (lambda: select(offer, (proposal(),)), lambda: accepted(offer, (proposal(),)),
                   lambda: ipsec_select(offer, _SUITES, b"\x00\x00\x01\x00"),
                   lambda: ipsec_accepted(offer, _SUITES)):
        try:
            choose()
        except (PayloadMalformed, NoProposalChosen):
            pass
    for transform in (t for p in offer.proposals for t in p.transforms):
        from_transform(transform)


_SUITES = tuple(Suite(proposal=p, group=p.pfs_group) for p in PROPOSAL_SETS["standard"])


@fuzz_settings(200)
@given(st.binary(max_size=200))
def test_responder_lifetime_attributes(data):
    seconds = lifetime_of(data)
    assert seconds is None or seconds >= 0
    from_transform(TransformPayload(number=1, attributes=()))


# ---------------------------------------------------------------- no allocation from a length


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("claimed", [0x10000 - 1, 0xFFFF_FFFF])
def test_a_length_that_lies_is_refused_before_anything_is_allocated(claimed):
    """A 100-byte datagram whose payload header claims 64 KB, or whose ISAKMP header claims
    4 GB: the decoder compares each length with what the datagram holds before it slices, so
    the memory it uses stays a small multiple of the datagram, not of the claimed length."""
    body = struct.pack("!BBH", 0, 0, claimed & 0xFFFF) + bytes(68)
    datagram = bytes(16) + bytes([PayloadType.NONCE, 0x10, 2, 0]) + struct.pack(
        "!II", 0, HEADER_LEN + len(body)) + body
    assert len(datagram) == 100

    def decode():
        lying = datagram if claimed < 0x10000 else datagram[:24] + struct.pack("!I", claimed) \
            + datagram[28:]
        with pytest.raises(PayloadMalformed):
            decode_message(lying)

    decode()  # warm up: first-call caches are not the decoder's doing
    assert _peak(decode) < 40 * len(datagram)


@fuzz_settings(100)
@given(st.integers(0, 0xFFFF), st.integers(4, 200))
def test_no_payload_length_makes_the_decoder_allocate_beyond_the_datagram(length, size):
    body = struct.pack("!BBH", 0, 0, length) + bytes(size - 4)
    datagram = bytes(16) + bytes([PayloadType.VENDOR_ID, 0x10, 2, 0]) + struct.pack(
        "!II", 0, HEADER_LEN + len(body)) + body

    def decode():
        decodes_or_is_malformed(datagram)

    decode()
    assert _peak(decode) < 40 * len(datagram) + 4096
