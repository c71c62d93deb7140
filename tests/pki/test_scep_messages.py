"""pki.scep: every pkiMessage it builds reads back the same, signed and enveloped for real,
and the combinations SCEP forbids are refused when built."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from hypothesis import given, settings
from hypothesis import strategies as st

from pki import cms_envelope, scep
from pki.scep import FailInfo, MessageType, PkiMessage, PkiStatus, ScepError

from .scep_pki import hierarchy

_PKI = hierarchy()
CA, CA_KEY = _PKI.certificate("Eng-CA"), _PKI.key("Eng-CA")
SIGNER, SIGNER_KEY = _PKI.certificate("Root-CA"), _PKI.key("Root-CA")

nonces = st.binary(min_size=16, max_size=16)
transaction_ids = st.text("0123456789ABCDEFabcdef", min_size=1, max_size=64)


@st.composite
def messages(draw) -> PkiMessage:
    kind = draw(st.sampled_from(MessageType))
    fields = dict(message_type=kind, transaction_id=draw(transaction_ids),
                  sender_nonce=draw(nonces))
    if kind is MessageType.CERT_REP:
        status = draw(st.sampled_from(PkiStatus))
        fields.update(status=status, recipient_nonce=draw(nonces))
        if status is PkiStatus.FAILURE:
            fields["fail_info"] = draw(st.sampled_from(FailInfo))
        if status is PkiStatus.SUCCESS:
            fields["content"] = draw(st.binary(min_size=1, max_size=300))
    else:
        fields["content"] = draw(st.binary(min_size=1, max_size=300))
    return PkiMessage(**fields)


@settings(max_examples=40)
@given(messages(), st.sampled_from([cms_envelope.AES_128_CBC, cms_envelope.DES_EDE3_CBC]),
       st.sampled_from([hashes.SHA256(), hashes.SHA1()]))
def test_build_then_read_gives_the_message_back(message, cipher, algorithm):
    data = scep.build_message(message, certificate=SIGNER, key=SIGNER_KEY, recipient=CA,
                              cipher=cipher, algorithm=algorithm, seed=b"seed")
    read, signed = scep.read_message(data, certificate=CA, key=CA_KEY, signer=SIGNER)
    assert read == message
    assert signed.signer == SIGNER


@pytest.mark.parametrize(("fields", "problem"), [
    ({"message_type": MessageType.CERT_REP, "status": PkiStatus.PENDING},
     "pkiStatus and recipientNonce belong to a CertRep, and only there"),
    ({"message_type": MessageType.PKCS_REQ, "status": PkiStatus.SUCCESS, "content": b"x",
      "recipient_nonce": b"r" * 16},
     "pkiStatus and recipientNonce belong to a CertRep, and only there"),
    ({"message_type": MessageType.CERT_REP, "status": PkiStatus.FAILURE,
      "recipient_nonce": b"r" * 16}, "failInfo belongs to a FAILURE, and only there"),
    ({"message_type": MessageType.CERT_REP, "status": PkiStatus.PENDING,
      "recipient_nonce": b"r" * 16, "content": b"x"}, "CertRep PENDING with content"),
    ({"message_type": MessageType.PKCS_REQ}, "PKCSReq without content"),
    ({"message_type": MessageType.PKCS_REQ, "content": b"x", "transaction_id": "a b"},
     "transactionID is not 1 to 128 letters and digits"),
    ({"message_type": MessageType.PKCS_REQ, "content": b"x", "sender_nonce": b"short"},
     "a nonce is not 16 bytes"),
])
def test_what_scep_forbids(fields, problem):
    base = {"transaction_id": "T1", "sender_nonce": b"n" * 16}
    with pytest.raises(ScepError, match=f"^{problem}$"):
        PkiMessage(**{**base, **fields})


def test_fail_info_names_are_the_rfcs():
    assert [f.label for f in FailInfo] == ["badAlg", "badMessageCheck", "badRequest",
                                           "badTime", "badCertId"]
