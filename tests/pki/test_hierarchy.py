"""CA hierarchies: issuing from certificate requests, cross-certification, revocation."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pki.csr import RequestParams, build_request
from pki.keys import KeySpec, KeyType, generate_key_pair
from pki.signing import verify_with_key


def test_a_ca_answers_a_request_with_its_subject_names_and_key(figure4):
    key = generate_key_pair(KeySpec(type=KeyType.ECDSA, size=256), seed="lab")
    request = build_request(key, RequestParams(
        certificate_id="lab", subject="DC=example,CN=lab,OU=DEV,O=PKI,C=US",
        domain_name="lab.example.net", ip_address="10.1.1.1"))
    cert = figure4.issue_from_request("Dev-CA", "lab", request)
    assert cert.subject == request.subject
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["lab.example.net"]
    verify_with_key(cert, figure4.certificate("Dev-CA").public_key())
    assert figure4.issuer_of("lab") == "Dev-CA"


def test_a_request_whose_signature_does_not_verify_is_refused(figure4):
    key = generate_key_pair(KeySpec(type=KeyType.ECDSA, size=256), seed="lab")
    der = bytearray(build_request(key, RequestParams(
        certificate_id="lab", subject="CN=lab", domain_name="lab.example.net")
    ).public_bytes(serialization.Encoding.DER))
    der[-3] ^= 0x01  # inside the signature
    tampered = x509.load_der_x509_csr(bytes(der))
    with pytest.raises(ValueError, match="certificate request for lab: its signature does not"):
        figure4.issue_from_request("Dev-CA", "lab", tampered)
    with pytest.raises(KeyError):
        figure4.certificate("lab")


def test_cross_certification_adds_a_second_certificate_for_the_same_ca(figure4):
    cross = figure4.cross_certify("Sales-CA", "Eng-CA")
    assert cross.subject == figure4.certificate("Eng-CA").subject
    assert cross.issuer == figure4.certificate("Sales-CA").subject
    assert figure4.issuer_of("Eng-CA") == "Root-CA"  # the primary issuer stays
    with pytest.raises(ValueError, match="already issued a certificate"):
        figure4.cross_certify("Sales-CA", "Eng-CA")
