"""Quick Mode between two real QuickModeSAs under a real Phase-1 SA: encrypted bytes, real
HASHes, real PFS Diffie-Hellman, KEYMAT both sides agree on; and the guide's Phase-2 failures."""

import hashlib
import hmac
import random

import pytest

from sim.ike import crypto
from sim.ike.crypto import DHGroup
from sim.ike.ids import IkeId, render
from sim.ike.ipsec_proposals import PROPOSAL_SETS, IpsecProposal
from sim.ike.payloads import (
    HEADER_LEN,
    ExchangeType,
    HashPayload,
    Header,
    IDPayload,
    KEPayload,
    NoncePayload,
    NotifyType,
    SAPayload,
    decode_message,
    encode_payloads,
)
from sim.ike.phase1 import LocalProtocolError, Phase1Done, RemoteProtocolError
from sim.ike.phase2 import (
    Cause,
    Phase2Config,
    ProxyIds,
    QuickModeDone,
    QuickModeFailed,
    QuickModeSA,
    State,
    first_iv,
    is_quick_mode,
    proxy_id_mismatch_message,
    seal,
)
from sim.ike.quick_mode_wire import responder_lifetime
from tests.sim.ike.ike_pair import Pair, configs, proposal
from tests.sim.ike.qm_pair import QmPair

HOST = ProxyIds.of("10.10.10.0/24", "192.168.168.0/24")   # the SRX in the guide (1.1.1.2)
PEER = ProxyIds.of("192.168.168.0/24", "10.10.10.0/24")   # ssg5.example.net (2.2.2.2)


def esp(name="p2", auth="hmac-sha1-96", enc="3des-cbc", **kw):
    return IpsecProposal.from_statements(name, {"protocol": "esp",
                                                "authentication-algorithm": auth,
                                                "encryption-algorithm": enc, **kw})


def config(proposals=None, proxy_ids=PEER, pfs=None, **kw) -> Phase2Config:
    return Phase2Config(proposals=proposals or (esp(),), proxy_ids=proxy_ids, pfs_group=pfs, **kw)


@pytest.fixture(scope="module")
def phase1(peers, ca) -> dict[str, tuple[Phase1Done, Phase1Done]]:
    """Established Phase-1 SAs: the guide's rsa-prop1 (RSA, 3DES, SHA-1, group 2), and an
    ECDSA / AES-256 / SHA-256 / group 19 one."""
    out = {}
    for seed, (kind, (key_kind, *suite)) in enumerate({
        "rsa-3des-sha1": ("rsa1024", "group2", "sha1", "3des-cbc"),
        "ecdsa-aes256-sha256": ("ecdsa256", "group19", "sha-256", "aes-256-cbc"),
    }.items()):
        # No remote identity expected, no certificate requests.
        ci, cr = configs(peers, None, key_kind, i_props=(proposal(key_kind, *suite),),
                         expect_b=None)
        pair = Pair.of(ci, cr, seed=seed, ca_cert=ca.cert).run()  # own cookies each
        i, r = pair.outcome("initiator"), pair.outcome("responder")
        assert isinstance(i, Phase1Done) and isinstance(r, Phase1Done)
        out[kind] = (i, r)
    return out


def run(phase1, init=None, resp=None, *, kind="rsa-3des-sha1", seed=1, tamper=None) -> QmPair:
    return QmPair.of(phase1[kind], init or config(), resp or config(proxy_ids=HOST),
                     seed=seed, tamper=tamper).run()


def outcomes(pair: QmPair):
    return pair.outcome("initiator"), pair.outcome("responder")


def plaintexts(pair: QmPair, p1: Phase1Done) -> list:
    """Decrypt the three Quick Mode messages with the Phase-1 key, independently of phase2.py."""
    cipher = p1.proposal.encryption_algorithm
    alg = p1.proposal.authentication_algorithm.hashlib_name
    out, iv = [], None
    for _, data in pair.datagrams:
        header = Header.decode(data)
        if iv is None:
            iv = hashlib.new(alg, p1.last_iv + data[20:24]).digest()[:cipher.block_size]
        body = crypto.decrypt(cipher, p1.keys.enc_key, iv, data[HEADER_LEN:])
        iv = data[-cipher.block_size:]
        out.append((header, decode_message(data, body=body), body))
    return out


# ---------------------------------------------------------------- success


