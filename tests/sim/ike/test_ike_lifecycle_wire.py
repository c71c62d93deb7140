"""The wire side of a tunnel's life, sans I/O: lifetimes in offers without an SA Life Duration,
DELETE payloads and INITIAL-CONTACT in encrypted Informationals, CR payloads in Main Mode
message 5, and the DELETE an initiator sends when it refuses message 6."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography import x509
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.ike import crypto
from sim.ike.informational import delete_esp, delete_ike, initial_contact, read
from sim.ike.ipsec_proposals import LIFE_KILOBYTES, IpsecProposal, Suite
from sim.ike.ipsec_proposals import select as select_esp
from sim.ike.payloads import (
    HEADER_LEN,
    CertPayload,
    CRPayload,
    DeletePayload,
    ExchangeType,
    Header,
    NotificationPayload,
    NotifyType,
    PayloadMalformed,
    RawPayload,
    SAPayload,
    decode_message,
)
from sim.ike.phase1 import Mode, Phase1Done, Phase1Failed
from sim.ike.proposals import select
from sim.ike.quick_mode_wire import lifetime_of, responder_lifetime, seal_informational
from tests.sim.ike.ike_pair import Pair, configs, proposal

# -- an offer with no SA Life Duration ----------------------------------------------------------

# The SA payload body of a strongSwan IKEv1 Main Mode offer as it goes on the wire: DOI 1,
# situation SIT_IDENTITY_ONLY, one ISAKMP proposal with one KEY_IKE transform whose attributes
# are AES-CBC, key length 128, SHA2-256, RSA signatures, MODP 2048 (group 14), and no SA Life
# Type / Duration.
STRONGSWAN_SA = bytes.fromhex(
    "00000001" "00000001"
    "0000" "0024" "01" "01" "00" "01"
    "0000" "001c" "01" "01" "0000"
    "80010007" "800e0080" "80020004" "80030003" "8004000e")


def test_a_phase1_offer_without_life_duration_lasts_rfc_2407s_28800_seconds():
    offer = SAPayload.decode_body(STRONGSWAN_SA)
    local = proposal("rsa1024", "group14", "sha-256", "aes-128-cbc")
    reply, chosen = select(offer, (local,))
    assert chosen.lifetime_seconds == 28800  # not Junos's configured default of 3600
    assert reply.proposals[0].transforms == offer.proposals[0].transforms


# An ESP transform with no SA Life attributes: AES-CBC (12), key length 128, HMAC-SHA1,
# tunnel mode.
STRONGSWAN_ESP = bytes.fromhex(
    "00000001" "00000001"
    "0000" "0020" "01" "03" "04" "01" "c1a0b0c0"
    "0000" "0014" "01" "0c" "0000"
    "80060080" "80050002" "80040001")


def test_an_esp_offer_without_life_duration_is_28800_seconds_shortened_by_the_responder():
    """RFC 2407's 28800 s offered, Junos's 3600 s configured: the responder keeps its own and
    says so with RESPONDER-LIFETIME."""
    offer = SAPayload.decode_body(STRONGSWAN_ESP)
    mine = IpsecProposal.from_statements("p2", {
        "protocol": "esp", "authentication-algorithm": "hmac-sha1-96",
        "encryption-algorithm": "aes-128-cbc"})
    chosen = select_esp(offer, (Suite(proposal=mine, group=None),), bytes.fromhex("0a0b0c0d"))
    assert chosen.offered_lifetime == 28800
    assert chosen.proposal.lifetime_seconds == 3600


# -- Informationals -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def established(peers, ca) -> tuple[Phase1Done, Phase1Done]:
    pair = Pair.of(*configs(peers, ca), ca_cert=ca.cert).run()
    return pair.outcome("initiator"), pair.outcome("responder")


def test_a_delete_of_esp_sas_names_their_spis_and_is_read_by_the_peer(established):
    initiator, responder = established
    data = delete_esp(initiator, 0x1234, [0x1A24EAB9, 0xBCE1C6E0])
    header = Header.decode(data)
    assert (header.exchange, header.encrypted, header.message_id) == (
        ExchangeType.INFORMATIONAL, True, 0x1234)
    info = read(responder, data)
    assert info.deleted_esp == (0x1A24EAB9, 0xBCE1C6E0)
    assert info.deleted_ike == () and info.errors() == ()


def test_a_delete_of_the_ike_sa_names_its_cookies_after_the_reason(established):
    initiator, responder = established
    info = read(responder, delete_ike(initiator, 7, notify=NotifyType.AUTHENTICATION_FAILED))
    assert info.deleted_ike == (initiator.icookie + initiator.rcookie,)
    assert info.errors() == (NotifyType.AUTHENTICATION_FAILED,)


def test_a_delete_that_does_not_authenticate_is_refused(established):
    initiator, responder = established
    data = bytearray(delete_ike(initiator, 9))
    data[HEADER_LEN + 30] ^= 1  # inside the HASH(1) payload once decrypted
    with pytest.raises(PayloadMalformed):
        read(responder, bytes(data))


def test_deletes_of_other_protocols_or_spi_sizes_name_nothing(established):
    initiator, responder = established
    odd = DeletePayload(protocol_id=2, spi_size=4, spis=(b"\x00\x00\x01\x00",))  # AH
    short = DeletePayload(protocol_id=3, spi_size=2, spis=(b"\x01\x02",))
    info = read(responder, seal_informational(initiator, 11, odd, short))
    assert (info.deleted_esp, info.deleted_ike, info.ignored) == ((), (), 2)


# -- Main Mode message 5: CR payloads and INITIAL-CONTACT ---------------------------------------


def _decrypted(pair: Pair) -> list:
    """Every Phase-1 message of a Main Mode run, messages 5 and 6 decrypted."""
    done = pair.outcome("responder")
    iv, out = done.keys.iv, []
    cipher = done.proposal.encryption_algorithm
    for _, data in pair.datagrams[:6]:
        if Header.decode(data).encrypted:
            body = crypto.decrypt(cipher, done.keys.enc_key, iv, data[HEADER_LEN:])
            iv = data[-cipher.block_size:]
            out.append(decode_message(data, body=body))
        else:
            out.append(decode_message(data))
    return out


@pytest.mark.parametrize("cr_message", [3, 5])
def test_a_cr_in_message_5_chooses_the_chain_of_message_6_as_one_in_message_3(peers, ca,
                                                                               cr_message):
    """The responder holds its certificate and the CA's; the initiator's CR names that CA, so
    message 6 carries the end-entity certificate alone, wherever the CR came."""
    ci, cr = configs(peers, ca)
    b = peers["ecdsa256"][1]
    ci = replace(ci, cr_message=cr_message)
    cr = replace(cr, certificates=(b.der, ca.der))
    pair = Pair.of(ci, cr, ca_cert=ca.cert).run()
    assert isinstance(pair.outcome("initiator"), Phase1Done)
    messages = _decrypted(pair)
    sent_crs = {n + 1: [p.authority for p in m.all(CRPayload)]
                for n, m in enumerate(messages) if n in (2, 4)}
    assert sent_crs == {3: [ca.dn_der] if cr_message == 3 else [],
                        5: [ca.dn_der] if cr_message == 5 else []}
    assert [c.data for c in messages[5].all(CertPayload)] == [b.der]


def test_without_a_cr_message_6_carries_the_whole_chain(peers, ca):
    ci, cr = configs(peers, None)
    b = peers["ecdsa256"][1]
    pair = Pair.of(ci, replace(cr, certificates=(b.der, ca.der)), ca_cert=ca.cert).run()
    assert [c.data for c in _decrypted(pair)[5].all(CertPayload)] == [b.der, ca.der]


def test_initial_contact_travels_in_message_5_and_reaches_the_responder(peers, ca):
    ci, cr = configs(peers, ca)
    pair = Pair.of(replace(ci, initial_contact=True), cr, ca_cert=ca.cert).run()
    done = pair.outcome("responder")
    assert done.initial_contact is True
    notes = _decrypted(pair)[4].all(NotificationPayload)
    assert notes == (initial_contact(done.icookie, done.rcookie),)
    quiet = Pair.of(ci, cr, ca_cert=ca.cert).run()
    assert quiet.outcome("responder").initial_contact is False
    assert _decrypted(quiet)[4].all(NotificationPayload) == ()


# -- the initiator that refuses message 6 ---------------------------------------------------------


def test_an_initiator_refusing_message_6_tells_the_finished_responder_and_deletes(peers, ca):
    def refuse_responder(sa, event) -> None:
        if sa.role.value == "initiator":
            sa.certificate_rejected(NotifyType.AUTHENTICATION_FAILED, "revoked")
        else:
            sa.certificate_verdict(x509.load_der_x509_certificate(
                event.certificates[0]).public_key())

    pair = Pair.of(*configs(peers, ca), verdict=refuse_responder).run()
    assert isinstance(pair.outcome("initiator"), Phase1Failed)
    done = pair.outcome("responder")
    assert isinstance(done, Phase1Done)
    (sender, last), = pair.datagrams[6:]
    assert sender == "initiator"
    info = read(done, last)
    assert info.deleted_ike == (done.icookie + done.rcookie,)
    assert info.errors() == (NotifyType.AUTHENTICATION_FAILED,)


# -- Phase-1 lifetimes that differ ----------------------------------------------------------------


@pytest.mark.parametrize("mode", [Mode.MAIN, Mode.AGGRESSIVE], ids=lambda m: m.name.lower())
@pytest.mark.parametrize(("offered", "configured", "notified"), [
    (28800, 3600, True),    # the responder's is shorter: it says so in message 2
    (3600, 28800, False),   # the initiator's is shorter: taken as offered
    (7200, 7200, False),
])
def test_both_sides_settle_on_the_shorter_ike_lifetime(peers, ca, mode, offered, configured,
                                                       notified):
    ci, cr = configs(peers, ca, mode=mode)
    ci = replace(ci, proposals=(replace(ci.proposals[0], lifetime_seconds=offered),))
    cr = replace(cr, proposals=(replace(cr.proposals[0], lifetime_seconds=configured),))
    pair = Pair.of(ci, cr, ca_cert=ca.cert).run()
    i, r = pair.outcome("initiator"), pair.outcome("responder")
    assert isinstance(i, Phase1Done) and isinstance(r, Phase1Done)
    assert i.proposal.lifetime_seconds == r.proposal.lifetime_seconds == min(offered, configured)
    message_2 = decode_message(pair.datagrams[1][1])
    notes = [n for n in message_2.all(NotificationPayload)
             if n.notify_type == NotifyType.RESPONDER_LIFETIME]
    assert len(notes) == int(notified)
    if notified:
        assert (notes[0].protocol_id, notes[0].spi) == (1, r.icookie + r.rcookie)
        assert notes[0].data == bytes.fromhex("800b0001800c0e10")  # seconds, 3600


# -- lifetime-kilobytes -------------------------------------------------------------------------


def _esp(kilobytes: int | None, seconds: int = 3600) -> IpsecProposal:
    statements = {"protocol": "esp", "authentication-algorithm": "hmac-sha1-96",
                  "encryption-algorithm": "aes-128-cbc", "lifetime-seconds": seconds}
    if kilobytes is not None:
        statements["lifetime-kilobytes"] = kilobytes
    return IpsecProposal.from_statements("p2", statements)


def test_an_offer_with_both_lifetimes_carries_two_life_pairs():
    transform = _esp(4608).to_transform(None)
    life = [(a.type, a.int_value) for a in transform.attributes if a.type in (1, 2)]
    assert life == [(1, 1), (2, 3600), (1, 2), (2, 4608)]


@pytest.mark.parametrize(("offered", "mine", "settled", "notified"), [
    (4608, None, 4608, False),     # the initiator's size limit is taken
    (None, 1024, 1024, True),      # ours, told to an initiator that had none
    (4608, 1024, 1024, True),
    (1024, 4608, 1024, False),
])
def test_the_shorter_size_limit_wins_and_the_responder_says_so(offered, mine, settled,
                                                              notified):
    offer = SAPayload(proposals=(replace(
        SAPayload.decode_body(STRONGSWAN_ESP).proposals[0],
        transforms=(_esp(offered).to_transform(None),)),))
    chosen = select_esp(offer, (Suite(proposal=_esp(mine), group=None),), b"\x0a\x0b\x0c\x0d")
    assert chosen.proposal.lifetime_kilobytes == settled
    assert chosen.shortened is notified
    note = responder_lifetime(b"\x0a\x0b\x0c\x0d", chosen.proposal.lifetime_seconds,
                              chosen.proposal.lifetime_kilobytes)
    assert lifetime_of(note.data) == 3600
    assert lifetime_of(note.data, LIFE_KILOBYTES) == settled


# -- a peer's Informational, authenticated but arbitrary ---------------------------------------

_BODIES = st.lists(st.tuples(st.sampled_from([11, 12]), st.binary(max_size=64)),
                   min_size=1, max_size=4)


@settings(max_examples=100)
@given(bodies=_BODIES)
def test_an_authenticated_informational_of_any_content_is_read_or_refused(established, bodies):
    """The peer holds the keys, so whatever it puts in NOTIFICATION and DELETE payloads
    authenticates: read() returns what it names, or refuses it with PayloadMalformed (a
    dropped datagram), and never anything else."""
    initiator, responder = established
    data = seal_informational(initiator, 5, *(RawPayload(type=t, data=b) for t, b in bodies))
    try:
        info = read(responder, data)
    except PayloadMalformed:
        return
    assert all(len(c) == 16 for c in info.deleted_ike)
    assert all(0 <= spi <= 0xFFFFFFFF for spi in info.deleted_esp)
    for error in info.errors():
        assert isinstance(error, NotifyType)
