"""Re-enrollment in a CA hierarchy: a certificate-id issued again gets the new certificate,
and the old one stays revocable by its serial."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509

from pki.csr import RequestParams, build_request
from pki.keys import KeySpec, KeyType, generate_key_pair

EC = KeySpec(type=KeyType.ECDSA, size=256)


def _request(seed: str) -> x509.CertificateSigningRequest:
    return build_request(generate_key_pair(EC, seed=seed), RequestParams(
        certificate_id="lab", subject="CN=lab,O=PKI,C=US", domain_name="lab.example.net"))


def test_issuing_again_replaces_the_certificate_and_keeps_the_old(figure4, start):
    first = figure4.issue_from_request("Dev-CA", "lab", _request("one"))
    later = start + dt.timedelta(days=300)
    second = figure4.issue_from_request("Dev-CA", "lab", _request("two"), not_before=later)
    assert figure4.certificate("lab") == second
    assert figure4.chain("lab")[0] == second
    assert figure4.previous_certificates("lab") == [first]
    assert second.serial_number != first.serial_number
    assert second.subject == first.subject
    # Only its own CA issues to it again; a CA's name is never an end entity's.
    with pytest.raises(ValueError, match="^lab already exists in this hierarchy$"):
        figure4.issue_from_request("Qa-CA", "lab", _request("three"))
    with pytest.raises(ValueError, match="^Eng-CA already exists in this hierarchy$"):
        figure4.issue_from_request("Root-CA", "Eng-CA", _request("four"))


def test_the_old_certificate_is_revoked_by_serial(figure4, start):
    first = figure4.issue_from_request("Dev-CA", "lab", _request("one"))
    second = figure4.issue_from_request("Dev-CA", "lab", _request("two"))
    at = start + dt.timedelta(days=1)
    figure4.revoke("lab", at=at, serial=first.serial_number,
                   reason=x509.ReasonFlags.superseded)
    crl = figure4.crl("Dev-CA", at=at + dt.timedelta(hours=1))
    assert crl.get_revoked_certificate_by_serial_number(first.serial_number) is not None
    assert crl.get_revoked_certificate_by_serial_number(second.serial_number) is None


def test_revoking_a_serial_it_never_had(figure4, start):
    figure4.issue_from_request("Dev-CA", "lab", _request("one"))
    with pytest.raises(ValueError, match="^lab has no certificate with serial 1f from Dev-CA$"):
        figure4.revoke("lab", at=start, serial=0x1F)

