"""Vendor IDs and NAT-D (sim.ike.vendor_ids, sim.ike.natt), sans I/O."""

from __future__ import annotations

import hashlib

import pytest

from sim.ike.crypto import HashAlgorithm
from sim.ike.natt import Endpoint, NatDetected, NatTraversal, nat_d_hash
from sim.ike.payloads import (
    ExchangeType,
    Header,
    PayloadType,
    RawPayload,
    VendorIDPayload,
    decode_message,
    encode_message,
)
from sim.ike.vendor_ids import NAT_T_RFC3947, announced, name_of, names_of

ICKY, RCKY = bytes(range(8)), bytes(range(8, 16))
SPOKE, PUBLIC, HUB = (Endpoint(address="10.0.1.2", port=500),
                      Endpoint(address="198.51.100.7", port=49152),
                      Endpoint(address="203.0.113.1", port=500))


def test_the_vendor_ids_are_the_ones_other_implementations_know():
    # As ike-scan and strongSwan print them for RFC 3947 and the drafts.
    assert [v.hex() for v in announced(nat_traversal=True)] == [
        "4a131c81070358455c5728f20e95452f", "7d9419a65310ca6f2c179d9215529d56",
        "90cb80913ebb696e086381b5ec427b1f", "cd60464335df21f87cfdb2fc68b6a448"]
    assert announced(nat_traversal=False) == ()


def test_received_vendor_ids_are_named_or_shown_in_hex():
    assert names_of(announced(nat_traversal=True)) == (
        "RFC 3947", "draft-ietf-ipsec-nat-t-ike-03", "draft-ietf-ipsec-nat-t-ike-02\\n",
        "draft-ietf-ipsec-nat-t-ike-02")
    assert name_of(bytes.fromhex("4485152d18b6bbcd0be8a8469579ddcc")) == \
        "draft-ietf-ipsec-nat-t-ike-00"
    assert name_of(b"\x1b[2J\n") == "1b5b324a0a"  # a peer's bytes never reach a log raw
    assert name_of(bytes(100)) == "00" * 32 + "..."


def test_nat_d_is_the_negotiated_hash_of_cookies_address_and_port():
    expected = hashlib.sha256(ICKY + RCKY + bytes([198, 51, 100, 7]) + (49152).to_bytes(2, "big"))
    assert nat_d_hash(HashAlgorithm.SHA256, ICKY, RCKY, PUBLIC) == expected.digest()
    assert len(nat_d_hash(HashAlgorithm.SHA1, ICKY, RCKY, PUBLIC)) == 20


def _side(local: Endpoint, remote: Endpoint, *, peer_nat_t: bool = True) -> NatTraversal:
    natt = NatTraversal(announced(nat_traversal=True))
    vids = [VendorIDPayload(data=NAT_T_RFC3947.data)] if peer_nat_t else []
    natt.read_vendor_ids(_message(vids))
    natt.observe(local=local, remote=remote)
    return natt


def _message(payloads: list) -> object:
    header = Header(icookie=ICKY, rcookie=RCKY, next_payload=0,
                    exchange=ExchangeType.IDENTITY_PROTECTION)
    # A message holds at least one payload: a vendor ID nobody knows stands in.
    return decode_message(encode_message(header, payloads or [VendorIDPayload(data=b"?")]))


def _exchange(sender: NatTraversal, receiver: NatTraversal) -> NatDetected | None:
    sent = sender.nat_d_payloads(HashAlgorithm.SHA256, ICKY, RCKY)
    return receiver.read_nat_d(_message(sent), HashAlgorithm.SHA256, ICKY, RCKY)


def test_each_side_finds_where_the_nat_is():
    # The spoke sends from 10.0.1.2:500; the hub sees the NAT's 198.51.100.7:49152.
    spoke, hub = _side(SPOKE, HUB), _side(HUB, PUBLIC)
    assert _exchange(spoke, hub) == NatDetected(local_behind=False, remote_behind=True)
    assert _exchange(hub, spoke) == NatDetected(local_behind=True, remote_behind=False)
    assert spoke.behind_nat and hub.behind_nat


def test_without_a_nat_nothing_is_found():
    a = _side(HUB, Endpoint(address="192.0.2.1", port=500))
    b = _side(Endpoint(address="192.0.2.1", port=500), HUB)
    assert _exchange(a, b) == NatDetected(local_behind=False, remote_behind=False)
    assert not b.behind_nat


def test_nat_d_only_when_both_sides_announced_nat_t():
    quiet = _side(SPOKE, HUB, peer_nat_t=False)
    assert not quiet.negotiated
    assert quiet.nat_d_payloads(HashAlgorithm.SHA1, ICKY, RCKY) == []
    assert _exchange(_side(HUB, PUBLIC), quiet) is None


@pytest.mark.parametrize("count", [0, 1])
def test_fewer_than_two_nat_d_payloads_decide_nothing(count):
    hub = _side(HUB, PUBLIC)
    one = [RawPayload(type=PayloadType.NAT_D, data=bytes(32))] * count
    assert hub.read_nat_d(_message(one), HashAlgorithm.SHA256, ICKY, RCKY) is None
    assert hub.detected is None
