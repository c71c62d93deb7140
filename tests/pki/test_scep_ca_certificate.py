"""GetCACert and GetCACaps: what `request security pki ca-certificate enroll` receives, and the
capabilities that choose the cipher."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from pki import cms, cms_envelope, der
from pki.enrollment import (
    CA_CERT,
    CA_RA_CERT,
    CaCertificateEnrollment,
    EnrollmentError,
    HttpRequest,
    HttpResponse,
    Issued,
    capabilities_request,
    cipher_for,
    read_capabilities,
)
from pki.scep_ca import ScepPolicy

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


def test_get_ca_caps_picks_the_cipher():
    key, request_ = device_key(), device_request(device_key())
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

