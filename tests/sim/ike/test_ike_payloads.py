"""ISAKMP encoding on real bytes: round trips, a hand-assembled transform, malformed input."""

import struct

import pytest

from sim.ike.payloads import (
    HEADER_LEN,
    Attribute,
    CertPayload,
    CRPayload,
    DeletePayload,
    ExchangeType,
    HashPayload,
    Header,
    IDPayload,
    KEPayload,
    NoncePayload,
    NotificationPayload,
    NotifyType,
    PayloadMalformed,
    ProposalPayload,
    SAPayload,
    SigPayload,
    TransformPayload,
    VendorIDPayload,
    decode_message,
    decode_payloads,
    encode_message,
    encode_payloads,
)

ICKY, RCKY = bytes.fromhex("011359c9ddef501d"), bytes.fromhex("2216ed2abfc50f5f")


def header(**kw) -> Header:
    kw.setdefault("next_payload", 0)
    return Header(icookie=ICKY, rcookie=RCKY,
                  exchange=kw.pop("exchange", ExchangeType.IDENTITY_PROTECTION), **kw)


def test_transform_bytes_match_rfc_layout():
    # 3DES, SHA, RSA signatures, group 2, life 28800 s: RFC 2409 appendix A values, TV form.
    t = TransformPayload(number=1, attributes=(
        Attribute(type=1, value=5), Attribute(type=2, value=2), Attribute(type=3, value=3),
        Attribute(type=4, value=2), Attribute(type=11, value=1), Attribute(type=12, value=28800)))
    assert t.encode_body().hex() == ("01010000" "80010005" "80020002" "80030003" "80040002"
                                     "800b0001" "800c7080")


def test_long_lifetime_is_a_tlv_attribute():
    attr = Attribute(type=12, value=(86400).to_bytes(4, "big"))
    assert attr.encode().hex() == "000c0004" "00015180"
    assert attr.int_value == 86400


def test_sa_round_trip_is_byte_exact():
    sa = SAPayload(proposals=(ProposalPayload(number=1, transforms=(
        TransformPayload(number=1, attributes=(Attribute(type=1, value=7),
                                               Attribute(type=14, value=256))),
        TransformPayload(number=2, attributes=(Attribute(type=12, value=b"\0\1Q\x80"),)))),))
    body = sa.encode_body()
    assert SAPayload.decode_body(body) == sa
    assert SAPayload.decode_body(body).encode_body() == body
    # DOI 1, situation 1, then a proposal saying "last" (0) with 2 transforms.
    assert body[:8] == struct.pack("!II", 1, 1)
    assert body[8] == 0 and body[15] == 2


PAYLOADS = [
    KEPayload(data=bytes(range(128))), NoncePayload(data=b"n" * 32),
    IDPayload(id_type=1, protocol=17, port=500, data=bytes([1, 1, 1, 2])),
    CertPayload(data=b"\x30\x82fake-der"), CRPayload(authority=b"\x30\x00"),
    HashPayload(data=b"h" * 20), SigPayload(data=b"s" * 128),
    NotificationPayload(notify_type=14, spi=ICKY + RCKY, data=b"x"),
    DeletePayload(spis=(ICKY + RCKY,)), VendorIDPayload(data=b"juniper"),
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: type(p).__name__)
def test_payload_round_trip(payload):
    first, data = encode_payloads([payload])
    assert first == payload.payload_type
    assert decode_payloads(first, data) == (payload,)


def test_message_round_trip_and_header_fields():
    datagram = encode_message(header(), PAYLOADS)
    message = decode_message(datagram)
    assert message.payloads == tuple(PAYLOADS)
    assert message.header.length == len(datagram)
    assert message.header.next_payload == 4  # KE first
    assert datagram[17] == 0x10  # version 1.0
    assert message.raw_body_of(IDPayload) == bytes([1, 17, 1, 244, 1, 1, 1, 2])


def test_encrypted_message_needs_its_body():
    data = header(flags=1, length=HEADER_LEN, next_payload=8).encode()
    # The flag is the peer's: a clear read of a message that claims encryption is malformed
    # input (INVALID-FLAGS), the error the state machines drop, not a bare ValueError.
    with pytest.raises(PayloadMalformed) as info:
        decode_message(data)
    assert info.value.notify is NotifyType.INVALID_FLAGS
    # Trailing padding after the last payload is accepted in a decrypted body.
    _, body = encode_payloads([HashPayload(data=b"h")])
    assert decode_message(data, body=body + b"\0\0\2").payloads == (HashPayload(data=b"h"),)


@pytest.mark.parametrize(("mutate", "notify"), [
    (lambda d: d[:17] + b"\x20" + d[18:], NotifyType.INVALID_MAJOR_VERSION),
    (lambda d: d[:17] + b"\x11" + d[18:], NotifyType.INVALID_MINOR_VERSION),
    (lambda d: d + b"\0", NotifyType.UNEQUAL_PAYLOAD_LENGTHS),
    (lambda d: d[:18] + b"\x63" + d[19:], NotifyType.INVALID_EXCHANGE_TYPE),
    (lambda d: d[:19] + b"\x80" + d[20:], NotifyType.INVALID_FLAGS),
    (lambda d: d[:16] + b"\x63" + d[17:], NotifyType.INVALID_PAYLOAD_TYPE),
    (lambda d: d[:HEADER_LEN + 2] + b"\xff\xff" + d[HEADER_LEN + 4:],
     NotifyType.PAYLOAD_MALFORMED),
    (lambda d: d[:10], NotifyType.PAYLOAD_MALFORMED),
    (lambda d: d[:HEADER_LEN + 1] + b"\x01" + d[HEADER_LEN + 2:],  # RESERVED not 0
     NotifyType.PAYLOAD_MALFORMED),
])
def test_malformed_datagrams_carry_their_notify(mutate, notify):
    good = encode_message(header(), [NoncePayload(data=b"n" * 16)])
    with pytest.raises(PayloadMalformed) as info:
        decode_message(mutate(good))
    assert info.value.notify is notify


def test_proposal_transform_count_must_match():
    prop = ProposalPayload(number=1, transforms=(TransformPayload(number=1),))
    body = bytearray(prop.encode_body())
    body[3] = 2
    with pytest.raises(PayloadMalformed) as info:
        ProposalPayload.decode_body(bytes(body))
    assert info.value.notify is NotifyType.BAD_PROPOSAL_SYNTAX


def test_sa_with_foreign_doi_is_refused():
    body = struct.pack("!II", 2, 1)
    with pytest.raises(PayloadMalformed) as info:
        SAPayload.decode_body(body)
    assert info.value.notify is NotifyType.DOI_NOT_SUPPORTED


def test_junos_error_words():
    assert NotifyType.NO_PROPOSAL_CHOSEN.text == "No proposal chosen"
    assert NotifyType.AUTHENTICATION_FAILED.text == "Authentication failed"
    assert NotifyType(8197).text == "Timeout"


def test_header_rejects_short_cookie():
    with pytest.raises(ValueError, match="icookie must be 8 bytes"):
        Header(icookie=b"x", rcookie=RCKY, next_payload=0, exchange=ExchangeType.AGGRESSIVE)
