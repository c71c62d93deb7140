"""Main Mode and Aggressive Mode between two real IKE SAs: real DH, real signatures, real
certificates, every byte on the wire decodable; and the ways a negotiation fails."""

import hmac
import random

import pytest
from cryptography import x509

from sim.ike import crypto
from sim.ike.ids import IkeId, render
from sim.ike.payloads import (
    HEADER_LEN,
    CertPayload,
    CRPayload,
    ExchangeType,
    HashPayload,
    Header,
    IDPayload,
    KEPayload,
    NoncePayload,
    SAPayload,
    SigPayload,
    decode_message,
)
from sim.ike.phase1 import (
    NEED_INPUT,
    IkeSA,
    LocalProtocolError,
    Mode,
    PeerCertificatesReceived,
    Phase1Config,
    Phase1Done,
    Phase1Failed,
    RemoteProtocolError,
    SendDatagram,
    State,
)
from sim.ike.proposals import IkeProposal
from sim.ike.quick_mode_wire import seal
from tests.sim.ike.ike_pair import A_ID, Pair, configs, proposal


def run(peers, ca, seed=1, tamper=None, **kw) -> Pair:
    return Pair.of(*configs(peers, ca, **kw), seed=seed, ca_cert=ca.cert, tamper=tamper).run()


# ---------------------------------------------------------------- success


@pytest.mark.parametrize(("kind", "group", "auth", "enc"), [
    ("rsa1024", "group2", "sha1", "3des-cbc"),
    ("rsa1024", "group14", "sha-256", "aes-256-cbc"),
    ("ecdsa256", "group19", "sha-256", "aes-128-cbc"),
    ("ecdsa384", "group20", "sha-384", "aes-256-cbc"),
    ("dsa1024", "group5", "sha1", "aes-192-cbc"),
    ("dsa1024", "group1", "md5", "3des-cbc"),
])
@pytest.mark.parametrize("mode", [Mode.MAIN, Mode.AGGRESSIVE], ids=lambda m: m.name.lower())
def test_negotiation_succeeds(peers, ca, kind, group, auth, enc, mode):
    pair = run(peers, ca, kind=kind, mode=mode,
               i_props=(proposal(kind, group, auth, enc),))
    i, r = pair.outcome("initiator"), pair.outcome("responder")
    assert isinstance(i, Phase1Done) and isinstance(r, Phase1Done), (i, r)
    assert i.keys == r.keys and i.last_iv == r.last_iv
    assert (i.icookie, i.rcookie) == (r.icookie, r.rcookie)
    assert render(r.remote_id) == "ipv4(udp:500,[0..3]=30.1.1.31)"
    assert render(i.remote_id) == "ipv4(udp:500,[0..3]=30.1.1.51)"
    assert i.peer_certificate == peers[kind][1].cert
    assert r.peer_certificate == peers[kind][0].cert
    assert len(pair.datagrams) == (6 if mode is Mode.MAIN else 3)
    assert pair.initiator.state is pair.responder.state is State.ESTABLISHED
    assert len(i.keys.enc_key) == i.proposal.encryption_algorithm.key_size


def test_main_mode_bytes_decode_message_by_message(peers, ca):
    pair = run(peers, ca, kind="rsa1024")
    done = pair.outcome("initiator")
    cipher = done.proposal.encryption_algorithm
    expected = [("initiator", {SAPayload}), ("responder", {SAPayload}),
                ("initiator", {"KE", "NONCE", "CR"}), ("responder", {"KE", "NONCE", "CR"}),
                ("initiator", {IDPayload, CertPayload, SigPayload}),
                ("responder", {IDPayload, CertPayload, SigPayload})]
    iv = done.keys.iv
    for (sender, data), (who, kinds) in zip(pair.datagrams, expected, strict=True):
        assert sender == who
        header = Header.decode(data)
        assert header.exchange is ExchangeType.IDENTITY_PROTECTION
        if header.encrypted:
            body = crypto.decrypt(cipher, done.keys.enc_key, iv, data[HEADER_LEN:])
            iv = data[-cipher.block_size:]
            message = decode_message(data, body=body)
        else:
            message = decode_message(data)
        names = {type(p) if isinstance(next(iter(kinds)), type) else
                 p.payload_type.name.replace("NOTIFICATION", "N") for p in message.payloads}
        assert names == kinds
    # Messages 5 and 6 really are ciphertext: the certificate is not readable in them.
    assert peers["rsa1024"][0].der[-40:] not in pair.datagrams[4][1]
    assert done.last_iv == pair.datagrams[5][1][-cipher.block_size:]


