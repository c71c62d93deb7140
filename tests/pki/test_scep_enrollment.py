"""SCEP enrollment end to end, pki.enrollment against pki.scep_ca: what the device gets, and
the pkid lines that say so."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509

from pki import scep
from pki.enrollment import (
    EnrollmentError,
    Failed,
    Issued,
    Poll,
)
from pki.scep_ca import ScepPolicy
from pki.signing import signature_is_valid

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
        f"serial {cert.serial_number:X}",
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


def test_a_ca_past_its_own_validity_answers_bad_time(key, request_):
    h = hierarchy()
    ca = scep_ca(h)
    after = h.certificate("Eng-CA").not_valid_after_utc + dt.timedelta(days=1)
    step, _ = run(ca, enrollment(ca, key, request_), after)
    assert isinstance(step, Failed) and step.reason == "CA refused the request (badTime)"