@pytest.mark.parametrize("kind", ["rsa-3des-sha1", "ecdsa-aes256-sha256"])
@pytest.mark.parametrize("pfs", [None, DHGroup.MODP_1024, DHGroup.MODP_2048],
                         ids=["no-pfs", "group2", "group14"])
@pytest.mark.parametrize(("auth", "enc"), [("hmac-sha1-96", "3des-cbc"),
                                           ("hmac-sha-256-128", "aes-256-cbc"),
                                           ("hmac-md5-96", "aes-128-cbc")])
def test_quick_mode_succeeds(phase1, kind, pfs, auth, enc):
    proposals = (esp(auth=auth, enc=enc),)
    pair = run(phase1, config(proposals, pfs=pfs),
               config(proposals, proxy_ids=HOST, pfs=pfs), kind=kind)
    i, r = outcomes(pair)
    assert isinstance(i, QuickModeDone) and isinstance(r, QuickModeDone), (i, r)
    assert pair.initiator.state is pair.responder.state is State.DONE
    assert len(pair.datagrams) == 3 and not pair.dropped
    assert i.message_id == r.message_id != 0
    assert i.outbound_keys == r.inbound_keys and i.inbound_keys == r.outbound_keys
    assert i.outbound_spi == r.inbound_spi != i.inbound_spi == r.outbound_spi
    assert i.outbound_keys != i.inbound_keys
    assert i.pfs_group is r.pfs_group is pfs
    proposal = i.proposal
    assert len(i.inbound_keys.encryption_key) == proposal.encryption_algorithm.key_size
    assert len(i.inbound_keys.authentication_key) == proposal.authentication_algorithm.key_size
    assert (i.local_proxy_id, i.remote_proxy_id) == (r.remote_proxy_id, r.local_proxy_id)
    assert render(r.local_proxy_id) == "ipv4_subnet(any:0,[0..7]=10.10.10.0/24)"
    assert render(r.remote_proxy_id) == "ipv4_subnet(any:0,[0..7]=192.168.168.0/24)"
    assert i.lifetime_seconds == r.lifetime_seconds == 3600


def test_messages_on_the_wire(phase1):
    """Exchange 32, one M-ID, encrypted; payloads in RFC 2409 order; HASH(1..3) recomputed."""
    p1 = phase1["rsa-3des-sha1"][0]
    pair = run(phase1, config(pfs=DHGroup.MODP_1024),
               config(proxy_ids=HOST, pfs=DHGroup.MODP_1024))
    (h1, m1, b1), (h2, m2, b2), (h3, m3, _) = plaintexts(pair, p1)
    assert [s for s, _ in pair.datagrams] == ["initiator", "responder", "initiator"]
    for header in (h1, h2, h3):
        assert header.exchange is ExchangeType.QUICK_MODE and header.encrypted
        assert (header.icookie, header.rcookie) == (p1.icookie, p1.rcookie)
        assert header.message_id == h1.message_id
    kinds = [HashPayload, SAPayload, NoncePayload, KEPayload, IDPayload, IDPayload]
    assert [type(p) for p in m1.payloads] == kinds
    assert [type(p) for p in m2.payloads] == kinds
    assert [type(p) for p in m3.payloads] == [HashPayload]
    assert len(m1.payloads[3].data) == DHGroup.MODP_1024.ke_size
    mid = h1.message_id.to_bytes(4, "big")
    ni, nr = m1.payloads[2].data, m2.payloads[2].data
    key = p1.keys.skeyid_a

    def after_hash(message, body):
        rest = encode_payloads(message.payloads[1:])[1]
        assert body[4 + len(message.payloads[0].data):].startswith(rest)  # bytes as sent
        return rest

    assert m1.payloads[0].data == hmac.new(key, mid + after_hash(m1, b1), "sha1").digest()
    assert m2.payloads[0].data == hmac.new(key, mid + ni + after_hash(m2, b2), "sha1").digest()
    assert m3.payloads[0].data == hmac.new(key, b"\0" + mid + ni + nr, "sha1").digest()
    sa = m1.payloads[1].proposals[0]
    assert (sa.protocol_id, len(sa.spi), sa.transforms[0].transform_id) == (3, 4, 3)
    attrs = {a.type: a.int_value for a in sa.transforms[0].attributes}
    assert attrs == {1: 1, 2: 3600, 3: 2, 4: 1, 5: 2}  # life s/3600, group 2, tunnel, HMAC-SHA


