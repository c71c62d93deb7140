"""request security pki generate-certificate-request: the PKCS #10 request and what it prints."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtensionOID, NameOID, SignatureAlgorithmOID

from pki.csr import (
    Digest,
    RequestParams,
    build_request,
    colon_hex,
    fingerprint_lines,
    render_generated_request,
    signature_hash,
)
from pki.keys import KeySpec, KeyType, generate_key_pair
from pki.names import SubjectError, parse_subject
from pki.signing import sign, signature_is_valid
from tests.openssl import needs_openssl


@pytest.fixture(scope="module")
def keys():
    return {
        "rsa": generate_key_pair(KeySpec(type=KeyType.RSA, size=1024), seed="csr"),
        "dsa": generate_key_pair(KeySpec(type=KeyType.DSA, size=1024), seed="csr"),
        "p256": generate_key_pair(KeySpec(type=KeyType.ECDSA, size=256), seed="csr"),
        "p384": generate_key_pair(KeySpec(type=KeyType.ECDSA, size=384), seed="csr"),
    }


def ms_cert(**changes) -> RequestParams:
    """The Chapter 11 request: certificate-id ms-cert subject "CN=John Doe,..." email ..."""
    options = dict(certificate_id="ms-cert",
                   subject="CN=John Doe,CN=1.1.1.2,OU=sales,O=Example, L=Sunnyvale,ST=CA,C=US",
                   email="user@example.net")
    return RequestParams(**(options | changes))


def extension(csr: x509.CertificateSigningRequest, oid: x509.ObjectIdentifier) -> x509.Extension:
    return csr.extensions.get_extension_for_oid(oid)


# --- signature hashes (guide, Chapter 1) -----------------------------------------------------

@pytest.mark.parametrize(("key_name", "digest", "algorithm"), [
    ("rsa", None, SignatureAlgorithmOID.RSA_WITH_SHA1),
    ("rsa", Digest.SHA1, SignatureAlgorithmOID.RSA_WITH_SHA1),
    ("rsa", Digest.SHA256, SignatureAlgorithmOID.RSA_WITH_SHA256),
    ("dsa", None, SignatureAlgorithmOID.DSA_WITH_SHA1),
    ("p256", None, SignatureAlgorithmOID.ECDSA_WITH_SHA256),
    ("p256", Digest.SHA256, SignatureAlgorithmOID.ECDSA_WITH_SHA256),
    ("p384", None, SignatureAlgorithmOID.ECDSA_WITH_SHA384),
])
def test_requests_are_signed_as_junos_signs_them(keys, key_name, digest, algorithm):
    csr = build_request(keys[key_name], ms_cert(digest=digest))
    assert csr.signature_algorithm_oid == algorithm
    assert signature_is_valid(csr)


def test_sha256_requests_verify_with_cryptography_too(keys):
    assert build_request(keys["rsa"], ms_cert(digest=Digest.SHA256)).is_signature_valid
    assert build_request(keys["p256"], ms_cert()).is_signature_valid


@pytest.mark.parametrize(("key_name", "digest", "message"), [
    ("dsa", Digest.SHA256, "digest sha256: DSA signatures use SHA-1 only"),
    ("p256", Digest.SHA1, "digest sha1: ECDSA-256 signatures use sha256"),
    ("p384", Digest.SHA256, "digest sha256: ECDSA-384 signatures use sha384"),
])
def test_digests_a_key_cannot_use(keys, key_name, digest, message):
    with pytest.raises(ValueError, match=message):
        signature_hash(keys[key_name], digest)


def test_a_tampered_request_does_not_verify(keys):
    der = bytearray(build_request(keys["rsa"], ms_cert()).public_bytes(
        serialization.Encoding.DER))
    der[-10] ^= 0x01  # inside the signature
    assert not signature_is_valid(x509.load_der_x509_csr(bytes(der)))


def test_requests_are_repeatable(keys):
    for key_name in ("rsa", "p256"):
        first = build_request(keys[key_name], ms_cert())
        again = build_request(keys[key_name], ms_cert())
        assert first.public_bytes(serialization.Encoding.DER) == again.public_bytes(
            serialization.Encoding.DER)


# --- contents --------------------------------------------------------------------------------

def test_subject_is_the_parsed_subject(keys):
    csr = build_request(keys["rsa"], ms_cert())
    assert csr.subject == parse_subject(ms_cert().subject)
    assert [a.value for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)] == [
        "John Doe", "1.1.1.2"]


def test_sn_takes_the_device_serial(keys):
    params = RequestParams(
        certificate_id="qqq", domain_name="qqq.example.net", email="qqq@example.net",
        ip_address="10.10.10.10", device_serial="JN10B9390AGB",
        subject="DC=example, CN=router3, SN, OU=marketing, O=example, L=sunnyvale, "
                "ST=california, C=us",
    )
    csr = build_request(keys["rsa"], params)
    assert csr.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "JN10B9390AGB"


def test_subject_alternative_name_from_email_domain_and_ip(keys):
    params = ms_cert(domain_name="qqq.example.net", ip_address="10.10.10.10")
    san = extension(build_request(keys["p256"], params), ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    assert san.critical  # as in Chapter 16's sample request
    assert list(san.value) == [
        x509.RFC822Name("user@example.net"),
        x509.DNSName("qqq.example.net"),
        x509.IPAddress(ipaddress.ip_address("10.10.10.10")),
    ]


def test_domain_name_only(keys):
    """Chapter 11: certificate-id ca-ipsec domain-name example.net subject CN=abc."""
    params = RequestParams(certificate_id="ca-ipsec", domain_name="example.net", subject="CN=abc")
    csr = build_request(keys["rsa"], params)
    san = extension(csr, ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert list(san) == [x509.DNSName("example.net")]
    # The other extension of Chapter 16's sample request: a critical digitalSignature usage.
    usage = extension(csr, ExtensionOID.KEY_USAGE)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_encipherment
    assert len(csr.extensions) == 2


def test_ipv6_address(keys):
    san = extension(build_request(keys["p256"], ms_cert(ip_address="2001:db8::1")),
                    ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("2001:db8::1")]


def test_add_ca_constraint(keys):
    csr = build_request(keys["p256"], ms_cert(add_ca_constraint=True))
    constraints = extension(csr, ExtensionOID.BASIC_CONSTRAINTS)
    assert constraints.value.ca is True
    assert constraints.value.path_length is None
    assert constraints.critical


def test_no_basic_constraints_without_add_ca_constraint(keys):
    csr = build_request(keys["p256"], ms_cert())
    with pytest.raises(x509.ExtensionNotFound):
        extension(csr, ExtensionOID.BASIC_CONSTRAINTS)


# --- parameters ------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "error", "message"), [
    (dict(email=None), ValueError, "one of domain-name, ip-address or email is required"),
    (dict(ip_address="10.1.1"), ValueError, "ip-address '10.1.1' is not an IP address"),
    (dict(email="user.example.net"), ValueError, "is not an e-mail address"),
    (dict(email="user@"), ValueError, "is not an e-mail address"),
    (dict(domain_name="bad name"), ValueError, "is not a domain name"),
    (dict(certificate_id="two words"), ValueError, "certificate-id 'two words'"),
    (dict(certificate_id=""), ValueError, "certificate-id ''"),
    (dict(digest="sha256"), TypeError, "digest must be a Digest"),
    (dict(subject="CN=a, C=USA"), SubjectError, "country 'USA'"),
    (dict(subject="CN=a, SN"), SubjectError, "'SN' takes the device serial number"),
])
def test_bad_parameters(changes, error, message):
    with pytest.raises(error, match=re.escape(message)):
        ms_cert(**changes)


def test_build_request_wants_params(keys):
    with pytest.raises(TypeError):
        build_request(keys["rsa"], {"subject": "CN=a"})  # type: ignore[arg-type]


# --- what the command prints -----------------------------------------------------------------

# The guide's sample output of generate-certificate-request (Chapter 16).
GUIDE_FINGERPRINT = [
    "Fingerprint:",
    "0d:90:b8:d2:56:74:fc:84:59:62:b9:78:71:9c:e4:9c:54:ba:16:97 (sha1)",
    "1b:08:d4:f7:90:f1:c4:39:08:c9:de:76:00:86:62:b8 (md5)",
]


def shape(line: str) -> str:
    return re.sub(r"[0-9a-f]{2}", "xx", line)


def test_generated_request_output(keys):
    csr = build_request(keys["rsa"], ms_cert())
    der = csr.public_bytes(serialization.Encoding.DER)
    lines = render_generated_request(csr).split("\n")
    assert lines[0] == "Generated certificate request"
    assert lines[1] == "-----BEGIN CERTIFICATE REQUEST-----"
    end = lines.index("-----END CERTIFICATE REQUEST-----")
    assert all(len(line) <= 64 for line in lines[2:end])
    assert x509.load_pem_x509_csr("\n".join(lines[1:end + 1]).encode()) == csr
    assert lines[end + 1:] == [
        "Fingerprint:",
        f"{colon_hex(hashlib.sha1(der).digest())} (sha1)",
        f"{colon_hex(hashlib.md5(der).digest())} (md5)",
    ]
    assert [shape(line) for line in lines[end + 1:]] == [shape(g) for g in GUIDE_FINGERPRINT]


def test_fips_output_has_no_md5():
    assert fingerprint_lines(b"x", md5=False) == [
        "Fingerprint:", f"{colon_hex(hashlib.sha1(b'x').digest())} (sha1)"]


def test_colon_hex():
    assert colon_hex(bytes([0x0D, 0x90, 0x00, 0xFF])) == "0d:90:00:ff"


@needs_openssl
@pytest.mark.parametrize("key_name", ["rsa", "dsa", "p256", "p384"])
def test_openssl_verifies_the_request(keys, key_name):
    csr = build_request(keys[key_name], ms_cert(add_ca_constraint=True,
                                                domain_name="ms.example.net"))
    result = subprocess.run(["openssl", "req", "-verify", "-noout", "-text"],
                            input=csr.public_bytes(serialization.Encoding.PEM),
                            capture_output=True)
    # OpenSSL 3.0 exits 0 even when the check fails, so read what it says.
    assert b"self-signature verify OK" in result.stderr, result.stderr
    text = result.stdout.decode()
    assert "CA:TRUE" in text
    assert "email:user@example.net, DNS:ms.example.net" in text


@needs_openssl
def test_openssl_rejects_a_tampered_request(keys):
    der = bytearray(build_request(keys["rsa"], ms_cert()).public_bytes(
        serialization.Encoding.DER))
    der[-10] ^= 0x01
    pem = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM)
    result = subprocess.run(["openssl", "req", "-verify", "-noout"], input=pem,
                            capture_output=True)
    assert b"verify OK" not in result.stderr
    assert b"verify failure" in result.stderr


# --- SHA-1 signing of certificates and CRLs ---------------------------------------------------

START = dt.datetime(2012, 8, 14, 22, 19, tzinfo=dt.UTC)


def test_sha1_certificate_and_crl(keys):
    key = keys["rsa"]
    name = parse_subject("C=us, O=example, CN=Root-CA")
    cert = sign(
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(0x0712DC31)
        .not_valid_before(START).not_valid_after(START + dt.timedelta(days=1825)),
        key, hashes.SHA1(),
    )
    assert cert.signature_algorithm_oid == SignatureAlgorithmOID.RSA_WITH_SHA1
    assert signature_is_valid(cert, key.public_key())
    crl = sign(
        x509.CertificateRevocationListBuilder().issuer_name(name)
        .last_update(START).next_update(START + dt.timedelta(days=7)),
        key, hashes.SHA1(),
    )
    assert crl.signature_algorithm_oid == SignatureAlgorithmOID.RSA_WITH_SHA1
    assert signature_is_valid(crl, key.public_key())
    other = generate_key_pair(KeySpec(type=KeyType.RSA, size=1024), seed="other")
    assert not signature_is_valid(crl, other.public_key())


def test_sha1_dsa_certificate(keys):
    key = keys["dsa"]
    name = parse_subject("CN=dsa")
    cert = sign(
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(START).not_valid_after(START + dt.timedelta(days=1)),
        key, hashes.SHA1(),
    )
    assert cert.signature_algorithm_oid == SignatureAlgorithmOID.DSA_WITH_SHA1
    assert signature_is_valid(cert, key.public_key())


def test_certificates_need_the_issuer_key(keys):
    name = parse_subject("CN=x")
    cert = sign(
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(keys["p256"].public_key()).serial_number(1)
        .not_valid_before(START).not_valid_after(START + dt.timedelta(days=1)),
        keys["p256"], hashes.SHA256(),
    )
    with pytest.raises(TypeError):
        signature_is_valid(cert)
