"""pki.ocsp and pki.ocsp_responder on real requests and responses: what an SRX accepts and
what it refuses, each refusal one line."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from pki.crl import Revocation
from pki.keys import KeySpec, KeyType, generate_key_pair
from pki.names import parse_subject
from pki.ocsp import (
    AIA_URLS_MAX,
    RESPONSE_MAX_BYTES,
    OcspRefused,
    OcspStatus,
    build_request,
    check_response,
    ocsp_access,
    ocsp_urls_of,
)
from pki.ocsp_responder import Responder, delegate_certificate, respond, status_from

KEY = KeySpec(type=KeyType.ECDSA, size=256)
NONCE = bytes(range(16))


@pytest.fixture
def at(start):
    return start + dt.timedelta(days=30)


def _ca_responder(figure4, ca="Sales-CA", **kw) -> Responder:
    return Responder(ca=figure4.certificate(ca), signer=figure4.certificate(ca),
                     key=figure4.key(ca), **kw)


def _delegate(figure4, start, ca="Sales-CA", **kw) -> Responder:
    key = generate_key_pair(KEY, seed="ocsp-delegate")
    cert = delegate_certificate(
        ca=figure4.certificate(ca), ca_key=figure4.key(ca), key=key,
        subject=parse_subject(f"CN={ca} OCSP Responder"), serial=4242, not_before=start,
        not_after=start + dt.timedelta(days=365), **kw)
    return Responder(ca=figure4.certificate(ca), signer=cert, key=key)


def _status(figure4, ca, at):
    node = figure4.graph.nodes[ca]
    issued = frozenset(figure4.graph.edges[ca, s]["certificate"].serial_number
                       for s in figure4.graph.successors(ca))
    return status_from(issued, node["revoked"], at=at)


def _ask(figure4, at, responder=None, *, nonce=NONCE, who="Host-B", ca="Sales-CA",
         answered_at=None):
    request = build_request(figure4.certificate(who), figure4.certificate(ca), nonce=nonce)
    responder = responder or _ca_responder(figure4, ca)
    data = respond(request.der, responder, _status(figure4, responder_ca(responder, figure4),
                                                   answered_at or at), at=answered_at or at)
    return request, data


def responder_ca(responder, figure4):
    return next(n for n in figure4.cas() if figure4.certificate(n) == responder.ca)


def test_good_from_the_ca_with_nonce_echoed(figure4, at):
    request, data = _ask(figure4, at)
    answer = check_response(data, request, at=at)
    assert answer.status is OcspStatus.GOOD
    assert answer.responder == "C = us, O = example, CN = Sales-CA"
    assert answer.this_update == at and answer.next_update == at + dt.timedelta(hours=1)
    assert answer.delegate is None
    parsed = ocsp.load_der_ocsp_response(data)
    assert parsed.produced_at_utc == at  # the simulated time, not the wall clock
    assert parsed.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == NONCE


def test_revoked_with_time_and_reason(figure4, at):
    when = at - dt.timedelta(hours=2)
    figure4.revoke("Host-B", at=when, reason=x509.ReasonFlags.key_compromise)
    request, data = _ask(figure4, at)
    answer = check_response(data, request, at=at)
    assert answer.status is OcspStatus.REVOKED
    assert answer.revocation_time == when
    assert answer.revocation_reason is x509.ReasonFlags.key_compromise


def test_revocation_after_the_answer_time_is_not_seen(figure4, at):
    figure4.revoke("Host-B", at=at + dt.timedelta(minutes=5))
    request, data = _ask(figure4, at)
    assert check_response(data, request, at=at).status is OcspStatus.GOOD


def test_unknown_for_a_certificate_the_ca_did_not_issue(figure4, at):
    # Host-A's certificate (Dev-CA's) asked of Sales-CA's responder, named as Sales-CA's.
    request = build_request(figure4.certificate("Host-A"), figure4.certificate("Sales-CA"),
                            nonce=NONCE)
    data = respond(request.der, _ca_responder(figure4), _status(figure4, "Sales-CA", at), at=at)
    assert check_response(data, request, at=at).status is OcspStatus.UNKNOWN


def test_wrong_signer_is_refused(figure4, at):
    # Eng-CA signs an answer about a Sales-CA certificate.
    request = build_request(figure4.certificate("Host-B"), figure4.certificate("Sales-CA"),
                            nonce=NONCE)
    wrong = Responder(ca=figure4.certificate("Sales-CA"), signer=figure4.certificate("Eng-CA"),
                      key=figure4.key("Eng-CA"))
    data = respond(request.der, wrong, _status(figure4, "Sales-CA", at), at=at)
    with pytest.raises(OcspRefused, match=r"^OCSP responder certificate C = us, O = example, "
                                          r"CN = Eng-CA is not issued by the CA C = us, "
                                          r"O = example, CN = Sales-CA$"):
        check_response(data, request, at=at)


def test_tampered_signature_is_refused(figure4, at):
    request, data = _ask(figure4, at)
    # The CA signed alone (no certificates follow): the last octets are the signature's.
    forged = data[:-3] + bytes([data[-3] ^ 1]) + data[-2:]
    with pytest.raises(OcspRefused, match="^OCSP response signature does not verify with the "
                                          "key of C = us, O = example, CN = Sales-CA$"):
        check_response(forged, request, at=at)


def test_delegated_responder_with_eku_is_accepted(figure4, start, at):
    responder = _delegate(figure4, start, nocheck=True)
    request, data = _ask(figure4, at, responder)
    answer = check_response(data, request, at=at)
    assert answer.status is OcspStatus.GOOD
    assert answer.responder == "CN = Sales-CA OCSP Responder"
    assert answer.delegate == responder.signer and answer.nocheck


def test_delegated_responder_without_eku_is_refused(figure4, start, at):
    responder = _delegate(figure4, start, ocsp_signing=False)
    request, data = _ask(figure4, at, responder)
    with pytest.raises(OcspRefused, match="^OCSP responder certificate CN = Sales-CA OCSP "
                                          "Responder lacks extended key usage OCSPSigning$"):
        check_response(data, request, at=at)


def test_delegate_of_another_ca_is_refused(figure4, start, at):
    responder = _delegate(figure4, start, ca="Dev-CA")
    request = build_request(figure4.certificate("Host-B"), figure4.certificate("Sales-CA"),
                            nonce=NONCE)
    data = respond(request.der, responder, _status(figure4, "Dev-CA", at), at=at)
    with pytest.raises(OcspRefused, match="is not issued by the CA C = us, O = example, "
                                          "CN = Sales-CA$"):
        check_response(data, request, at=at)


def test_stale_response_is_refused(figure4, at):
    request, data = _ask(figure4, at, answered_at=at - dt.timedelta(hours=3))
    with pytest.raises(OcspRefused, match=r"^OCSP response expired at \d{4}-\d\d-\d\d "
                                          r"\d\d:\d\d:\d\d UTC \(nextUpdate\)$"):
        check_response(data, request, at=at)


def test_response_from_the_future_is_refused(figure4, at):
    request, data = _ask(figure4, at, answered_at=at + dt.timedelta(minutes=10))
    with pytest.raises(OcspRefused, match=r"not valid before .* UTC \(thisUpdate\)$"):
        check_response(data, request, at=at)


def test_nonce_mismatch_is_refused(figure4, at):
    request = build_request(figure4.certificate("Host-B"), figure4.certificate("Sales-CA"),
                            nonce=NONCE)
    replayed, data = _ask(figure4, at, nonce=b"another nonce...")
    assert replayed.serial == request.serial
    with pytest.raises(OcspRefused, match="^OCSP response nonce does not match the request's$"):
        check_response(data, request, at=at)


def test_missing_nonce_is_refused_when_one_was_sent(figure4, at):
    request = build_request(figure4.certificate("Host-B"), figure4.certificate("Sales-CA"),
                            nonce=NONCE)
    _, data = _ask(figure4, at, nonce=None)
    with pytest.raises(OcspRefused, match=r"^OCSP response carries no nonce \(nonce-payload "
                                          r"is enabled\)$"):
        check_response(data, request, at=at)


def test_without_a_nonce_none_is_expected(figure4, at):
    request, data = _ask(figure4, at, nonce=None)
    assert ocsp.load_der_ocsp_request(request.der).extensions.__len__() == 0
    assert check_response(data, request, at=at).status is OcspStatus.GOOD


def test_answer_for_another_certificate_is_refused(figure4, at):
    figure4.issue_end_entity("Sales-CA", "Host-C", key=KEY, subject="CN=Host-C")
    request = build_request(figure4.certificate("Host-B"), figure4.certificate("Sales-CA"),
                            nonce=NONCE)
    other, data = _ask(figure4, at, who="Host-C")
    assert other.serial != request.serial
    with pytest.raises(OcspRefused, match=r"^OCSP response has no status for certificate "
                                          rf"serial {request.serial:X} of .*CertID mismatch\)$"):
        check_response(data, request, at=at)


@pytest.mark.parametrize("data, message", [
    (b"", r"^OCSP response cannot be parsed \("),
    (b"\x30\x03\x0a\x01", r"^OCSP response cannot be parsed \("),
    (b"\x30\x03\x0a\x01\x03", "^OCSP responder answered try_later$"),
    (b"\x00" * (RESPONSE_MAX_BYTES + 1),
     "^OCSP response of 65,537 bytes is over the 65,536-byte limit$"),
], ids=["empty", "truncated", "try-later", "huge"])
def test_hostile_bytes_are_one_line(figure4, at, data, message):
    request = build_request(figure4.certificate("Host-B"), figure4.certificate("Sales-CA"),
                            nonce=NONCE)
    with pytest.raises(OcspRefused, match=message) as refused:
        check_response(data, request, at=at)
    assert "\n" not in str(refused.value)


def test_truncated_real_response_is_refused(figure4, at):
    request, data = _ask(figure4, at)
    for cut in (1, 10, len(data) // 2, len(data) - 1):
        with pytest.raises(OcspRefused):
            check_response(data[:cut], request, at=at)


def test_a_certificate_is_no_response(figure4, at):
    request = build_request(figure4.certificate("Host-B"), figure4.certificate("Sales-CA"),
                            nonce=NONCE)
    cert = figure4.certificate("Host-B").public_bytes(serialization.Encoding.DER)
    with pytest.raises(OcspRefused, match=r"^OCSP response cannot be parsed"):
        check_response(cert, request, at=at)


def test_responder_answers_garbage_with_malformed_request(figure4, at):
    data = respond(b"\x30\x00", _ca_responder(figure4), _status(figure4, "Sales-CA", at), at=at)
    assert ocsp.load_der_ocsp_response(data).response_status is \
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_same_request_and_time_give_the_same_bytes(figure4, at):
    _, first = _ask(figure4, at)
    _, second = _ask(figure4, at)
    assert first == second


def test_revoked_entry_reaches_status_from(start):
    entry = Revocation(serial=7, date=start)
    status = status_from(frozenset({7, 8}), {7: entry}, at=start)
    assert status(7) == entry and status(8) is True and status(9) is False


def test_aia_urls_from_a_peer_are_filtered_and_bounded(figure4, start):
    """A peer's certificate chooses its AIA: only http URLs with a host are asked, at most
    AIA_URLS_MAX, never one that urlsplit refuses."""
    urls = ("ldap://10.0.0.1/ocsp", "http://[::1/ocsp", "http:///no-host", "http://a\x1b/x",
            *(f"http://10.0.0.{i}/ocsp" for i in range(1, 10)))
    cert = figure4.issue_end_entity(
        "Sales-CA", "Host-C", key=KEY, subject="CN=Host-C",
        extra_extensions=(x509.Extension(x509.oid.ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
                                         False, ocsp_access(urls)),))
    assert ocsp_urls_of(cert) == tuple(f"http://10.0.0.{i}/ocsp"
                                       for i in range(1, AIA_URLS_MAX + 1))
    assert ocsp_urls_of(figure4.certificate("Host-B")) == ()
