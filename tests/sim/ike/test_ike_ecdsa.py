"""ECDSA signatures in IKEv1 as strongSwan makes and checks them, without strongSwan.

strongSwan's IKEv1 (keymat_v1.c, pubkey_v1_authenticator.c) computes HASH_I/HASH_R for the
ECDSA methods with HMAC of the curve's hash (SHA-256 for ECDSA-256, SHA-384 for ECDSA-384),
keyed with SKEYID, whatever hash the proposal negotiated, signs that as the ECDSA digest, and
puts r|s in the SIG payload, each as long as the field (RFC 4754 section 7). The tests derive
that HASH here from the bytes on the wire (Aggressive Mode: every SIG in the clear) and
SKEYID, and sign and verify it with `cryptography` directly, not with sim.ike.crypto.
"""

import hmac

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from sim.ike import crypto
from sim.ike.crypto import AuthMethod, HashAlgorithm
from sim.ike.payloads import (
    IDPayload,
    KEPayload,
    SAPayload,
    SigPayload,
    decode_message,
    encode_message,
)
from sim.ike.phase1 import Mode, Phase1Done, Phase1Failed
from tests.sim.ike.ike_pair import Pair, configs, proposal

# The proposals where the negotiated hash is not the curve's: the HASH's prf is then visible.
CASES = {
    "ecdsa256-sha1": ("ecdsa256", "group19", "sha1", "sha256", 32),
    "ecdsa384-sha256": ("ecdsa384", "group20", "sha-256", "sha384", 48),
}


def _hash_of(sender: str, skeyid: bytes, message_1: bytes, message_2: bytes, digest: str
             ) -> bytes:
    """strongSwan's HASH_I ("initiator") or HASH_R ("responder") of an Aggressive Mode
    exchange, from its first two messages."""
    first, second = decode_message(message_1), decode_message(message_2)
    gxi, gxr = first.only(KEPayload, "KE").data, second.only(KEPayload, "KE").data
    cky_i, cky_r = second.header.icookie, second.header.rcookie
    sai_b = first.raw_body_of(SAPayload)
    if sender == "initiator":
        data = gxi + gxr + cky_i + cky_r + sai_b + first.raw_body_of(IDPayload)
    else:
        data = gxr + gxi + cky_r + cky_i + sai_b + second.raw_body_of(IDPayload)
    return hmac.new(skeyid, data, digest).digest()


def _raw(der: bytes, size: int) -> bytes:
    r, s = utils.decode_dss_signature(der)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def _swan_sign(key: ec.EllipticCurvePrivateKey, h: bytes, digest: str) -> bytes:
    """SIGN_ECDSA_WITH_NULL: the HASH is the digest; r|s as RFC 4754 section 7 lays out."""
    algorithm = {"sha256": hashes.SHA256, "sha384": hashes.SHA384}[digest]()
    return _raw(key.sign(h, ec.ECDSA(utils.Prehashed(algorithm))), len(h))


def _aggressive(peers, ca, case: str, replace_sig_i=None) -> Pair:
    """An Aggressive Mode exchange with `case`'s proposal; `replace_sig_i(hash_i, key)` gives
    the SIG data put in message 3 instead of the initiator's own, `hash_i(digest)` being
    HASH_I with HMAC of that hash."""
    kind, group, auth, _, _ = CASES[case]

    def tamper(index: int, sender: str, data: bytes) -> bytes:
        if index != 2 or replace_sig_i is None:
            return data
        clear = decode_message(data)

        def hash_i(digest: str) -> bytes:
            return _hash_of("initiator", pair.responder.keys.skeyid, pair.datagrams[0][1],
                            pair.datagrams[1][1], digest)

        sig = replace_sig_i(hash_i, peers[kind][0].key)
        return encode_message(clear.header, [SigPayload(data=sig) if isinstance(p, SigPayload)
                                             else p for p in clear.payloads])

    pair = Pair.of(*configs(peers, ca, kind=kind, mode=Mode.AGGRESSIVE,
                            i_props=(proposal(kind, group, auth, "aes-128-cbc"),)),
                   ca_cert=ca.cert, tamper=tamper)
    return pair.run()


