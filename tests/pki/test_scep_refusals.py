"""What the device refuses in SCEP: an answer it did not ask for (forged, misdirected, another
subject or CA or key), and what it cannot enroll with (a key or CA that is not RSA)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes

from pki import cms_envelope, scep
from pki.enrollment import (
    EnrollmentError,
    Failed,
    HttpRequest,
    HttpResponse,
    LocalCertificateEnrollment,
)
from pki.hierarchy import CAHierarchy, CASpec
from pki.keys import KeySpec, KeyType, generate_key_pair
from pki.scep import MessageType, PkiMessage, PkiStatus
from pki.scep_ca import ScepCa, ScepPolicy
from tests.conftest import FAST_KEY

from .scep_pki import (
    NOW,
    URL,
    device_key,
    device_request,
    enrollment,
    hierarchy,
    run,
    scep_ca,
)


def test_scep_supports_rsa_only():
    ec_key = generate_key_pair(KeySpec(type=KeyType.ECDSA, size=256), seed="ec")
    ca = scep_ca(hierarchy())
    with pytest.raises(EnrollmentError, match="^certificate-id host-a: SCEP supports RSA "
                                              "certificates only$"):
        enrollment(ca, ec_key, device_request(ec_key, None))


def _forged_reply(ca, job, sent: HttpRequest, **changes) -> HttpResponse:
    """A CertRep PENDING for `sent`, with `changes`, signed by `signer`/`key` (the CA's)."""
    message, signed = scep.read_message(sent.body, certificate=ca.certificate, key=ca.key)
    fields = dict(message_type=MessageType.CERT_REP, transaction_id=message.transaction_id,
                  sender_nonce=b"n" * 16, recipient_nonce=message.sender_nonce,
                  status=PkiStatus.PENDING)
    signer = changes.pop("signer", ca.certificate)
    key = changes.pop("key", ca.key)
    fields.update(changes)
    body = scep.build_message(PkiMessage(**fields), certificate=signer, key=key,
                              recipient=signed.signer, cipher=cms_envelope.DES_EDE3_CBC,
                              algorithm=hashes.SHA256(), seed=b"forged")
    return HttpResponse(status=200, content_type="application/x-pki-message", body=body)


@pytest.mark.parametrize(("changes", "reason"), [
    ({"transaction_id": "ABC123"}, "CertRep for another transaction ID"),
    ({"recipient_nonce": b"x" * 16},
     "CertRep's recipientNonce is not the request's senderNonce"),
    ({"key": "other"}, "pkiMessage: signature does not verify"),
    ({"key": "other", "signer": "other"},
     "pkiMessage: signed by a certificate other than the CA's"),
])
def test_forged_or_misdirected_certrep_is_refused(changes, reason):
    key, request_ = device_key(), device_request(device_key())
    h = hierarchy()
    ca = scep_ca(h)
    if changes.get("key") == "other":
        changes["key"] = h.key("Root-CA")
    if changes.get("signer") == "other":
        changes["signer"] = h.certificate("Root-CA")
    job = enrollment(ca, key, request_)
    sent, _ = job.start(NOW)
    step = job.receive(_forged_reply(ca, job, sent, **changes), NOW)
    assert isinstance(step, Failed)
    assert step.reason == reason
    assert step.lines == (f"Enrollment of local certificate host-a from CA profile Eng-CA "
                          f"failed: {reason}",)


def _ca_issuing(h, issue):
    """Eng-CA's SCEP service, answering with what `issue(request, now)` makes."""
    return ScepCa(name="Eng-CA", certificate=h.certificate("Eng-CA"), key=h.key("Eng-CA"),
                  chain=(h.certificate("Root-CA"),), policy=ScepPolicy(url=URL), issue=issue)


@pytest.mark.parametrize(("make", "reason"), [
    (lambda h, request, now: h.issue_end_entity(
        "Eng-CA", "other-name", subject="CN=Somebody Else", public_key=request.public_key(),
        not_before=now), "issued certificate's subject is not the one requested"),
    (lambda h, request, now: h.issue_from_request("Root-CA", "root-issued", request,
                                                  not_before=now),
     "issued certificate is not signed by the CA"),
    (lambda h, request, now: h.certificate("Eng-CA"),
     "CertRep holds no certificate for this key pair"),
])
def test_a_certificate_the_device_did_not_ask_for_is_refused(make, reason):
    key = device_key()
    h = hierarchy()
    ca = _ca_issuing(h, lambda request, now: make(h, request, now))
    step, _ = run(ca, enrollment(ca, key, device_request(key, None)))
    assert isinstance(step, Failed) and step.reason == reason


def test_a_ca_certificate_without_an_rsa_key_is_refused_before_sending():
    key, request_ = device_key(), device_request(device_key())
    ec_ca = CAHierarchy([CASpec(name="EC-CA", subject="CN=EC-CA", key=FAST_KEY)],
                        start=NOW, seed="ec").certificate("EC-CA")
    ca = scep_ca(hierarchy())
    with pytest.raises(EnrollmentError, match="^CA profile Eng-CA: the CA certificate's key "
                                              "is not RSA, and SCEP encrypts to it$"):
        enrollment(ca, key, request_, ca_certificate=ec_ca)
    with pytest.raises(EnrollmentError, match="already has a query"):
        LocalCertificateEnrollment(
            certificate_id="host-a", ca_profile="Eng-CA", url=URL + "?x=1", key=key,
            request=request_, ca_certificate=ca.certificate, retry=0, retry_interval=1,
            seed="s")