@pytest.mark.parametrize("pfs", [None, DHGroup.MODP_1024], ids=["no-pfs", "group2"])
def test_keymat_is_rfc_2409(phase1, pfs):
    """KEYMAT recomputed by hand from the decrypted nonces, SPIs and (PFS) g(qm)^xy."""
    p1 = phase1["rsa-3des-sha1"][0]
    proposals = (esp(enc="aes-256-cbc"),)
    pair = run(phase1, config(proposals, pfs=pfs), config(proposals, proxy_ids=HOST, pfs=pfs))
    (_, m1, _), (_, m2, _), _ = plaintexts(pair, p1)
    ni, nr = m1.payloads[2].data, m2.payloads[2].data
    gxy = b""
    if pfs is not None:
        gxy = pair.initiator._dh.shared_secret(m2.payloads[3].data)
        assert gxy == pair.responder._dh.shared_secret(m1.payloads[3].data)
    spi_r = m2.payloads[1].proposals[0].spi
    seed = gxy + b"\x03" + spi_r + ni + nr
    k1 = hmac.new(p1.keys.skeyid_d, seed, "sha1").digest()
    k2 = hmac.new(p1.keys.skeyid_d, k1 + seed, "sha1").digest()
    k3 = hmac.new(p1.keys.skeyid_d, k2 + seed, "sha1").digest()
    keys = pair.outcome("initiator").outbound_keys
    assert keys.spi == int.from_bytes(spi_r, "big")
    assert keys.encryption_key + keys.authentication_key == (k1 + k2 + k3)[:32 + 20]


def test_guide_configuration_proposal_set_standard_with_pfs_group2(phase1):
    """`proposal-set standard` + `perfect-forward-secrecy keys group2` on both peers."""
    standard = PROPOSAL_SETS["standard"]
    pair = run(phase1, config(standard, pfs=DHGroup.MODP_1024),
               config(standard, proxy_ids=HOST, pfs=DHGroup.MODP_1024))
    i, r = outcomes(pair)
    assert isinstance(r, QuickModeDone), r
    assert r.proposal.name == "esp-group2-3des-sha1"
    assert r.proposal.statements()["authentication-algorithm"] == "hmac-sha1-96"
    assert r.proposal.statements()["encryption-algorithm"] == "3des-cbc"
    assert r.pfs_group is DHGroup.MODP_1024
    assert i.inbound_keys == r.outbound_keys


def test_proposal_set_standard_alone_means_pfs_group2(phase1):
    standard = PROPOSAL_SETS["standard"]
    pair = run(phase1, config(standard), config(standard, proxy_ids=HOST))
    assert pair.outcome("responder").pfs_group is DHGroup.MODP_1024
    kes = [p for p in plaintexts(pair, phase1["rsa-3des-sha1"][0])[0][1].payloads
           if isinstance(p, KEPayload)]
    assert len(kes) == 1


def test_responder_takes_the_first_offered_proposal_it_accepts(phase1):
    offer = (esp("strong", "hmac-sha-256-128", "aes-256-cbc"), esp("legacy"),
             esp("aes", enc="aes-128-cbc"))
    mine = (esp("aes-local", enc="aes-128-cbc"), esp("legacy-local"))
    i, r = outcomes(run(phase1, config(offer), config(mine, proxy_ids=HOST)))
    assert i.proposal.name == "legacy" and r.proposal.name == "legacy-local"


def test_shorter_responder_lifetime_wins_on_both_sides(phase1):
    i, r = outcomes(run(phase1, config((esp(**{"lifetime-seconds": 3600}),)),
                        config((esp(**{"lifetime-seconds": 1800}),), proxy_ids=HOST)))
    assert i.lifetime_seconds == r.lifetime_seconds == 1800
    i, r = outcomes(run(phase1, config((esp(**{"lifetime-seconds": 900}),)),
                        config((esp(**{"lifetime-seconds": 1800}),), proxy_ids=HOST)))
    assert i.lifetime_seconds == r.lifetime_seconds == 900


def test_route_based_vpn_uses_any_any(phase1):
    i, r = outcomes(run(phase1, config(proxy_ids=ProxyIds.route_based()),
                        config(proxy_ids=ProxyIds.route_based())))
    assert isinstance(r, QuickModeDone)
    assert render(r.local_proxy_id) == render(r.remote_proxy_id) == \
        "ipv4_subnet(any:0,[0..7]=0.0.0.0/0)"


