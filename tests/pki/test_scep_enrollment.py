"""SCEP enrollment end to end, pki.enrollment against pki.scep_ca: what the device gets, and
the pkid lines that say so."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from pki import cms, cms_envelope, der, scep
from pki.enrollment import (
    CA_CERT,
    CA_RA_CERT,
    CaCertificateEnrollment,
    EnrollmentError,
    Failed,
    HttpRequest,
    HttpResponse,
    Issued,
    LocalCertificateEnrollment,
    Poll,
    capabilities_request,
    cipher_for,
    read_capabilities,
)
from pki.hierarchy import CAHierarchy, CASpec
from pki.keys import KeySpec, KeyType, generate_key_pair
from pki.scep import MessageType, PkiMessage, PkiStatus
from pki.scep_ca import ScepCa, ScepPolicy
from pki.signing import signature_is_valid
from tests.conftest import FAST_KEY

from .scep_pki import (
    NOW,
    URL,
    ca_certificates,
    device_key,
    device_request,
    enrollment,
    hierarchy,
    run,
    scep_ca,
)


@pytest.fixture(scope="module")
def key():
    return device_key()


@pytest.fixture(scope="module")
def request_(key):
    return device_request(key)


def test_enrolled_certificate_is_the_cas_with_the_requests_name_san_and_key(key, request_):
    h = hierarchy()
    ca = scep_ca(h)
    step, log = run(ca, enrollment(ca, key, request_))
    assert isinstance(step, Issued)
    cert = step.certificate
    assert cert.issuer == h.certificate("Eng-CA").subject
    assert signature_is_valid(cert, h.certificate("Eng-CA").public_key())
    assert cert.subject == request_.subject
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["host-a.example.net"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["192.0.2.1"]
    tid = scep.transaction_id_for(request_)
    assert log == [
        f"Start enrollment of local certificate host-a from CA profile Eng-CA at {URL}",
        f"Sent PKCSReq for host-a to CA profile Eng-CA, transaction ID {tid}",
        "Received local certificate host-a from CA profile Eng-CA: subject "
        f"DC=example, CN=Host-A, OU=DEV, O=PKI, L=Sunnyvale, ST=CA, C=US, "
        f"serial {cert.serial_number:x}",
    ]
    assert list(ca.issued) == [tid] and ca.issued[tid] == cert


def test_pending_then_success_after_the_policys_polls(key, request_):
    ca = scep_ca(hierarchy(), ScepPolicy(url=URL, challenge_password="pass-1234",
                                         pending_polls=3))
    job = enrollment(ca, key, request_, retry=5, retry_interval=60)
    step, log = run(ca, job)
    assert isinstance(step, Issued)
    assert [kind for kind, _ in job.messages] == [
        "PKCSReq", "CertRep", "CertPoll", "CertRep", "CertPoll", "CertRep", "CertPoll", "CertRep"]
    tid = job.transaction_id
    assert log[2:5] == [
        f"CA profile Eng-CA answered PENDING for host-a, transaction ID {tid}",
        "Enrollment of host-a from CA profile Eng-CA: poll 1 of 5 in 60 seconds, "
        "at 2012-09-03 22:20:00",
        f"CA profile Eng-CA answered PENDING for host-a, transaction ID {tid}",
    ]
    # The CA issued at the time of the last poll, three minutes after the request.
    assert step.certificate.not_valid_before_utc == NOW + dt.timedelta(minutes=3)


def test_pending_polls_stop_after_retry_and_fail(key, request_):
    ca = scep_ca(hierarchy(), ScepPolicy(url=URL, challenge_password="pass-1234",
                                         pending_polls=5))
    step, log = run(ca, enrollment(ca, key, request_, retry=2, retry_interval=900))
    assert isinstance(step, Failed)
    assert step.reason == "gave up, 2 retries done"
    assert log[-1] == ("Enrollment of local certificate host-a from CA profile Eng-CA failed: "
                       "gave up, 2 retries done")
    assert sum("answered PENDING" in line for line in log) == 3


def test_no_retry_configured_means_pending_fails_at_once(key, request_):
    ca = scep_ca(hierarchy(), ScepPolicy(url=URL, challenge_password="pass-1234",
                                         pending_polls=1))
    step, _ = run(ca, enrollment(ca, key, request_, retry=0))
    assert isinstance(step, Failed) and step.reason == "gave up, no retry configured"


@pytest.mark.parametrize("password", ["wrong-password", None])
def test_wrong_or_missing_challenge_password_is_bad_request(key, password):
    ca = scep_ca(hierarchy())
    step, log = run(ca, enrollment(ca, key, device_request(key, password)))
    assert isinstance(step, Failed)
    assert log[-1] == ("Enrollment of local certificate host-a from CA profile Eng-CA failed: "
                       "CA refused the request (badRequest, wrong challenge password?)")
    assert ca.issued == {}


def test_a_ca_without_password_issues_without_one(key):
    ca = scep_ca(hierarchy(), ScepPolicy(url=URL))
    step, _ = run(ca, enrollment(ca, key, device_request(key, None)))
    assert isinstance(step, Issued)


def test_validity_of_the_policy(key, request_):
    ca = scep_ca(hierarchy(), ScepPolicy(url=URL, challenge_password="pass-1234",
                                         validity=dt.timedelta(days=365)))
    step, _ = run(ca, enrollment(ca, key, request_))
    assert step.certificate.not_valid_after_utc == NOW + dt.timedelta(days=365)


def test_unreachable_ca_is_retried_then_given_up(key, request_):
    ca = scep_ca(hierarchy())
    job = enrollment(ca, key, request_, retry=1, retry_interval=30)
    first, _ = job.start(NOW)
    step = job.no_answer("connection timed out", NOW)
    assert isinstance(step, Poll) and step.after == 30 and step.request == first
    assert step.lines == (
        f"No answer from CA profile Eng-CA at {URL} for host-a: connection timed out",
        "Enrollment of host-a from CA profile Eng-CA: resend the request 1 of 1 in 30 seconds, "
        "at 2012-09-03 22:19:30",
    )
    last = job.no_answer("connection timed out", NOW)
    assert isinstance(last, Failed) and last.reason == "gave up, 1 retries done"
    with pytest.raises(EnrollmentError, match="^certificate-id host-a: receive refused, the "
                                              "enrollment is over$"):
        job.receive(ca.handle(first, now=NOW), NOW)
    with pytest.raises(EnrollmentError, match="start refused, the enrollment is over$"):
        job.start(NOW)
    fresh = enrollment(ca, key, request_)
    with pytest.raises(EnrollmentError, match="no_answer refused, the enrollment is not "
                                              "started$"):
        fresh.no_answer("timeout", NOW)


def test_resent_request_after_a_lost_answer_is_answered_as_before(key, request_):
    ca = scep_ca(hierarchy())
    job = enrollment(ca, key, request_)
    first, _ = job.start(NOW)
    lost = ca.handle(first, now=NOW)  # issued, but the answer never reaches the device
    step = job.no_answer("connection reset", NOW)
    final = job.receive(ca.handle(step.request, now=NOW), NOW)
    assert lost.status == 200 and isinstance(final, Issued)
    assert list(ca.issued.values()) == [final.certificate]


def test_same_seed_same_bytes(key, request_):
    def messages():
        ca = scep_ca(hierarchy(), ScepPolicy(url=URL, challenge_password="pass-1234",
                                             pending_polls=1))
        job = enrollment(ca, key, request_)
        run(ca, job)
        return job.messages
    assert messages() == messages()


def test_renewal_signed_with_the_old_certificate_and_a_new_key(key, request_):
    h = hierarchy()
    ca = scep_ca(h)
    old, _ = run(ca, enrollment(ca, key, request_))
    new_key = device_key("host-a/2")
    renewal = enrollment(ca, new_key, device_request(new_key, None), seed="renew",
                         renewal_of=old.certificate, renewal_key=key)
    step, log = run(ca, renewal)
    assert isinstance(step, Issued)
    assert step.certificate.subject == old.certificate.subject
    assert step.certificate.public_key().public_numbers() \
        == new_key.public_key().public_numbers()
    assert step.certificate.serial_number != old.certificate.serial_number
    assert log[0].startswith("Start re-enrollment of local certificate host-a")
    assert log[1].startswith("Sent RenewalReq for host-a")
    assert [kind for kind, _ in renewal.messages] == ["RenewalReq", "CertRep"]


def test_renewal_with_a_certificate_from_elsewhere_is_refused(key, request_):
    h = hierarchy()
    ca = scep_ca(h)
    stranger = h.issue_end_entity("Root-CA", "elsewhere", subject="CN=Host-A",
                                  public_key=key.public_key())
    step, _ = run(ca, enrollment(ca, key, device_request(key, None), renewal_of=stranger))
    assert isinstance(step, Failed)
    assert step.reason == "CA refused the request (badMessageCheck)"


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
def test_forged_or_misdirected_certrep_is_refused(key, request_, changes, reason):
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


def test_get_ca_cert_one_certificate_is_der():
    h = hierarchy()
    ca = scep_ca(h, ScepPolicy(url="http://10.157.88.230:8080/scep/Root/"), ca="Root-CA")
    job = CaCertificateEnrollment(ca_profile="Root-CA", url=ca.policy.url,
                                  ca_identity="Root-CA")
    assert job.request() == HttpRequest(
        method="GET", url="http://10.157.88.230:8080/scep/Root/?operation=GetCACert"
                          "&message=Root-CA")
    response = ca.handle(job.request(), now=NOW)
    assert (response.status, response.content_type) == (200, CA_CERT)
    assert response.body == h.certificate("Root-CA").public_bytes(Encoding.DER)
    assert job.receive(response) == (h.certificate("Root-CA"),)


def test_get_ca_cert_chain_is_the_ca_then_its_issuers():
    h = hierarchy()
    ca = scep_ca(h)
    response = ca.handle(CaCertificateEnrollment(
        ca_profile="Eng-CA", url=URL, ca_identity="Eng-CA").request(), now=NOW)
    assert response.content_type == CA_RA_CERT
    assert ca_certificates(ca) == (h.certificate("Eng-CA"), h.certificate("Root-CA"))


def test_get_ca_caps():
    ca = scep_ca(hierarchy())
    response = ca.handle(HttpRequest(method="GET", url=URL + "?operation=GetCACaps"), now=NOW)
    assert response.body.decode().split() == ["POSTPKIOperation", "Renewal", "SHA-256",
                                              "SHA-1", "DES3"]


def test_get_ca_cert_http_error_is_one_line():
    job = CaCertificateEnrollment(ca_profile="Eng-CA", url=URL, ca_identity="Eng-CA")
    with pytest.raises(EnrollmentError) as caught:
        job.receive(HttpResponse(status=503, content_type="text/plain",
                                 body=b"Service \x1b[31mUnavailable\nmore"))
    assert str(caught.value) == (f"CA profile Eng-CA: HTTP 503 from {URL}: "
                                 "Service ^[[31mUnavailable")


def test_the_ca_answers_only_its_own_url():
    ca = scep_ca(hierarchy())
    response = ca.handle(HttpRequest(
        method="GET", url="http://10.157.88.230:8080/scep/Dev/?operation=GetCACert"), now=NOW)
    assert response.status == 404


def test_the_challenge_password_option_puts_it_in_the_request(key):
    ca = scep_ca(hierarchy())
    job = enrollment(ca, key, device_request(key, None), challenge_password="pass-1234")
    step, _ = run(ca, job)
    assert isinstance(step, Issued)
    wrong = enrollment(ca, key, device_request(key, None), challenge_password="nope")
    assert isinstance(run(ca, wrong)[0], Failed)


def test_re_enrollment_with_the_same_key_and_seed_gets_a_new_certificate(key, request_):
    h = hierarchy()
    ca = scep_ca(h)
    first, _ = run(ca, enrollment(ca, key, request_))
    later = NOW + dt.timedelta(days=200)
    again, _ = run(ca, enrollment(ca, key, request_, renewal_of=first.certificate), later)
    assert isinstance(again, Issued)
    assert again.certificate.serial_number != first.certificate.serial_number
    assert again.certificate.not_valid_before_utc == later


def test_a_resent_poll_is_kept_as_a_poll(key, request_):
    ca = scep_ca(hierarchy(), ScepPolicy(url=URL, challenge_password="pass-1234",
                                         pending_polls=2))
    job = enrollment(ca, key, request_, retry=3, retry_interval=60)
    sent, _ = job.start(NOW)
    poll = job.receive(ca.handle(sent, now=NOW), NOW)
    resent = job.no_answer("connection timed out", NOW)
    assert resent.request == poll.request
    assert [kind for kind, _ in job.messages] == ["PKCSReq", "CertRep", "CertPoll", "CertPoll"]
    # The lost poll never counted: the CA answers this one as the first.
    second = job.receive(ca.handle(resent.request, now=NOW), NOW)
    assert isinstance(second, Poll) and second.lines[-1].startswith(
        "Enrollment of host-a from CA profile Eng-CA: poll 3 of 3")
    assert isinstance(job.receive(ca.handle(second.request, now=NOW), NOW), Issued)


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
def test_a_certificate_the_device_did_not_ask_for_is_refused(key, make, reason):
    h = hierarchy()
    ca = _ca_issuing(h, lambda request, now: make(h, request, now))
    step, _ = run(ca, enrollment(ca, key, device_request(key, None)))
    assert isinstance(step, Failed) and step.reason == reason


def test_get_ca_caps_picks_the_cipher(key, request_):
    ca = scep_ca(hierarchy())
    caps = read_capabilities(ca.handle(capabilities_request(URL), now=NOW), URL)
    assert "DES3" in caps and cipher_for(caps) == cms_envelope.DES_EDE3_CBC
    offered = read_capabilities(HttpResponse(status=200, content_type="text/plain",
                                             body=b"POSTPKIOperation\r\nAES\nSHA-256\n"), URL)
    assert cipher_for(offered) == cms_envelope.AES_128_CBC
    job = enrollment(ca, key, request_, cipher=cipher_for(offered))
    step, _ = run(ca, job)
    assert isinstance(step, Issued)
    printed = cms.read_signed(job.messages[0][1], what="PKCSReq").content
    assert der.encode_oid("2.16.840.1.101.3.4.1.2") in printed  # aes128-CBC
    with pytest.raises(EnrollmentError, match="^GetCACaps answer of 5000 bytes"):
        read_capabilities(HttpResponse(status=200, content_type="text/plain",
                                       body=b"A" * 5000), URL)


def test_a_ca_certificate_without_an_rsa_key_is_refused_before_sending(key, request_):
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


def test_a_ca_past_its_own_validity_answers_bad_time(key, request_):
    h = hierarchy()
    ca = scep_ca(h)
    after = h.certificate("Eng-CA").not_valid_after_utc + dt.timedelta(days=1)
    step, _ = run(ca, enrollment(ca, key, request_), after)
    assert isinstance(step, Failed) and step.reason == "CA refused the request (badTime)"
