"""DSA parameter inheritance (RFC 5280 6.1.4 (f), RFC 3279 2.3.2; NIST PKITS 4.1.5 and 4.1.6):
a DSA key without parameters takes its issuer's p, q, g, for the signatures it makes on the
next certificate and on CRLs. Real DSA keys, signatures and certificates throughout."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

import pki
from pki import der
from pki.crl import Revocation
from pki.loaders import load_certificate, load_certificates
from pki.result import ValidationFailure
from pki.working_key import original_der, read_spki, signed_tbs
from tests.pki.pathworld import (
    AT,
    CRL_TIME,
    DsaWorld,
    crl_of,
    defect_scenario,
    dsa_world,
    orphan_dsa_chain,
)

PEM = serialization.Encoding.PEM
EE, CA = "CN=DSA-Inherited-EE,O=example,C=us", "CN=DSA-Inherited-CA,O=example,C=us"


def _validate(w: DsaWorld, leaf: x509.Certificate, *, crls=None):
    return pki.validate_path(leaf, trust_anchors=[w.root], intermediates=[w.intermediate],
                             crls=[w.crl, w.root_crl] if crls is None else crls, at=AT)


def _spki(certificate: bytes):
    fields = der.read_one(certificate).children()[0].children()
    return read_spki(fields[6 if fields[0].tag == 0xA0 else 5].encoding)


@pytest.mark.parametrize("null", [False, True], ids=["absent", "NULL"])
def test_the_certificates_really_omit_the_parameters(null):
    w = dsa_world(null=null)
    for who in ("intermediate", "ee"):
        spki = _spki(w.der[who])
        assert spki.is_dsa
        assert spki.parameters == (b"\x05\x00" if null else None)
    with pytest.raises(ValueError):  # what pki.working_key is for
        x509.load_der_x509_certificate(w.der["intermediate"])


@pytest.mark.parametrize("null", [False, True], ids=["absent", "NULL"])
def test_pkits_4_1_5_counterpart_inherited_parameters_validate(null):
    w = dsa_world(null=null)
    result = _validate(w, w.ee)
    assert result.ok, result.message
    assert result.message == f"{EE} validated to trust anchor CN=DSA-Root,O=example,C=us"
    assert [c.subject.rfc4514_string() for c in result.path] == [
        EE, CA, "CN=DSA-Root,O=example,C=us"]
    # 6.1.6: the leaf's working public key, with the root's parameters.
    assert result.public_key.parameters().parameter_numbers() == \
        w.keys["root"].parameters().parameter_numbers()
    assert result.public_key.public_numbers() == w.keys["ee"].public_key().public_numbers()


def test_pkits_4_1_6_counterpart_a_bad_signature_under_an_inherited_key_is_invalid():
    w = dsa_world()
    result = _validate(w, w.forged_ee)
    assert result.reason is ValidationFailure.SIGNATURE_INVALID
    assert result.message == f"signature of {EE} does not verify with the key of {CA}"


def test_the_intermediate_crl_is_verified_with_the_inherited_key_and_revokes():
    w = dsa_world()
    revoked = crl_of(w.intermediate, w.keys["intermediate"], number=2,
                     this_update=CRL_TIME,
                     revoked=[Revocation(serial=w.ee.serial_number, date=CRL_TIME)])
    result = _validate(w, w.ee, crls=[revoked, w.root_crl])
    assert result.reason is ValidationFailure.REVOKED
    assert result.message == (f"{EE}: certificate serial 3 was revoked on "
                              f"{CRL_TIME:%Y-%m-%d %H:%M} UTC")


def test_a_crl_from_the_inherited_ca_signed_by_another_key_is_refused():
    w = dsa_world()
    forged = crl_of(w.intermediate, w.keys["ee"])  # same parameters, wrong key
    result = _validate(w, w.ee, crls=[forged, w.root_crl])
    assert result.reason is ValidationFailure.CRL_SIGNATURE_INVALID


def test_no_dsa_issuer_to_inherit_from_is_a_clear_verdict():
    ee, ca = orphan_dsa_chain()
    result = defect_scenario(ee, ca).validate()
    assert result.reason is ValidationFailure.UNSUPPORTED_ALGORITHM
    assert result.failed_certificate == ca
    assert result.message == (
        "CN=Orphan-DSA-CA,O=example,C=us: its DSA key has no parameters and its issuer's key "
        "is not a DSA key to inherit them from (RFC 5280 6.1.4 (f))")


def test_a_trust_anchor_cannot_inherit_parameters():
    w = dsa_world()
    result = pki.validate_path(w.ee, trust_anchors=[w.intermediate], at=AT,
                               check_revocation=False)
    assert result.reason is ValidationFailure.UNSUPPORTED_ALGORITHM
    assert result.message.startswith(f"{CA}: its DSA key has no parameters")


@pytest.mark.parametrize("null", [False, True], ids=["absent", "NULL"])
def test_loading_keeps_the_bytes_the_issuer_signed(null):
    w = dsa_world(null=null)
    original = w.der["intermediate"]
    pem = (b"-----BEGIN CERTIFICATE-----\n" + __import__("base64").encodebytes(original)
           + b"-----END CERTIFICATE-----\n")
    for data in (original, pem, w.root.public_bytes(PEM) + pem):
        cert = load_certificates(data, source="ca.pem")[-1]
        assert cert == w.intermediate
        assert original_der(cert) == original
        assert signed_tbs(cert) == der.read_one(original).children()[0].encoding
    assert load_certificate(w.der["ee"], source="ee.der") == w.ee