def test_same_seed_same_bytes(phase1):
    def wire(seed):
        pfs = DHGroup.MODP_1024
        return [d for _, d in run(phase1, config(pfs=pfs), config(proxy_ids=HOST, pfs=pfs),
                                  seed=seed).datagrams]
    assert wire(7) == wire(7)
    assert wire(7)[0] != wire(8)[0]


# ---------------------------------------------------------------- the guide's Phase-2 failures


def test_proxy_id_mismatch_is_the_guides_failure(phase1):
    """Peer 2.2.2.2 sends 192.168.168.0/24 -> 10.10.20.0/24; we expect 10.10.10.0/24."""
    pair = run(phase1, config(proxy_ids=ProxyIds.of("192.168.168.0/24", "10.10.20.0/24")),
               config(proxy_ids=HOST))
    i, r = outcomes(pair)
    assert isinstance(r, QuickModeFailed) and isinstance(i, QuickModeFailed)
    assert r.error is NotifyType.NO_PROPOSAL_CHOSEN and r.text == "No proposal chosen"
    assert r.cause is Cause.PROXY_ID_MISMATCH
    assert render(r.received_local_proxy_id) == "ipv4_subnet(any:0,[0..7]=10.10.20.0/24)"
    assert render(r.received_remote_proxy_id) == "ipv4_subnet(any:0,[0..7]=192.168.168.0/24)"
    assert proxy_id_mismatch_message(r, IkeId.ipv4("2.2.2.2")) == (
        "Failed to match the peer proxy ids p2_remote=ipv4_subnet(any:0,[0..7]=192.168.168.0/24)"
        " p2_local=ipv4_subnet(any:0,[0..7]=10.10.20.0/24) for the remote "
        "peer:ipv4(udp:500,[0..3]=2.2.2.2)")
    assert r.message_id == i.message_id == Header.decode(pair.datagrams[0][1]).message_id
    # The initiator learns it from the encrypted Informational notify.
    assert i.error is NotifyType.NO_PROPOSAL_CHOSEN and i.cause is Cause.PEER_NOTIFICATION
    notify = Header.decode(pair.datagrams[1][1])
    assert notify.exchange is ExchangeType.INFORMATIONAL and notify.encrypted
    assert notify.message_id != r.message_id
    assert pair.responder.state is pair.initiator.state is State.FAILED


def test_proxy_id_service_must_match(phase1):
    http = ProxyIds.of("192.168.168.0/24", "10.10.10.0/24", protocol=6, port=80)
    r = run(phase1, config(proxy_ids=http), config(proxy_ids=HOST)).outcome("responder")
    assert r.cause is Cause.PROXY_ID_MISMATCH
    assert render(r.received_local_proxy_id) == "ipv4_subnet(tcp:80,[0..7]=10.10.10.0/24)"


def test_responder_accepts_any_configured_pair(phase1):
    other = ProxyIds.of("10.10.20.0/24", "192.168.168.0/24")
    r = run(phase1, config(proxy_ids=PEER),
            config(proxy_ids=HOST, accepted_proxy_ids=(other, HOST))).outcome("responder")
    assert isinstance(r, QuickModeDone)


def test_proposal_mismatch_is_no_proposal_chosen(phase1):
    """The guide's second Phase-2 failure: no proxy-ID line, just No proposal chosen (14)."""
    i, r = outcomes(run(phase1, config((esp(enc="aes-128-cbc"),)),
                        config((esp(enc="3des-cbc"),), proxy_ids=HOST)))
    assert r.error is i.error is NotifyType.NO_PROPOSAL_CHOSEN
    assert r.cause is Cause.PROPOSAL_MISMATCH and i.cause is Cause.PEER_NOTIFICATION
    with pytest.raises(ValueError, match="not a proxy-ID mismatch"):
        proxy_id_mismatch_message(r, IkeId.ipv4("2.2.2.2"))


@pytest.mark.parametrize(("mine", "theirs"), [
    (DHGroup.MODP_1024, DHGroup.MODP_2048), (DHGroup.MODP_1024, None),
    (None, DHGroup.MODP_1024)])
def test_pfs_group_mismatch_is_a_proposal_mismatch(phase1, mine, theirs):
    i, r = outcomes(run(phase1, config(pfs=mine), config(proxy_ids=HOST, pfs=theirs)))
    assert r.error is i.error is NotifyType.NO_PROPOSAL_CHOSEN
    assert r.cause is Cause.PROPOSAL_MISMATCH