@pytest.mark.parametrize("case", list(CASES))
def test_ikesim_signs_the_hash_strongswan_verifies(peers, ca, case):
    """Both SIGs ikesim sends verify, with the peer's certificate key, over HMAC-SHA-256
    (-384) of the HASH inputs, not over the negotiated prf's HASH."""
    kind, _, auth, digest, size = CASES[case]
    pair = _aggressive(peers, ca, case)
    assert isinstance(pair.outcome("responder"), Phase1Done)
    m1, m2, m3 = (data for _, data in pair.datagrams)
    skeyid = pair.initiator.keys.skeyid
    algorithm = {"sha256": hashes.SHA256, "sha384": hashes.SHA384}[digest]()
    for sender, message, peer in (("responder", m2, 1), ("initiator", m3, 0)):
        sig = decode_message(message).only(SigPayload, "SIG").data
        assert len(sig) == 2 * size
        h = _hash_of(sender, skeyid, m1, m2, digest)
        der = utils.encode_dss_signature(int.from_bytes(sig[:size], "big"),
                                         int.from_bytes(sig[size:], "big"))
        peers[kind][peer].cert.public_key().verify(der, h, ec.ECDSA(utils.Prehashed(algorithm)))
        # and not over the HASH of the proposal's own prf (20 or 32 bytes)
        negotiated = {"sha1": "sha1", "sha-256": "sha256"}[auth]
        with pytest.raises(InvalidSignature):
            peers[kind][peer].cert.public_key().verify(
                der, _hash_of(sender, skeyid, m1, m2, negotiated),
                ec.ECDSA(utils.Prehashed(hashes.SHA1() if negotiated == "sha1"
                                         else hashes.SHA256())))


@pytest.mark.parametrize("case", list(CASES))
def test_strongswans_signature_is_accepted(peers, ca, case):
    digest = CASES[case][3]
    pair = _aggressive(peers, ca, case, lambda hash_i, key: _swan_sign(key, hash_i(digest),
                                                                       digest))
    done = pair.outcome("responder")
    assert isinstance(done, Phase1Done), done


def _refused(pair: Pair) -> tuple[int, str]:
    failed = pair.outcome("responder")
    assert isinstance(failed, Phase1Failed), failed
    return failed.error, failed.reason


def test_der_encoded_signature_is_refused(peers, ca):
    """RFC 4754 section 7 fixes r|s; the X.509 (RFC 3279) DER form of the same r and s is
    not an IKE signature: INVALID-SIGNATURE, as a real SRX answers a bad SIG."""
    def der(hash_i, key):
        return key.sign(hash_i("sha256"), ec.ECDSA(utils.Prehashed(hashes.SHA256())))

    assert _refused(_aggressive(peers, ca, "ecdsa256-sha1", der)) == (
        25, "Signature check failed")


def test_signature_over_the_negotiated_prf_hash_is_refused(peers, ca):
    """A peer that signs the HASH of the proposal's own prf (HMAC-SHA-1 here), as ikesim did
    before it followed strongSwan: its r|s is well formed, and the signature is wrong."""
    def over_sha1(hash_i, key):
        return _raw(key.sign(hash_i("sha1"), ec.ECDSA(utils.Prehashed(hashes.SHA1()))), 32)

    assert _refused(_aggressive(peers, ca, "ecdsa256-sha1", over_sha1)) == (
        25, "Signature check failed")


def test_wrong_curve_signature_is_refused(peers, ca):
    """ECDSA-256 with a P-384 signature (96 bytes, by a P-384 key): not the certificate's
    curve, refused."""
    p384 = peers["ecdsa384"][0].key

    def other_curve(hash_i, key):
        return _raw(p384.sign(hash_i("sha384"), ec.ECDSA(utils.Prehashed(hashes.SHA384()))),
                    48)

    assert _refused(_aggressive(peers, ca, "ecdsa256-sha1", other_curve)) == (
        25, "Signature check failed")


@pytest.mark.parametrize("length", [0, 63, 65, 128])
def test_malformed_signature_length_is_refused(peers, ca, length):
    def cut(hash_i, key):
        return (_swan_sign(key, hash_i("sha256"), "sha256") * 2)[:length]

    assert _refused(_aggressive(peers, ca, "ecdsa256-sha1", cut)) == (
        25, "Signature check failed")


@pytest.mark.parametrize(("method", "negotiated", "expected"), [
    (AuthMethod.ECDSA_256, HashAlgorithm.SHA1, HashAlgorithm.SHA256),
    (AuthMethod.ECDSA_256, HashAlgorithm.SHA384, HashAlgorithm.SHA256),
    (AuthMethod.ECDSA_384, HashAlgorithm.SHA256, HashAlgorithm.SHA384),
    (AuthMethod.RSA_SIGNATURES, HashAlgorithm.SHA1, HashAlgorithm.SHA1),
    (AuthMethod.DSS_SIGNATURES, HashAlgorithm.MD5, HashAlgorithm.MD5),
    (AuthMethod.PRE_SHARED_KEY, HashAlgorithm.SHA256, HashAlgorithm.SHA256),
])
def test_auth_prf(method, negotiated, expected):
    assert crypto.auth_prf(method, negotiated) is expected
