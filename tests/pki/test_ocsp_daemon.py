"""pkid's decisions with `use-ocsp` (pki.daemon, pki.ocsp_step), driven by hand: what it asks
for, and its verdict on real responses, on the guide's Figure 4 (Host-B from Sales-CA)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509

from pki.daemon import FetchCrl, FetchOcsp, OcspReply, PkiDaemon, Verdict
from pki.keys import KeySpec, KeyType, generate_key_pair
from pki.names import parse_subject
from pki.ocsp import ocsp_access
from pki.ocsp_responder import Responder, delegate_certificate, respond, status_from
from pki.profiles import CaProfile, Crl, Ocsp, OcspConnectionFailure, RevocationCheck
from pki.result import ValidationFailure
from pki.store import CertificateStore

URL = "http://10.0.0.9/ocsp"
NONCE = b"sixteen-byte-nce"
HOST_B = "C=US,ST=CA,L=Sunnyvale,O=PKI,OU=SALES,CN=Host-B,DC=example"


@pytest.fixture
def at(start):
    return start + dt.timedelta(days=30)


def _daemon(figure4, start, **ocsp) -> PkiDaemon:
    """CA profiles Root-CA (CRL) and Sales-CA (use-ocsp), as Host-A would check Host-B."""
    profiles = {
        "Root-CA": CaProfile(name="Root-CA", revocation_check=RevocationCheck(disable=True)),
        "Sales-CA": CaProfile(name="Sales-CA", revocation_check=RevocationCheck(
            crl=Crl(), ocsp=Ocsp(urls=(URL,), **ocsp), use_ocsp=True)),
    }
    store = CertificateStore()
    for name in profiles:
        store = store.add_ca_certificate(name, figure4.certificate(name))
    return PkiDaemon.start(profiles, store, at=start)


def _responder(figure4, **kw) -> Responder:
    ca = figure4.certificate("Sales-CA")
    return Responder(ca=ca, signer=ca, key=figure4.key("Sales-CA"), **kw)


def _answer(figure4, need: FetchOcsp, at, responder=None) -> OcspReply:
    node = figure4.graph.nodes["Sales-CA"]
    issued = frozenset(figure4.certificate(s).serial_number
                       for s in figure4.graph.successors("Sales-CA"))
    data = respond(need.request.der, responder or _responder(figure4),
                   status_from(issued, node["revoked"], at=at), at=at)
    return OcspReply(request=need.request, url=need.urls[0], data=data)


def _verify(daemon, figure4, at, **kw):
    return daemon.verify(figure4.certificate("Host-B"), (), at=at, nonce=NONCE, **kw)


def _lines(answer) -> list[str]:
    return [event.text for event in answer.events]


def test_asks_the_configured_responder_with_a_nonce(figure4, start, at):
    need = _verify(_daemon(figure4, start), figure4, at)
    assert isinstance(need, FetchOcsp)
    assert need.ca_profile == "Sales-CA" and need.urls == (URL,)
    assert need.request.nonce == NONCE
    assert need.request.serial == figure4.certificate("Host-B").serial_number


def test_no_nonce_with_nonce_payload_disable(figure4, start, at):
    need = _verify(_daemon(figure4, start, nonce_payload=False), figure4, at)
    assert need.request.nonce is None


def test_good_answer_accepts(figure4, start, at):
    daemon = _daemon(figure4, start)
    need = _verify(daemon, figure4, at)
    verdict = _verify(daemon, figure4, at, ocsp={"Sales-CA": _answer(figure4, need, at)})
    assert isinstance(verdict, Verdict) and verdict.ok, verdict.result.message
    serial = f"{figure4.certificate('Host-B').serial_number:X}"
    assert _lines(verdict) == [
        f"OCSP response from {URL}: certificate serial {serial} good, responder C = us, "
        "O = example, CN = Sales-CA, this update 2012-09-13 22:19:00 UTC, next update "
        "2012-09-13 23:19:00 UTC"]


def test_revoked_answer_fails_like_a_crl_revocation(figure4, start, at):
    figure4.revoke("Host-B", at=at - dt.timedelta(minutes=1),
                   reason=x509.ReasonFlags.key_compromise)
    daemon = _daemon(figure4, start)
    need = _verify(daemon, figure4, at)
    verdict = _verify(daemon, figure4, at, ocsp={"Sales-CA": _answer(figure4, need, at)})
    serial = f"{figure4.certificate('Host-B').serial_number:X}"
    assert verdict.result.reason is ValidationFailure.REVOKED
    assert verdict.result.message == (f"{HOST_B}: certificate serial {serial} was revoked on "
                                      "2012-09-13 22:18 UTC (keyCompromise)")
    assert verdict.result.failed_certificate == figure4.certificate("Host-B")


def test_unknown_answer_fails(figure4, start, at):
    daemon = _daemon(figure4, start)
    need = _verify(daemon, figure4, at)
    # Sales-CA's responder with no record of the certificate (a CA database restored from
    # an old backup) says unknown.
    data = respond(need.request.der, _responder(figure4),
                   status_from(frozenset(), {}, at=at), at=at)
    verdict = _verify(daemon, figure4, at, ocsp={"Sales-CA": OcspReply(
        request=need.request, url=URL, data=data)})
    assert verdict.result.reason is ValidationFailure.OCSP_FAILED
    assert verdict.result.message.endswith("(status unknown)")


@pytest.mark.parametrize("action, ok, line", [
    (OcspConnectionFailure.DISABLE, True, "No OCSP response for CA profile Sales-CA; "
     "revocation check skipped (connection-failure disable)"),
    (None, False, None),
])
def test_no_answer(figure4, start, at, action, ok, line):
    daemon = _daemon(figure4, start, connection_failure=action)
    need = _verify(daemon, figure4, at)
    verdict = _verify(daemon, figure4, at, ocsp={"Sales-CA": OcspReply(request=need.request)})
    assert isinstance(verdict, Verdict) and verdict.ok is ok
    if ok:
        assert _lines(verdict) == [line]
    else:
        assert verdict.result.message == f"{HOST_B}: no OCSP response for CA profile Sales-CA"


def test_no_answer_falls_back_to_the_crl(figure4, start, at):
    figure4.revoke("Host-B", at=at - dt.timedelta(hours=2))
    daemon = _daemon(figure4, start, connection_failure=OcspConnectionFailure.FALLBACK_CRL)
    need = _verify(daemon, figure4, at)
    replies = {"Sales-CA": OcspReply(request=need.request)}
    fetch = _verify(daemon, figure4, at, ocsp=replies)
    assert isinstance(fetch, FetchCrl)
    assert fetch.urls == ("http://10.157.88.230:8080/crl/Sales.crl",)
    daemon.crl_downloaded("Sales-CA", figure4.crl("Sales-CA", at=at - dt.timedelta(hours=1)),
                          url=fetch.urls[0], at=at)
    verdict = _verify(daemon, figure4, at, ocsp=replies, fetched=frozenset({"Sales-CA"}))
    assert verdict.result.reason is ValidationFailure.REVOKED


def test_refused_response_fails_with_one_line(figure4, start, at):
    daemon = _daemon(figure4, start)
    need = _verify(daemon, figure4, at)
    verdict = _verify(daemon, figure4, at, ocsp={"Sales-CA": OcspReply(
        request=need.request, url=URL, data=b"\x30\x03\x0a\x01\x03")})
    assert verdict.result.message == (f"{HOST_B}: OCSP response refused: OCSP responder "
                                      "answered try_later")
    serial = f"{figure4.certificate('Host-B').serial_number:X}"
    assert _lines(verdict) == [f"OCSP response from {URL} for certificate serial {serial} "
                               "refused: OCSP responder answered try_later"]


def _delegated(figure4, start, *, nocheck=False) -> Responder:
    key = generate_key_pair(KeySpec(type=KeyType.ECDSA, size=256), seed="delegate")
    ca = figure4.certificate("Sales-CA")
    cert = delegate_certificate(ca=ca, ca_key=figure4.key("Sales-CA"), key=key,
                                subject=parse_subject("CN=Sales OCSP"),
                                serial=figure4.next_serial(), not_before=start,
                                not_after=start + dt.timedelta(days=365), nocheck=nocheck,
                                crl_urls=("http://10.157.88.230:8080/crl/Sales.crl",))
    figure4.graph.add_node("Sales OCSP", kind="ee", certificate=cert, key=key)
    figure4.graph.add_edge("Sales-CA", "Sales OCSP", primary=True, certificate=cert)
    return Responder(ca=ca, signer=cert, key=key)


def test_delegated_responder_is_checked_against_the_cas_crl(figure4, start, at):
    responder = _delegated(figure4, start)
    figure4.revoke("Sales OCSP", at=at - dt.timedelta(hours=3))
    daemon = _daemon(figure4, start)
    need = _verify(daemon, figure4, at)
    replies = {"Sales-CA": _answer(figure4, need, at, responder)}
    fetch = _verify(daemon, figure4, at, ocsp=replies)
    assert isinstance(fetch, FetchCrl) and fetch.ca_profile == "Sales-CA"
    daemon.crl_downloaded("Sales-CA", figure4.crl("Sales-CA", at=at - dt.timedelta(hours=1)),
                          url=fetch.urls[0], at=at)
    verdict = _verify(daemon, figure4, at, ocsp=replies, fetched=frozenset({"Sales-CA"}))
    assert verdict.result.reason is ValidationFailure.OCSP_FAILED
    serial = f"{responder.signer.serial_number:X}"
    assert verdict.result.message == (f"{HOST_B}: OCSP responder certificate CN=Sales OCSP: "
                                      f"certificate serial {serial} was revoked on 2012-09-13 "
                                      "19:19 UTC")


@pytest.mark.parametrize("nocheck, disable, why", [
    (True, False, "it carries ocsp-nocheck"),
    (False, True, "disable-responder-revocation-check"),
])
def test_delegated_responder_revocation_not_checked(figure4, start, at, nocheck, disable, why):
    responder = _delegated(figure4, start, nocheck=nocheck)
    figure4.revoke("Sales OCSP", at=at - dt.timedelta(hours=3))
    daemon = _daemon(figure4, start, disable_responder_revocation_check=disable)
    need = _verify(daemon, figure4, at)
    verdict = _verify(daemon, figure4, at,
                      ocsp={"Sales-CA": _answer(figure4, need, at, responder)})
    assert isinstance(verdict, Verdict) and verdict.ok, verdict.result.message
    assert _lines(verdict)[-1] == (f"OCSP responder certificate CN = Sales OCSP: revocation "
                                   f"not checked ({why})")


def test_configured_urls_first_then_the_certificates_aia(figure4, start, at):
    """Junos: the (up to two) `ocsp url`s in order, then the certificate's AuthorityInfoAccess
    responder; a URL named twice is asked once."""
    aia = ocsp_access(("http://aia.example.net/ocsp", URL))
    cert = figure4.issue_end_entity(
        "Sales-CA", "Host-C", key=KeySpec(type=KeyType.ECDSA, size=256), subject="CN=Host-C",
        extra_extensions=(x509.Extension(aia.oid, False, aia),))
    daemon = _daemon(figure4, start)
    daemon.profiles["Sales-CA"] = CaProfile(name="Sales-CA", revocation_check=RevocationCheck(
        ocsp=Ocsp(urls=(URL, "http://10.0.0.10/ocsp")), use_ocsp=True))
    need = daemon.verify(cert, (), at=at, nonce=NONCE)
    assert need.urls == (URL, "http://10.0.0.10/ocsp", "http://aia.example.net/ocsp")