def test_same_seed_same_bytes(peers, ca):
    one = [d for _, d in run(peers, ca, seed=5).datagrams]
    two = [d for _, d in run(peers, ca, seed=5).datagrams]
    other = [d for _, d in run(peers, ca, seed=6).datagrams]
    assert one[:4] == two[:4]  # ECDSA signatures (5, 6) use OpenSSL's own nonce
    assert one[0] != other[0] and one[2] != other[2]
    rsa = [[d for _, d in run(peers, ca, kind="rsa1024", seed=5).datagrams] for _ in range(2)]
    assert rsa[0] == rsa[1]  # PKCS#1 v1.5 is deterministic: every byte repeats


def test_two_proposals_responder_picks_the_common_one(peers, ca):
    pair = run(peers, ca, i_props=(proposal(group="group20", name="first"),
                                   proposal(group="group19", name="second")),
               r_props=(proposal(group="group19", name="mine"),))
    assert pair.outcome("initiator").proposal.name == "second"
    assert pair.outcome("responder").proposal.name == "mine"


def test_certificate_requests_reach_pkid(peers, ca):
    pair = run(peers, ca)
    seen = [e for e in pair.events["responder"] if isinstance(e, PeerCertificatesReceived)]
    assert seen[0].certificate_requests == (ca.dn_der,)
    assert seen[0].certificates == (peers["ecdsa256"][0].der,)
    assert seen[0].peer_id == A_ID


# ---------------------------------------------------------------- failures


def failed(pair: Pair, role: str) -> Phase1Failed:
    outcome = pair.outcome(role)
    assert isinstance(outcome, Phase1Failed), outcome
    return outcome


@pytest.mark.parametrize("mode", [Mode.MAIN, Mode.AGGRESSIVE], ids=lambda m: m.name.lower())
def test_proposal_mismatch_is_no_proposal_chosen_on_both_sides(peers, ca, mode):
    pair = run(peers, ca, mode=mode, i_props=(proposal(auth="sha1"),),
               r_props=(proposal(auth="sha-256"),))
    r, i = failed(pair, "responder"), failed(pair, "initiator")
    assert (r.error, r.text) == (14, "No proposal chosen")
    assert (i.error, i.text) == (14, "No proposal chosen")
    assert render(r.local_id) == "unknown(any:0,[0..0]=)"


def test_mode_mismatch_fails(peers, ca):
    ci, cr = configs(peers, ca, mode=Mode.AGGRESSIVE)
    cr = Phase1Config(**{**cr.__dict__, "mode": Mode.MAIN})
    pair = Pair.of(ci, cr, ca_cert=ca.cert).run()
    assert failed(pair, "responder").error == 14
    assert failed(pair, "initiator").error == 14


def test_id_not_in_certificate_is_authentication_failed(peers, ca):
    # Host-A claims an FQDN its certificate does not carry (the guide's "incorrect IKE ID type").
    pair = run(peers, ca, i_id=IkeId.fqdn("ssg5.example.net"))
    r = failed(pair, "responder")
    assert (r.error, r.text) == (24, "Authentication failed")
    assert render(r.remote_id) == "fqdn(udp:500,[0..15]=ssg5.example.net)"
    assert failed(pair, "initiator").error == 24  # told by an encrypted notification


def test_unexpected_remote_id_fails_before_pkid(peers, ca):
    pair = run(peers, ca, expect_a=IkeId.ipv4("2.2.2.2"))
    assert failed(pair, "responder").error == 24
    assert not any(isinstance(e, PeerCertificatesReceived) for e in pair.events["responder"])