def _rewrite_message_1(p1: Phase1Done, data: bytes, change) -> bytes:
    """Decrypt message 1, let `change` edit its payload list, re-encrypt it properly."""
    header = Header.decode(data)
    iv = first_iv(p1, header.message_id)
    body = crypto.decrypt(p1.proposal.encryption_algorithm, p1.keys.enc_key, iv,
                          data[HEADER_LEN:])
    payloads = list(decode_message(data, body=body).payloads)
    sealed, _ = seal(p1, header.message_id, iv, change(payloads),
                     exchange=ExchangeType.QUICK_MODE)
    return sealed


def test_tampered_hash_1_is_dropped_and_the_resend_completes(phase1):
    """A message whose HASH(1) does not match was not sent as it is by the peer: it is dropped
    (QuickSec's "Hash value mismatch"), the responder stays idle, and the initiator's
    retransmission of message 1 completes Quick Mode."""
    p1 = phase1["rsa-3des-sha1"][0]

    def flip_hash(payloads):
        h = payloads[0].data
        return [HashPayload(data=bytes([h[0] ^ 1]) + h[1:]), *payloads[1:]]

    def tamper(index, sender, data):
        return _rewrite_message_1(p1, data, flip_hash) if index == 0 else data

    pair = run(phase1, tamper=tamper)
    assert outcomes(pair) == (None, None) and pair.responder.state is State.IDLE
    assert [(str(e), e.notify) for e in pair.dropped] == [
        ("Hash value mismatch", NotifyType.AUTHENTICATION_FAILED)]
    pair.initiator.on_timer(pair.initiator.timer().generation)
    pair.settle()
    i, r = outcomes(pair)
    assert isinstance(i, QuickModeDone) and isinstance(r, QuickModeDone)
    assert i.outbound_keys == r.inbound_keys


def test_changed_proxy_id_under_the_old_hash_is_dropped(phase1):
    """An attacker rewriting IDcr without SKEYID_a cannot keep HASH(1) valid."""
    p1 = phase1["rsa-3des-sha1"][0]
    other = IkeId.ipv4_subnet("10.10.20.0/24").to_payload()

    def tamper(index, sender, data):
        if index:
            return data
        return _rewrite_message_1(p1, data, lambda ps: [*ps[:-1], other])

    pair = run(phase1, tamper=tamper)
    assert pair.outcome("responder") is None and pair.responder.received_ids is None
    assert [e.notify for e in pair.dropped] == [NotifyType.AUTHENTICATION_FAILED]


def test_a_responder_lifetime_below_the_minimum_is_raised_to_it(phase1):
    """RESPONDER-LIFETIME 0 in an authenticated message 2 used to raise ValueError out of
    Quick Mode; it is the peer's number and is raised to Junos's minimum (180 s)."""
    p1_r = phase1["rsa-3des-sha1"][1]
    pair = QmPair.of(phase1["rsa-3des-sha1"], config(), config(proxy_ids=HOST))

    def add_zero_lifetime(index, sender, data):
        if index != 1:
            return data
        cipher, alg = p1_r.proposal.encryption_algorithm, p1_r.proposal.authentication_algorithm
        iv = pair.datagrams[0][1][-cipher.block_size:]  # the CBC chain runs on from message 1
        header = Header.decode(data)
        body = crypto.decrypt(cipher, p1_r.keys.enc_key, iv, data[HEADER_LEN:])
        payloads = [*decode_message(data, body=body).payloads[1:],
                    responder_lifetime(b"\0\0\1\0", 0)]
        hash2 = crypto.prf(alg, p1_r.keys.skeyid_a, header.message_id.to_bytes(4, "big")
                           + pair.initiator._nonce_i + encode_payloads(payloads)[1])
        sealed, _ = seal(p1_r, header.message_id, iv, [HashPayload(data=hash2), *payloads],
                         exchange=ExchangeType.QUICK_MODE)
        return sealed

    pair.tamper = add_zero_lifetime
    done = pair.run().outcome("initiator")
    assert isinstance(done, QuickModeDone) and done.lifetime_seconds == 180


# ---------------------------------------------------------------- retransmission and timeouts


