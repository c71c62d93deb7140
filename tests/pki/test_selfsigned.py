"""Self-signed local certificates: generate-self-signed and the system-generated one."""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID, SignatureAlgorithmOID

from pki.csr import Digest, RequestParams
from pki.keys import KeySpec, KeyType, generate_key_pair
from pki.names import render_fields, render_oneline, render_subject_string
from pki.selfsigned import (
    VALIDITY,
    generate_self_signed,
    generate_system_certificate,
    serial_number,
    system_generated_name,
)
from pki.signing import signature_is_valid
from tests.openssl import needs_openssl

# show security pki local-certificate system-generated: Not before: 10-30-2009 23:02.
SAMPLE_START = dt.datetime(2009, 10, 30, 23, 2, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def rsa_key():
    return generate_key_pair(KeySpec(type=KeyType.RSA, size=1024), seed="selfsigned")


@pytest.fixture(scope="module")
def ec_key():
    return generate_key_pair(KeySpec(type=KeyType.ECDSA, size=256), seed="selfsigned")


@pytest.fixture(scope="module")
def system_cert(rsa_key):
    return generate_system_certificate(rsa_key, device_serial="JN10B9390AGB",
                                       now=SAMPLE_START, serial=random.Random(7))


def self_cert(**changes) -> RequestParams:
    """Chapter 13: certificate-id self-cert subject CN=abc domain-name example.net
    ip-address 1.2.3.4 email mholmes@example.net."""
    options = dict(certificate_id="self-cert", subject="CN=abc", domain_name="example.net",
                   ip_address="1.2.3.4", email="mholmes@example.net")
    return RequestParams(**(options | changes))


# --- the system-generated certificate ---------------------------------------------------------

def test_system_generated_validity_matches_the_guide(system_cert):
    """Not before: 10-30-2009 23:02, Not after: 10-29-2014 23:02."""
    assert system_cert.not_valid_before_utc == SAMPLE_START
    assert system_cert.not_valid_after_utc == dt.datetime(2014, 10, 29, 23, 2, tzinfo=dt.UTC)


def test_system_generated_names_match_the_guide(system_cert):
    assert system_cert.issuer == system_cert.subject
    assert render_oneline(system_cert.issuer) == (
        "CN = JN10B9390AGB, CN = system generated, CN = self-signed")
    assert render_subject_string(system_cert.subject) == (
        "CN=JN10B9390AGB, CN=system generated, CN=self-signed")
    assert render_fields(system_cert.subject) == (
        "Common name: JN10B9390AGB, Common name: system generated, Common name: self-signed")


def test_system_generated_signature_and_contents(system_cert, rsa_key):
    assert system_cert.version is x509.Version.v3
    assert system_cert.signature_algorithm_oid == SignatureAlgorithmOID.RSA_WITH_SHA1
    assert signature_is_valid(system_cert, rsa_key.public_key())
    assert len(system_cert.extensions) == 0


def test_system_generated_serial_comes_from_the_caller(rsa_key, system_cert):
    again = generate_system_certificate(rsa_key, device_serial="JN10B9390AGB",
                                        now=SAMPLE_START, serial=random.Random(7))
    assert again.serial_number == system_cert.serial_number
    assert again.public_bytes(serialization.Encoding.DER) == system_cert.public_bytes(
        serialization.Encoding.DER)
    other = generate_system_certificate(rsa_key, device_serial="JN10B9390AGB",
                                        now=SAMPLE_START, serial=random.Random(8))
    assert other.serial_number != system_cert.serial_number
    assert 0 < system_cert.serial_number < 2**128


def test_system_generated_name_needs_a_serial():
    with pytest.raises(ValueError, match="device serial"):
        system_generated_name("")


# --- generate-self-signed ---------------------------------------------------------------------

def test_valid_five_years_from_now(rsa_key):
    now = dt.datetime(2012, 2, 29, 12, 0, 30, 999, tzinfo=dt.UTC)
    cert = generate_self_signed(rsa_key, self_cert(), now=now, serial=1)
    assert VALIDITY == dt.timedelta(days=1825)
    assert cert.not_valid_before_utc == now.replace(microsecond=0)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == dt.timedelta(days=1825)


def test_now_in_another_time_zone(ec_key):
    now = dt.datetime(2012, 5, 3, 0, 15, tzinfo=dt.timezone(dt.timedelta(hours=-7)))
    cert = generate_self_signed(ec_key, self_cert(), now=now, serial=1)
    assert cert.not_valid_before_utc == dt.datetime(2012, 5, 3, 7, 15, tzinfo=dt.UTC)


def test_subject_and_alternative_names(rsa_key):
    cert = generate_self_signed(rsa_key, self_cert(), now=SAMPLE_START, serial=5)
    assert cert.subject == cert.issuer
    assert render_oneline(cert.subject) == "CN = abc"
    san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert list(san) == [
        x509.RFC822Name("mholmes@example.net"),
        x509.DNSName("example.net"),
        x509.IPAddress(ipaddress.ip_address("1.2.3.4")),
    ]
    assert cert.serial_number == 5


def test_default_and_sha256_digests(rsa_key, ec_key):
    sha1 = generate_self_signed(rsa_key, self_cert(), now=SAMPLE_START, serial=1)
    sha256 = generate_self_signed(rsa_key, self_cert(digest=Digest.SHA256), now=SAMPLE_START,
                                  serial=1)
    ecdsa = generate_self_signed(ec_key, self_cert(), now=SAMPLE_START, serial=1)
    assert sha1.signature_algorithm_oid == SignatureAlgorithmOID.RSA_WITH_SHA1
    assert sha256.signature_algorithm_oid == SignatureAlgorithmOID.RSA_WITH_SHA256
    assert ecdsa.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA256
    for cert in (sha1, sha256):
        assert signature_is_valid(cert, rsa_key.public_key())
    sha256.verify_directly_issued_by(sha256)  # cryptography's own check, SHA-256 only
    ecdsa.verify_directly_issued_by(ecdsa)


def test_add_ca_constraint(ec_key):
    cert = generate_self_signed(ec_key, self_cert(add_ca_constraint=True), now=SAMPLE_START,
                                serial=1)
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.value.ca and constraints.critical
    plain = generate_self_signed(ec_key, self_cert(), now=SAMPLE_START, serial=1)
    with pytest.raises(x509.ExtensionNotFound):
        plain.extensions.get_extension_for_class(x509.BasicConstraints)


def test_now_must_be_timezone_aware(rsa_key):
    with pytest.raises(ValueError, match="timezone-aware"):
        generate_self_signed(rsa_key, self_cert(), now=dt.datetime(2012, 1, 1), serial=1)
    with pytest.raises(TypeError):
        generate_self_signed(rsa_key, self_cert(), now="2012-01-01", serial=1)  # type: ignore


@pytest.mark.parametrize(("serial", "error"), [
    (0, ValueError), (-5, ValueError), (2**159, ValueError), (True, TypeError), ("1", TypeError),
])
def test_bad_serials(serial, error):
    with pytest.raises(error):
        serial_number(serial)


def test_serial_from_a_random_generator_is_repeatable():
    assert serial_number(random.Random(3)) == serial_number(random.Random(3))
    assert serial_number(2**159 - 1) == 2**159 - 1


# --- OpenSSL reads them -----------------------------------------------------------------------

@needs_openssl
def test_openssl_parses_and_verifies_the_system_certificate(system_cert, tmp_path):
    pem = system_cert.public_bytes(serialization.Encoding.PEM)
    text = subprocess.run(["openssl", "x509", "-noout", "-text"], input=pem,
                          capture_output=True, check=True).stdout.decode()
    assert "Signature Algorithm: sha1WithRSAEncryption" in text
    assert "Issuer: CN = JN10B9390AGB, CN = system generated, CN = self-signed" in text
    assert "Not After : Oct 29 23:02:00 2014 GMT" in text
    path = tmp_path / "system.pem"
    path.write_bytes(pem)
    inside = int(dt.datetime(2012, 1, 1, tzinfo=dt.UTC).timestamp())
    ok = subprocess.run(["openssl", "verify", "-attime", str(inside), "-CAfile", str(path),
                         str(path)], capture_output=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    after = int(dt.datetime(2014, 10, 30, tzinfo=dt.UTC).timestamp())
    expired = subprocess.run(["openssl", "verify", "-attime", str(after), "-CAfile", str(path),
                              str(path)], capture_output=True)
    assert expired.returncode != 0


@needs_openssl
def test_openssl_parses_a_generated_self_signed_certificate(ec_key):
    cert = generate_self_signed(ec_key, self_cert(add_ca_constraint=True), now=SAMPLE_START,
                                serial=random.Random(1))
    text = subprocess.run(["openssl", "x509", "-noout", "-text"],
                          input=cert.public_bytes(serialization.Encoding.PEM),
                          capture_output=True, check=True).stdout.decode()
    assert "email:mholmes@example.net, DNS:example.net, IP Address:1.2.3.4" in text
    assert "CA:TRUE" in text