def test_wrong_private_key_gives_invalid_signature(peers, ca):
    # The initiator signs with a key that is not its certificate's key.
    pair = run(peers, ca, i_key=peers["ecdsa256"][1].key)
    r = failed(pair, "responder")
    assert (r.error, r.reason) == (25, "Signature check failed")


def test_tampered_signature_in_aggressive_mode(peers, ca):
    def flip_last_byte_of_message_2(index, sender, data):
        return data[:-1] + bytes([data[-1] ^ 1]) if index == 1 else data

    pair = run(peers, ca, kind="rsa1024", mode=Mode.AGGRESSIVE,
               tamper=flip_last_byte_of_message_2)
    assert failed(pair, "initiator").error == 25
    assert not isinstance(pair.outcome("responder"), Phase1Done)


def test_message_5_damaged_in_its_first_block_is_dropped_and_the_resend_completes(peers, ca):
    """The ID payload's header decrypts to garbage: the datagram is dropped, the responder is
    left as it was, and the initiator's retransmission of message 5 completes Phase 1."""
    def garble(index, sender, data):
        if index != 4:
            return data
        return data[:HEADER_LEN] + bytes([data[HEADER_LEN] ^ 0x55]) + data[HEADER_LEN + 1:]

    pair = run(peers, ca, tamper=garble)
    assert pair.outcome("responder") is None and pair.responder.state is State.WAIT_AUTH
    assert [exc.notify for exc in pair.dropped] in ([1], [16])
    pair.initiator.on_timer(pair.initiator.timer().generation)
    pair.settle()
    assert isinstance(pair.outcome("responder"), Phase1Done)
    assert isinstance(pair.outcome("initiator"), Phase1Done)


def test_message_5_damaged_in_its_signature_fails_with_invalid_signature(peers, ca):
    """The next-to-last block holds the end of SIG_I: the message decrypts and parses, and the
    signature in it is wrong: an authentication failure, not a drop."""
    def garble(index, sender, data):
        if index != 4:
            return data
        pos = len(data) - 17
        return data[:pos] + bytes([data[pos] ^ 0x55]) + data[pos + 1:]

    pair = run(peers, ca, tamper=garble)
    assert failed(pair, "responder").error == 25
    assert not isinstance(pair.outcome("initiator"), Phase1Done)


def test_pkid_rejection(peers, ca):
    pair = Pair.of(*configs(peers, ca), ca_cert=peers["rsa1024"][0].cert).run()  # wrong CA
    assert failed(pair, "responder").error == 24
    assert failed(pair, "initiator").error == 24


# ---------------------------------------------------------------- timers and misuse


def test_lost_message_is_retransmitted(peers, ca):
    lost = []

    def lose_first_message_2(index, sender, data):
        if sender == "responder" and not lost:
            lost.append(data)
            return None
        return data

    pair = run(peers, ca, tamper=lose_first_message_2)
    assert pair.initiator.state is State.WAIT_SA
    timer = pair.initiator.timer()
    assert timer.delay == 0.5
    pair.initiator.on_timer(timer.generation - 1)  # stale: nothing happens
    assert pair.initiator.next_event() is NEED_INPUT
    pair.initiator.on_timer(timer.generation)
    pair.settle()
    assert isinstance(pair.outcome("initiator"), Phase1Done)
    # The responder answered the repeated message 1 with message 2 again: 2, 2, 4, 6.
    assert [sender for sender, _ in pair.datagrams].count("responder") == 4
    assert pair.datagrams[1] == pair.datagrams[3]


def test_silence_ends_in_timeout(peers, ca):
    pair = run(peers, ca, tamper=lambda i, sender, d: None if sender == "responder" else d)
    delays = []
    while (timer := pair.initiator.timer()) is not None:
        delays.append(timer.delay)
        pair.initiator.on_timer(timer.generation)
        pair.settle()
    assert delays == [0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30, 30]
    i = failed(pair, "initiator")
    assert (i.error, i.text) == (8197, "Timeout")


def test_pkid_that_never_answers_times_out(peers, ca):
    pair = Pair.of(*configs(peers, ca), ca_cert=ca.cert, verdict=lambda sa, e: None).run()
    assert pair.responder.state is State.WAIT_VERDICT and pair.responder.timer() is None
    pair.responder.timeout()
    pair.settle()
    assert failed(pair, "responder").error == 8197


