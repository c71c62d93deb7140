import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from pki.loaders import (
    CRL_MAX_BYTES,
    LoadError,
    check_key_matches,
    load_certificate,
    load_certificates,
    load_crl,
    load_private_key,
    read_bytes,
)

PEM, DER = serialization.Encoding.PEM, serialization.Encoding.DER


def test_pem_and_der_give_the_same_certificate(figure4):
    cert = figure4.certificate("Host-A")
    assert load_certificate(cert.public_bytes(PEM), source="a.pem") == cert
    assert load_certificate(cert.public_bytes(DER), source="a.der") == cert


def test_pem_bundle_and_pkcs7_bundle(figure4):
    chain = figure4.chain("Host-A")
    bundle = b"".join(c.public_bytes(PEM) for c in chain)
    assert load_certificates(bundle, source="chain.pem") == chain
    # PKCS#7 keeps certificates in a SET: order is not preserved.
    p7 = pkcs7.serialize_certificates(chain[1:], DER)
    assert set(load_certificates(p7, source="cas.p7b")) == set(chain[1:])
    p7pem = pkcs7.serialize_certificates(chain[1:], PEM)
    assert set(load_certificates(p7pem, source="cas.p7b")) == set(chain[1:])


def test_pkcs7_over_7kb_is_refused(figure4):
    certs = [figure4.certificate(n) for n in figure4.cas()] * 6
    p7 = pkcs7.serialize_certificates(certs, DER)
    assert len(p7) > 7 * 1024
    with pytest.raises(LoadError) as err:
        load_certificates(p7, source="big.p7b")
    assert str(err.value) == (f"big.p7b: PKCS#7 file is {len(p7)} bytes; "
                              "the maximum is 7 KB (7168 bytes)")


def test_crl_over_5mb_is_refused(figure4, start):
    crl = figure4.crl("Root-CA", at=start).public_bytes(DER)
    padded = crl + b"\0" * (CRL_MAX_BYTES + 1 - len(crl))
    with pytest.raises(LoadError, match=r"^huge\.crl: CRL file is 5242881 bytes; the maximum is"):
        load_crl(padded, source="huge.crl")
    assert load_crl(crl, source="ok.crl").issuer == figure4.certificate("Root-CA").subject


def _pem_crl_of(payload: bytes) -> bytes:
    body = base64.b64encode(payload)
    lines = b"\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return b"-----BEGIN X509 CRL-----\n" + lines + b"\n-----END X509 CRL-----\n"


def test_the_5mb_limit_holds_a_pem_crl_by_its_decoded_size():
    # A 5 MB CRL kept as PEM is a 6.8 MB file: a store that writes PEM must read it back.
    at_limit = _pem_crl_of(b"\x30" * CRL_MAX_BYTES)
    assert len(at_limit) > CRL_MAX_BYTES
    with pytest.raises(LoadError, match=r"^at\.crl: not a valid CRL"):
        load_crl(at_limit, source="at.crl")
    with pytest.raises(LoadError) as err:
        load_crl(_pem_crl_of(b"\x30" * (CRL_MAX_BYTES + 1)), source="over.crl")
    assert str(err.value) == ("over.crl: CRL is 5242881 bytes once decoded; the maximum is "
                              "5 MB (5242880 bytes)")


def test_a_pem_file_holding_two_crls_is_refused_not_read_in_part(figure4, start):
    pem = serialization.Encoding.PEM
    both = (figure4.crl("Root-CA", at=start).public_bytes(pem)
            + figure4.crl("Sales-CA", at=start).public_bytes(pem))
    with pytest.raises(LoadError) as err:
        load_crl(both, source="two.crl")
    assert str(err.value) == "two.crl: holds 2 CRLs; expected one (one file per CRL)"


@pytest.mark.parametrize(
    ("loader", "data", "message"),
    [
        (load_certificate, b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
         "x: not a valid certificate"),
        (load_certificate, b"\x30\x03\x02\x01\x01", "x: not a valid certificate"),
        (load_crl, b"garbage", "x: not a valid CRL"),
        (load_private_key, b"-----BEGIN PRIVATE KEY-----\nZm9v\n-----END PRIVATE KEY-----\n",
         "x: not a valid unencrypted private key"),
    ],
    ids=["bad-pem-cert", "bad-der-cert", "bad-crl", "bad-key"],
)
def test_malformed_input_is_one_line_naming_the_file(loader, data, message):
    with pytest.raises(LoadError) as err:
        loader(data, source="x")
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_a_certificate_file_with_two_certificates_is_not_one(figure4):
    two = b"".join(c.public_bytes(PEM) for c in figure4.chain("Host-B")[:2])
    with pytest.raises(LoadError, match="holds 2 certificates; expected one"):
        load_certificate(two, source="two.pem")


def test_wrong_key_for_a_local_certificate(figure4):
    with pytest.raises(LoadError) as err:
        check_key_matches(figure4.certificate("Host-A"), figure4.key("Host-B"),
                          source="host-a.pem", certificate_id="Host-A")
    assert str(err.value) == ("host-a.pem: certificate does not match the private key of "
                              "certificate-id Host-A")
    check_key_matches(figure4.certificate("Host-A"), figure4.key("Host-A"),
                      source="host-a.pem", certificate_id="Host-A")


def test_missing_file(tmp_path):
    with pytest.raises(LoadError, match="nope.pem: no such file"):
        read_bytes(tmp_path / "nope.pem")
