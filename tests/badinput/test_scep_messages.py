"""Hostile SCEP traffic: a SCEP CA answers whatever arrives with HTTP 400 and one line (or a
signed FAILURE), never an exception; the device's enrollment turns whatever the CA sends into
one EnrollmentError line (GetCACert) or a Failed step with a one-line reason (PKIOperation).

The corpus is real messages, damaged: truncated, lengths overlong or claiming 100 MB, content
types swapped, fields removed; hypothesis flips and cuts bytes of a real PKCSReq and CertRep.
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given, settings
from hypothesis import strategies as st

from pki import cms, cms_envelope, der
from pki.enrollment import (
    CA_CERT,
    CA_RA_CERT,
    PKI_MESSAGE,
    CaCertificateEnrollment,
    EnrollmentError,
    Failed,
    HttpRequest,
    HttpResponse,
)
from pki.scep_ca import ScepPolicy
from tests.pki.scep_pki import (
    NOW,
    URL,
    device_key,
    device_request,
    enrollment,
    hierarchy,
    scep_ca,
)

POST = URL + "?operation=PKIOperation"


@pytest.fixture(scope="module")
def world():
    h = hierarchy()
    ca = scep_ca(h, ScepPolicy(url=URL, challenge_password="pass-1234", pending_polls=1))
    key = device_key()
    job = enrollment(ca, key, device_request(key))
    request, _ = job.start(NOW)
    reply = ca.handle(request, now=NOW)
    return {"h": h, "ca": ca, "key": key, "request": request.body, "reply": reply.body}


def _one_line(text: str) -> None:
    assert text and "\n" not in text and "Traceback" not in text
    assert all(c.isprintable() for c in text), text


def _refused_by_ca(world, body: bytes) -> str:
    ca = scep_ca(world["h"])
    response = ca.handle(HttpRequest(method="POST", url=POST, body=body), now=NOW)
    assert ca.issued == {}
    if response.status == 200:  # readable and signed, refused inside: a FAILURE CertRep
        assert response.content_type == PKI_MESSAGE
        return "FAILURE"
    assert response.status == 400 and response.content_type == "text/plain"
    text = response.body.decode()
    assert text.endswith("\n")
    _one_line(text[:-1])
    return text[:-1]


def _damaged(world, data: bytes) -> dict[str, bytes]:
    top = der.read_one(data)
    head = len(top.encoding) - len(top.content)
    return {
        "empty": b"",
        "one byte": data[:1],
        "truncated": data[:len(data) // 2],
        "truncated by one": data[:-1],
        "trailing byte": data + b"\x00",
        "100 MB length claim": b"\x30\x84\x06\x00\x00\x00" + data[head:],
        "overlong length": b"\x30\x84" + len(top.content).to_bytes(4, "big") + data[head:],
        "indefinite length": b"\x30\x80" + data[head:] + b"\x00\x00",
        "not a sequence": b"\x31" + data[1:],
        "envelope instead of signed data": cms_envelope.envelope(
            b"x", recipient=world["ca"].certificate, cipher=cms_envelope.AES_128_CBC, seed=b"x"),
        "certs-only": cms.certs_only((world["ca"].certificate,)),
        "text": b"operation=PKIOperation",
        "oversized": b"\x30" * (cms.MAX_MESSAGE + 1),
    }


CASES = ["empty", "one byte", "truncated", "truncated by one", "trailing byte",
         "100 MB length claim", "overlong length", "indefinite length", "not a sequence",
         "envelope instead of signed data", "certs-only", "text", "oversized"]


@pytest.mark.parametrize("case", CASES)
def test_ca_answers_a_damaged_request_with_one_line(world, case):
    assert _refused_by_ca(world, _damaged(world, world["request"])[case]) != "FAILURE"


def test_ca_names_what_is_wrong(world):
    assert _refused_by_ca(world, _damaged(world, world["request"])["100 MB length claim"]) \
        == "pkiMessage: DER element longer than the data"
    assert _refused_by_ca(world, b"\x30" * (cms.MAX_MESSAGE + 1)) \
        == "pkiMessage of 65537 bytes, more than 65536"


def test_ca_refuses_its_own_answer_as_a_request(world):
    assert _refused_by_ca(world, world["reply"]) == "pkiMessage is a CertRep, not a request"


@pytest.mark.parametrize("url", [
    URL + "?operation=Nonsense",
    URL + "?operation=PKIOperation&message=%%%",
    URL + "?operation=PKIOperation&message=not*base64",
    URL + "?operation=GetCACert&operation=GetCACaps",
    URL + "?op\x00=1",
    URL + "?operation=" + "A" * 100_000,
])
def test_ca_refuses_bad_queries_with_one_line(world, url):
    response = scep_ca(world["h"]).handle(HttpRequest(method="GET", url=url[:8192]), now=NOW)
    assert response.status == 400
    _one_line(response.body.decode()[:-1])


def test_get_pkioperation_in_base64_is_read(world):
    message = base64.b64encode(world["request"]).decode().replace("+", "%2B").replace("/",
                                                                                    "%2F")
    ca = scep_ca(world["h"])
    response = ca.handle(HttpRequest(method="GET", url=f"{POST}&message={message}"), now=NOW)
    assert response.status == 200 and len(ca.issued) == 1


@settings(max_examples=60)
@given(st.data())
def test_ca_never_raises_on_mutated_requests(world, data):
    body = bytearray(world["request"])
    for _ in range(data.draw(st.integers(1, 4))):
        where = data.draw(st.integers(0, len(body) - 1))
        body[where] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(body)))
    ca = scep_ca(world["h"])
    response = ca.handle(HttpRequest(method="POST", url=POST, body=bytes(body[:cut])), now=NOW)
    assert response.status in (200, 400)
    if response.status == 400:
        _one_line(response.body.decode()[:-1])


# --- the device's side ---------------------------------------------------------------------

def _client_step(world, response: HttpResponse):
    job = enrollment(world["ca"], world["key"], device_request(world["key"]))
    job.start(NOW)
    return job.receive(response, NOW)


@pytest.mark.parametrize("case", CASES)
def test_enrollment_fails_in_one_line_on_a_damaged_certrep(world, case):
    step = _client_step(world, HttpResponse(status=200, content_type=PKI_MESSAGE,
                                            body=_damaged(world, world["reply"])[case]))
    assert isinstance(step, Failed)
    _one_line(step.reason)
    assert len(step.lines) == 1


@pytest.mark.parametrize(("response", "reason"), [
    (HttpResponse(status=500, content_type="text/html", body=b"<h1>\x07boom</h1>\r\nmore"),
     f"HTTP 500 from {URL}: <h1>^Gboom</h1>"),
    (HttpResponse(status=200, content_type="text/html", body=b"hello"),
     "answer of type text/html, not application/x-pki-message"),
    (HttpResponse(status=200, content_type="application/x-pki-message\x1b[2J", body=b""),
     "answer of type application/x-pki-message^[[2j, not application/x-pki-message"),
])
def test_enrollment_fails_in_one_line_on_a_bad_http_answer(world, response, reason):
    step = _client_step(world, response)
    assert isinstance(step, Failed) and step.reason == reason


@settings(max_examples=60)
@given(st.data())
def test_enrollment_never_raises_on_mutated_certreps(world, data):
    body = bytearray(world["reply"])
    for _ in range(data.draw(st.integers(1, 4))):
        where = data.draw(st.integers(0, len(body) - 1))
        body[where] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(body)))
    step = _client_step(world, HttpResponse(status=200, content_type=PKI_MESSAGE,
                                            body=bytes(body[:cut])))
    assert isinstance(step, Failed) or type(step).__name__ == "Poll"
    for line in step.lines:
        _one_line(line)


def _get_ca_cert(body: bytes, content_type: str) -> str:
    job = CaCertificateEnrollment(ca_profile="Eng-CA", url=URL, ca_identity="Eng-CA")
    with pytest.raises(EnrollmentError) as caught:
        job.receive(HttpResponse(status=200, content_type=content_type, body=body))
    text = str(caught.value)
    _one_line(text)
    return text


@pytest.mark.parametrize("case", [case for case in CASES if case != "certs-only"])
def test_get_ca_cert_damaged_chain_is_one_line(world, case):
    chain = cms.certs_only((world["h"].certificate("Eng-CA"),
                            world["h"].certificate("Root-CA")))
    assert _get_ca_cert(_damaged(world, chain)[case], CA_RA_CERT).startswith(
        "CA profile Eng-CA: ")


def test_get_ca_cert_damaged_certificate_and_types(world):
    cert = world["h"].certificate("Eng-CA").public_bytes(Encoding.DER)
    assert _get_ca_cert(cert[:-10], CA_CERT) == \
        "CA profile Eng-CA: GetCACert answer is not a DER certificate"
    assert _get_ca_cert(cert, "text/plain") == \
        "CA profile Eng-CA: GetCACert answer of type text/plain, not a CA certificate"
    assert _get_ca_cert(world["request"], CA_RA_CERT) == \
        "CA profile Eng-CA: certificates-only message: it has content or a signer"



def test_an_oversized_certrep_is_neither_read_nor_kept(world):
    job = enrollment(world["ca"], world["key"], device_request(world["key"]))
    job.start(NOW)
    step = job.receive(HttpResponse(status=200, content_type=PKI_MESSAGE,
                                    body=b"\x30" * (100 * 1024 * 1024)), NOW)
    assert isinstance(step, Failed)
    assert step.reason == "CertRep of 104857600 bytes, more than 65536"
    assert [kind for kind, _ in job.messages] == ["PKCSReq"]