def test_foreign_cookies_and_garbage_are_dropped(peers, ca):
    pair = run(peers, ca)
    stranger = run(peers, ca, seed=99).datagrams[2][1]
    with pytest.raises(RemoteProtocolError) as info:
        pair.initiator.receive(stranger)
    assert info.value.notify == 4
    with pytest.raises(RemoteProtocolError):
        pair.responder.receive(b"\0" * 10)
    assert pair.initiator.state is State.ESTABLISHED


def test_local_misuse(peers, ca):
    ci, cr = configs(peers, ca)
    responder = IkeSA.responder(cr, rng=random.Random(1))
    with pytest.raises(LocalProtocolError):
        responder.start()
    with pytest.raises(LocalProtocolError):
        responder.certificate_verdict(peers["ecdsa256"][0].cert.public_key())
    initiator = IkeSA.initiator(ci, rng=random.Random(1))
    initiator.start()
    assert isinstance(initiator.next_event(), SendDatagram)
    initiator.timeout()
    with pytest.raises(LocalProtocolError):
        initiator.receive(b"x" * 28)


def test_config_checks(peers, ca):
    a, _ = peers["ecdsa256"]
    with pytest.raises(ValueError, match="authentication-method rsa-signatures does not fit"):
        Phase1Config(proposals=(proposal("rsa1024"),), local_id=A_ID, private_key=a.key)
    with pytest.raises(ValueError, match="same dh-group"):
        Phase1Config(proposals=(proposal(group="group19"), proposal(group="group20")),
                     local_id=A_ID, private_key=a.key, mode=Mode.AGGRESSIVE)


def test_peer_certificate_is_a_real_x509(peers, ca):
    done = run(peers, ca, kind="dsa1024").outcome("initiator")
    assert isinstance(done.peer_certificate, x509.Certificate)
    assert done.peer_certificate.subject.rfc4514_string() == "CN=Host-B,O=example,C=US"


# ---------------------------------------------------------------- pre-shared keys


def psk_configs(i_key=b"juniper123", r_key=b"juniper123", *, mode=Mode.MAIN):
    """Host-A and Host-B with `authentication-method pre-shared-keys` and no certificate."""
    props = (IkeProposal.from_statements("psk", {
        "authentication-method": "pre-shared-keys", "dh-group": "group14",
        "authentication-algorithm": "sha-256", "encryption-algorithm": "aes-128-cbc"}),)
    b_id = IkeId.ipv4("30.1.1.51")
    return (Phase1Config(proposals=props, local_id=A_ID, pre_shared_key=i_key, mode=mode,
                         remote_id=b_id),
            Phase1Config(proposals=props, local_id=b_id, pre_shared_key=r_key, mode=mode))


@pytest.mark.parametrize("mode", [Mode.MAIN, Mode.AGGRESSIVE], ids=lambda m: m.name.lower())
def test_pre_shared_key_negotiation_succeeds_without_certificates(mode):
    pair = Pair.of(*psk_configs(mode=mode), verdict=lambda sa, e: pytest.fail("pkid asked"))
    pair.run()
    i, r = pair.outcome("initiator"), pair.outcome("responder")
    assert isinstance(i, Phase1Done) and isinstance(r, Phase1Done)
    assert i.keys == r.keys and i.peer_certificate is None
    kinds = set()
    iv = i.keys.iv
    for _, data in pair.datagrams:
        if Header.decode(data).encrypted:
            cipher = i.proposal.encryption_algorithm
            body = crypto.decrypt(cipher, i.keys.enc_key, iv, data[HEADER_LEN:])
            iv = data[-cipher.block_size:]
            message = decode_message(data, body=body)
        else:
            message = decode_message(data)
        kinds |= {type(p) for p in message.payloads}
    assert HashPayload in kinds and not kinds & {CertPayload, CRPayload, SigPayload}