def test_lost_message_2_is_recovered_by_resending_message_1(phase1):
    def tamper(index, sender, data):
        return None if index == 1 else data

    pair = run(phase1, tamper=tamper)
    assert pair.initiator.state is State.WAIT_REPLY
    timer = pair.initiator.timer()
    assert timer.delay == 0.5
    pair.initiator.on_timer(timer.generation)
    pair.settle()
    i, r = outcomes(pair)
    assert isinstance(i, QuickModeDone) and isinstance(r, QuickModeDone)
    assert pair.datagrams[2][1] == pair.datagrams[0][1]   # message 1, resent as is
    assert pair.datagrams[3][1] == pair.datagrams[1][1]   # message 2, answered again
    assert i.outbound_keys == r.inbound_keys


def test_lost_message_3_is_recovered_by_the_responder_resending_message_2(phase1):
    def tamper(index, sender, data):
        return None if index == 2 else data

    pair = run(phase1, tamper=tamper)
    assert isinstance(pair.outcome("initiator"), QuickModeDone)
    assert pair.responder.state is State.WAIT_HASH3
    pair.responder.on_timer(pair.responder.timer().generation)
    pair.settle()
    assert isinstance(pair.outcome("responder"), QuickModeDone)
    assert pair.datagrams[4][1] == pair.datagrams[2][1]   # message 3, sent again


def test_no_answer_times_out(phase1):
    pair = run(phase1, tamper=lambda index, sender, data: None)
    sa = pair.initiator
    delays = []
    while (timer := sa.timer()) is not None:
        delays.append(timer.delay)
        sa.on_timer(timer.generation)
        sa.on_timer(timer.generation - 1)  # stale: ignored
    pair.settle()
    failure = pair.outcome("initiator")
    assert failure.error is NotifyType.TIMEOUT and failure.text == "Timeout"
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0, 30.0]
    assert sum(1 for s, _ in pair.datagrams if s == "initiator") == 11
    with pytest.raises(LocalProtocolError):
        sa.receive(pair.datagrams[0][1])


# ---------------------------------------------------------------- routing and guards


def test_is_quick_mode_tells_phase_2_from_phase_1(phase1, peers, ca):
    p1_i, p1_r = phase1["rsa-3des-sha1"]
    failing = run(phase1, config(proxy_ids=ProxyIds.of("1.0.0.0/8", "2.0.0.0/8")))
    qm, informational = failing.datagrams[0][1], failing.datagrams[1][1]
    assert is_quick_mode(qm) and is_quick_mode(qm, p1_r)
    assert not is_quick_mode(qm, phase1["ecdsa-aes256-sha256"][1])
    assert not is_quick_mode(informational, p1_r)
    assert not is_quick_mode(b"\0" * 10)
    main_mode = Pair.of(*configs(peers, None, "rsa1024", i_props=(p1_i.proposal,),
                                 expect_b=None), ca_cert=ca.cert).run()
    assert len(main_mode.datagrams) == 6
    assert not any(is_quick_mode(d) for _, d in main_mode.datagrams)


def test_datagram_of_another_negotiation_is_dropped(phase1):
    pair = run(phase1)
    stranger = QuickModeSA.initiator(phase1["rsa-3des-sha1"][0], config(),
                                     rng=random.Random(99))
    stranger.start()
    with pytest.raises(RemoteProtocolError) as exc:
        stranger.receive(pair.datagrams[1][1])
    assert exc.value.notify is NotifyType.INVALID_MESSAGE_ID
    other_ike = QuickModeSA.responder(phase1["ecdsa-aes256-sha256"][1], config(),
                                      rng=random.Random(1))
    with pytest.raises(RemoteProtocolError) as exc:
        other_ike.receive(pair.datagrams[0][1])
    assert exc.value.notify is NotifyType.INVALID_COOKIE


def test_notify_for_another_negotiation_is_not_ours(phase1):
    p1_i, p1_r = phase1["rsa-3des-sha1"]
    failing = run(phase1, config(proxy_ids=ProxyIds.of("1.0.0.0/8", "2.0.0.0/8")))
    notify = failing.datagrams[1][1]
    bystander = QuickModeSA.initiator(p1_i, config(), rng=random.Random(5))
    bystander.start()
    with pytest.raises(RemoteProtocolError) as exc:
        bystander.receive(notify)
    assert exc.value.notify is NotifyType.INVALID_SPI
    assert bystander.state is State.WAIT_REPLY