def test_pre_shared_key_skeyid_is_prf_of_the_key_over_the_nonces():
    """RFC 2409 5: SKEYID = prf(pre-shared-key, Ni_b | Nr_b), then the usual derivation:
    HASH_I recomputed here from the wire bytes and that SKEYID equals the one sent."""
    pair = Pair.of(*psk_configs(), verdict=lambda sa, e: None).run()
    done = pair.outcome("initiator")
    ke_nonce = [decode_message(d) for _, d in pair.datagrams[2:4]]
    (ni,), (nr,) = ([p.data for p in m.payloads if isinstance(p, NoncePayload)]
                    for m in ke_nonce)
    alg = done.proposal.authentication_algorithm
    skeyid = hmac.new(b"juniper123", ni + nr, alg.hashlib_name).digest()
    assert done.keys.skeyid == skeyid
    sai_b = decode_message(pair.datagrams[0][1]).raw_bodies[0]
    gxi, gxr = ([p.data for p in m.payloads if isinstance(p, KEPayload)][0] for m in ke_nonce)
    cipher = done.proposal.encryption_algorithm
    body = crypto.decrypt(cipher, done.keys.enc_key, done.keys.iv,
                          pair.datagrams[4][1][HEADER_LEN:])
    message5 = decode_message(pair.datagrams[4][1], body=body)
    expected = hmac.new(skeyid, gxi + gxr + done.icookie + done.rcookie + sai_b
                        + message5.raw_body_of(IDPayload), alg.hashlib_name).digest()
    assert message5.first(HashPayload).data == expected


def test_pre_shared_key_mismatch_in_main_mode_fails_on_the_resent_message_5():
    pair = Pair.of(*psk_configs(r_key=b"other"), verdict=lambda sa, e: None).run()
    assert pair.responder.state is State.WAIT_AUTH and len(pair.dropped) == 1
    pair.initiator.on_timer(pair.initiator.timer().generation)  # the same message 5 again
    pair.settle()
    r = failed(pair, "responder")
    assert r.error in (1, 16) and r.reason.startswith("Incorrect pre-shared key (")
    assert not isinstance(pair.outcome("initiator"), Phase1Done)


def test_pre_shared_key_mismatch_in_aggressive_mode_is_a_hash_mismatch():
    pair = Pair.of(*psk_configs(r_key=b"other", mode=Mode.AGGRESSIVE),
                   verdict=lambda sa, e: None).run()
    i = failed(pair, "initiator")
    assert (i.error, i.reason) == (24, "Hash value mismatch")


def test_pre_shared_keys_config_checks(peers):
    i, _ = psk_configs()
    with pytest.raises(ValueError, match="authentication-method pre-shared-keys needs a "
                                         "pre-shared key"):
        Phase1Config(proposals=i.proposals, local_id=A_ID)
    with pytest.raises(ValueError, match="needs the local certificate's private key"):
        Phase1Config(proposals=(proposal("rsa1024"),), local_id=A_ID, pre_shared_key=b"k")
    with pytest.raises(ValueError, match="non-empty bytes"):
        Phase1Config(proposals=i.proposals, local_id=A_ID, pre_shared_key=b"")


def test_aggressive_mode_message_3_sent_encrypted_is_read_and_carries_the_iv(peers, ca):
    """RFC 2409 section 5 lets the initiator encrypt message 3 (strongSwan does): the responder
    decrypts it under the Phase-1 key with hash(g^xi | g^xr) as IV, and Quick Mode's IVs then
    follow on from its last cipher block."""
    sealed: list[bytes] = []

    def encrypt_message_3(index, sender, data):
        if index != 2:
            return data
        i = pair.initiator
        clear = decode_message(data)
        encrypted, _ = seal(i, 0, i.keys.iv, list(clear.payloads),
                            exchange=ExchangeType.AGGRESSIVE)
        sealed.append(encrypted)
        return encrypted

    pair = Pair.of(*configs(peers, ca, kind="rsa1024", mode=Mode.AGGRESSIVE), seed=1,
                   ca_cert=ca.cert, tamper=encrypt_message_3)
    pair.run()
    r = pair.outcome("responder")
    assert isinstance(r, Phase1Done), r
    assert render(r.remote_id) == "ipv4(udp:500,[0..3]=30.1.1.31)"
    block = r.proposal.encryption_algorithm.block_size
    assert r.last_iv == sealed[0][-block:] != r.keys.iv