def test_configuration_checks():
    with pytest.raises(ValueError, match="encryption-algorithm des-cbc"):
        esp(enc="des-cbc")
    with pytest.raises(ValueError, match="protocol ah"):
        IpsecProposal.from_statements("x", {"protocol": "ah"})
    with pytest.raises(ValueError, match="lifetime-seconds 100"):
        esp(**{"lifetime-seconds": 100})
    mixed = (*PROPOSAL_SETS["standard"], esp())
    with pytest.raises(ValueError, match="same group"):
        Phase2Config(proposals=mixed)
    assert Phase2Config(proposals=mixed, pfs_group=DHGroup.MODP_2048).group is DHGroup.MODP_2048
    with pytest.raises(ValueError, match="address, subnet or range"):
        ProxyIds(local=IkeId.fqdn("a.example"), remote=IkeId.ipv4_subnet("0.0.0.0/0"))
    with pytest.raises(TypeError):
        QuickModeSA.initiator("not a phase 1", config(), rng=random.Random(1))


def test_proxy_ids_from_a_tunnel_policy():
    """The guide: two local addresses, one remote, junos-http -> local 0.0.0.0/0, service 80."""
    ids = ProxyIds.from_tunnel_policy(["10.10.10.0/24", "10.10.20.0/24"], ["192.168.168.0/24"],
                                      [(6, 80)])
    assert render(ids.local) == "ipv4_subnet(tcp:80,[0..7]=0.0.0.0/0)"
    assert render(ids.remote) == "ipv4_subnet(tcp:80,[0..7]=192.168.168.0/24)"
    assert ProxyIds.from_tunnel_policy(["10.10.10.0/24"], ["192.168.168.0/24"]) == HOST
    assert ProxyIds.from_tunnel_policy(["10.10.10.0/24"], ["192.168.168.0/24"],
                                       [(6, 80), (6, 443)]) == HOST


# ---------------------------------------------------------------- IPv6 proxy IDs

V6_HOST = ProxyIds.of("2001:db8:10::/64", "2001:db8:168::/64")
V6_PEER = ProxyIds.of("2001:db8:168::/64", "2001:db8:10::/64")


def test_ipv6_proxy_ids_negotiate_and_render_as_junos_does(phase1):
    """ID types 6 (ipv6_subnet) in IDci/IDcr used to raise ValueError at the responder."""
    i, r = outcomes(run(phase1, config(proxy_ids=V6_PEER), config(proxy_ids=V6_HOST)))
    assert isinstance(i, QuickModeDone) and isinstance(r, QuickModeDone)
    assert render(r.local_proxy_id) == "ipv6_subnet(any:0,[0..31]=2001:db8:10::/64)"
    assert render(r.remote_proxy_id) == "ipv6_subnet(any:0,[0..31]=2001:db8:168::/64)"
    assert i.outbound_keys == r.inbound_keys


def test_an_ipv6_range_matches_the_subnet_it_spans(phase1):
    """Type 8 (ipv6_range) offered for the subnet the responder's policy names: one selector."""
    as_range = ProxyIds(local=IkeId.address_range("2001:db8:168::",
                                                  "2001:db8:168::ffff:ffff:ffff:ffff"),
                        remote=IkeId.subnet("2001:db8:10::/64"))
    i, r = outcomes(run(phase1, config(proxy_ids=as_range), config(proxy_ids=V6_HOST)))
    assert isinstance(r, QuickModeDone)
    assert render(r.remote_proxy_id) == ("ipv6_range(any:0,[0..31]=2001:db8:168::-"
                                         "2001:db8:168:0:ffff:ffff:ffff:ffff)")


def test_ipv6_proxy_ids_that_differ_are_the_guides_mismatch(phase1):
    other = ProxyIds.of("2001:db8:168::/64", "2001:db8:20::/64")
    i, r = outcomes(run(phase1, config(proxy_ids=other), config(proxy_ids=V6_HOST)))
    assert r.cause is Cause.PROXY_ID_MISMATCH and i.error is NotifyType.NO_PROPOSAL_CHOSEN
    assert proxy_id_mismatch_message(r, IkeId.ipv4("2.2.2.2")) == (
        "Failed to match the peer proxy ids "
        "p2_remote=ipv6_subnet(any:0,[0..31]=2001:db8:168::/64) "
        "p2_local=ipv6_subnet(any:0,[0..31]=2001:db8:20::/64) "
        "for the remote peer:ipv4(udp:500,[0..3]=2.2.2.2)")
