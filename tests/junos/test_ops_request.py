"""`request` and `clear` commands: the guide's feedback lines (Chapters 9, 11, 12, 16), the new
state they return, and the CLI's answers to lines that are not commands."""

from __future__ import annotations

import dataclasses
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pki.crl import Revocation, build_crl
from pki.store import CertificateStore
from sim.junos.ops import ParseError, complete, execute
from tests.junos.ops_states import (
    MD5,
    MS_CONFIG,
    SHA1,
    SIGNATURE_LAST,
    SIGNATURE_LINE,
    assert_like,
    at,
    chapter14_hierarchy,
    chapter14_state,
    ms_certificates,
    state,
)

PEM = serialization.Encoding.PEM


@pytest.fixture(scope="module")
def ch14():
    return chapter14_hierarchy()


def empty(config: str = "") -> object:
    return state("host", config=config, store=CertificateStore(), now=at("11-20-2012 12:00"))


def files(mapping: dict[str, bytes]):
    def read(path: str) -> bytes:
        if path not in mapping:
            from pki.loaders import LoadError
            raise LoadError(path, "no such file")
        return mapping[path]
    return read


# -- key pairs, requests, self-signed certificates ---------------------------------------------


def test_ch16_generate_key_pair():
    out = execute(empty(), "request security pki generate-key-pair type rsa size 1024 "
                           "certificate-id test")
    assert out.output == "Generated key pair test, key size 1024 bits"
    assert out.state.store.key_pairs["test"].key_size == 1024
    again = execute(out.state, "request security pki generate-key-pair certificate-id test")
    assert again.error and again.output == "error: Key pair test already exists"


def test_ch11_certificate_request_and_its_detail():
    device = execute(empty(), "request security pki generate-key-pair certificate-id "
                              "ca-ipsec").state
    out = execute(device, "request security pki generate-certificate-request certificate-id "
                          "ca-ipsec domain-name example.net subject CN=abc")
    lines = out.output.splitlines()
    assert lines[:2] == ["Generated certificate request", "-----BEGIN CERTIFICATE REQUEST-----"]
    assert lines[-4:-2] == ["-----END CERTIFICATE REQUEST-----", "Fingerprint:"]
    shown = execute(out.state, "show security pki certificate-request detail").output
    # Chapter 10's sample of this request is an older release's layout ("Certificate version:
    # 1", "Issued to: CN = abc", the key dump); ikesim prints Chapter 16's (12.1X46).
    assert_like(shown, [
        "Certificate identifier: ca-ipsec",
        "Certificate version: 3",
        "Subject:",
        "Common name: abc",
        "Alternate subject: example.net",
        "Public key algorithm: rsaEncryption(1024 bits)",
        "Public key verification status: Passed",
        *[SIGNATURE_LINE] * 5, SIGNATURE_LAST,
        "Fingerprint:", SHA1, MD5,
        "Use for key: Digital signature",
    ])
    # The fingerprints shown are those generate-certificate-request printed.
    assert shown.split()[-9:-5] == " ".join(lines[-2:]).split()


def test_certificate_request_to_a_file():
    device = execute(empty(), "request security pki generate-key-pair certificate-id ms-cert "
                              "size 1024").state
    out = execute(device, 'request security pki generate-certificate-request certificate-id '
                          'ms-cert subject "CN=John Doe,CN=1.1.1.2,OU=sales,O=Example, '
                          'L=Sunnyvale,ST=CA,C=US" email user@example.net filename ms-cert-req')
    assert [w.path for w in out.writes] == ["ms-cert-req"]
    csr = x509.load_pem_x509_csr(out.writes[0].data)
    assert csr.subject.rfc4514_string().startswith("C=US,ST=CA,L=Sunnyvale")


def test_ch16_generate_self_signed():
    device = execute(empty(), "request security pki generate-key-pair certificate-id "
                              "self-cert").state
    out = execute(device, "request security pki local-certificate generate-self-signed "
                          "certificate-id self-cert subject cn=abc domain-name example.net "
                          "email mholmes@example.net")
    assert out.output == "Self-signed certificate generated and loaded successfully"
    shown = execute(out.state, "show security pki local-certificate certificate-id self-cert")
    assert shown.output.splitlines()[1] == "  Issued to: abc, Issued by: CN = abc"
    assert "  Not before: 11-20-2012 12:00" in "\n".join(shown.output.splitlines())


def test_self_signed_needs_its_key_pair():
    out = execute(empty(), "request security pki local-certificate generate-self-signed "
                           "certificate-id x subject cn=abc domain-name example.net")
    assert out.output == "error: Key pair x does not exist"


# -- loading -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ms():
    return ms_certificates()


def test_ch11_load_local_certificate(ms):
    ca, ca_key, cert, key = ms
    device = dataclasses.replace(empty(MS_CONFIG),
                                 store=CertificateStore().add_key_pair("ms-cert", key))
    read = files({"certnew.cer": cert.public_bytes(PEM)})
    out = execute(device, "request security pki local-certificate load certificate-id ms-cert "
                          "filename certnew.cer", read=read)
    assert out.output == "Local certificate loaded successfully"
    assert out.state.store.local_certificates["ms-cert"] == cert


def test_ch16_load_local_certificate_with_its_key(ms):
    _, _, cert, key = ms
    key_pem = key.private_bytes(PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    read = files({"cert_name.crt": cert.public_bytes(PEM), "key_name.key": key_pem})
    out = execute(empty(), "request security pki local-certificate load filename cert_name.crt "
                           "key key_name.key certificate-id test", read=read)
    assert out.output == "Local certificate cert_name.crt loaded successfully"


def test_local_certificate_must_match_its_key(ms):
    ca, ca_key, cert, _ = ms
    device = dataclasses.replace(empty(), store=CertificateStore().add_key_pair("x", ca_key))
    out = execute(device, "request security pki local-certificate load certificate-id x "
                          "filename c.pem", read=files({"c.pem": cert.public_bytes(PEM)}))
    assert out.error and "does not match the private key" in out.output


def test_ch16_load_ca_certificate_asks_first(ms):
    ca = ms[0]
    device = empty("set security pki ca-profile 2Kkey ca-identity 2Kkey\n")
    line = "request security pki ca-certificate load ca-profile 2Kkey filename /var/tmp/2Kkey.pem"
    read = files({"/var/tmp/2Kkey.pem": ca.public_bytes(PEM)})
    asked = execute(device, line, read=read)
    assert asked.question == "Do you want to load this CA certificate ? [yes,no] (no) "
    assert asked.state is device
    out = execute(device, line, read=read, answer="yes")
    lines = out.output.splitlines()
    assert lines[0] == "Fingerprint:"
    assert SHA1.fullmatch(lines[1].strip()) and MD5.fullmatch(lines[2].strip())
    assert lines[3:] == ["Do you want to load this CA certificate ? [yes,no] (no) yes", "",
                         "CA certificate for profile 2Kkey loaded successfully"]
    assert out.state.store.ca_certificates["2Kkey"] == ca
    declined = execute(device, line, read=read, answer="no")
    assert "2Kkey" not in declined.state.store.ca_certificates
    assert declined.output.splitlines()[-1].endswith("(no) no")


def test_ch16_crl_load_and_the_second_load_refused(ms):
    ca, ca_key, _, _ = ms
    crl = build_crl(issuer=ca, issuer_key=ca_key, revoked=[], this_update=at("10-30-2007 20:32"),
                    next_update=at("11- 7-2007 08:52"), number=1)
    device = dataclasses.replace(empty("set security pki ca-profile ca-test ca-identity x\n"),
                                 store=CertificateStore().add_ca_certificate("ca-test", ca))
    read = files({"example-inter-ca.crl": crl.public_bytes(PEM)})
    line = "request security pki crl load ca-profile ca-test filename example-inter-ca.crl"
    out = execute(device, line, read=read)
    assert out.output == "CRL for CA profile ca-test loaded successfully"
    again = execute(out.state, line, read=read)
    assert again.output == ("error: CRL for CA profile ca-test is already loaded; run "
                            "'clear security pki crl ca-profile ca-test' first")


def test_crl_of_another_ca_is_refused(ms, ch14):
    ca = ms[0]
    other = build_crl(issuer=ch14.certificate("Sales-CA"), issuer_key=ch14.key("Sales-CA"),
                      revoked=[], this_update=at("09-14-2012 21:15"),
                      next_update=at("09-26-2012 11:02"), number=1)
    device = dataclasses.replace(empty(MS_CONFIG),
                                 store=CertificateStore().add_ca_certificate("ms-ca", ca))
    out = execute(device, "request security pki crl load ca-profile ms-ca filename x.crl",
                  read=files({"x.crl": other.public_bytes(PEM)}))
    assert out.error and "not signed by the CA of profile ms-ca" in out.output


# -- verification ------------------------------------------------------------------------------


def test_ch14_verify_ca_and_local_certificates(ch14):
    device = chapter14_state(ch14)
    for profile in ("Root-CA", "Eng-CA", "Dev-CA"):
        out = execute(device, f"request security pki ca-certificate verify ca-profile {profile}")
        assert out.output == f"CA certificate {profile} verified successfully"
    out = execute(device, "request security pki local-certificate verify certificate-id Host-A")
    assert out.output == "Local certificate Host-A verification success"


def test_verify_without_the_crl_is_in_progress(ch14):
    device = execute(chapter14_state(ch14), "clear security pki crl ca-profile Dev-CA").state
    out = execute(device, "request security pki local-certificate verify certificate-id Host-A")
    assert out.output.splitlines() == [
        "Local certificate Host-A: CRL verification in progress. Please check the PKId debug",
        "logs for completion status"]
    device = execute(device, "clear security pki crl ca-profile Root-CA").state
    out = execute(device, "request security pki ca-certificate verify ca-profile Eng-CA")
    assert out.output.splitlines() == [
        "CA certificate Eng-CA: CRL verification in progress. Please check the PKId debug",
        "logs for completion status"]


def test_verify_a_revoked_local_certificate_fails(ch14):
    device = execute(chapter14_state(ch14), "clear security pki crl ca-profile Dev-CA").state
    revoked = build_crl(issuer=ch14.certificate("Dev-CA"), issuer_key=ch14.key("Dev-CA"),
                        revoked=[Revocation(serial=ch14.certificate("Host-A").serial_number,
                                            date=at("09-18-2012 10:00"))],
                        this_update=at("09-18-2012 10:00"), next_update=at("09-26-2012 11:02"),
                        number=2)
    device = dataclasses.replace(device, store=device.store.add_crl("Dev-CA", revoked))
    out = execute(device, "request security pki local-certificate verify certificate-id Host-A")
    assert out.error and out.output.startswith("Local certificate Host-A verification failed")
    assert "revoked" in out.output


def test_ch16_verify_integrity_and_export(ch14):
    device = chapter14_state(ch14)
    out = execute(device, "request security pki verify-integrity-status")
    assert out.output == "All PKI objects: verification success"
    out = execute(device, "request security pki local-certificate export filename "
                          "/var/tmp/my-cert.pem certificate-id Host-A type pem")
    assert out.output == "certificate exported successfully"
    assert x509.load_pem_x509_certificate(out.writes[0].data) == ch14.certificate("Host-A")
    der = execute(device, "request security pki local-certificate export certificate-id Host-A "
                          "filename c.der type der").writes[0].data
    assert x509.load_der_x509_certificate(der) == ch14.certificate("Host-A")


# -- clear -------------------------------------------------------------------------------------


def test_ch16_clear_key_pair_all_prints_nothing(ch14):
    device = execute(chapter14_state(ch14), "request security pki generate-key-pair "
                                            "certificate-id spare type ecdsa").state
    out = execute(device, "clear security pki key-pair all")
    assert out.output == ""
    # A key pair under a local certificate stays: it goes with the certificate.
    assert set(out.state.store.key_pairs) == {"Host-A"}


def test_ch16_clear_local_certificates(ch14):
    device = execute(chapter14_state(ch14),
                     "clear security pki local-certificate system-generated").state
    first = device.store.local_certificates["system-generated"]
    out = execute(device, "clear security pki local-certificate all")
    assert out.output == ""
    assert set(out.state.store.local_certificates) == {"system-generated"}
    again = execute(out.state, "clear security pki local-certificate system-generated").state
    second = again.store.local_certificates["system-generated"]
    assert second.serial_number != first.serial_number
    assert second.subject.rfc4514_string() == \
        "CN=self-signed,CN=system generated,CN=JN10B9390AGB"


def test_clear_crl_and_dynamic_ca_certificate(ch14):
    device = chapter14_state(ch14)
    out = execute(device, "clear security pki crl ca-profile Eng-CA")
    assert out.output == "CRL for CA profile Eng-CA cleared"
    assert "CA profile: Eng-CA" not in execute(out.state, "show security pki crl").output
    line = "clear security pki ca-certificate ca-profile dynamic-001"
    assert execute(device, line).question.startswith("Do you want to delete")
    gone = execute(device, line, answer="yes").state
    assert "dynamic-001" not in gone.dynamic_profiles
    assert "dynamic-001" not in gone.store.crls
    kept = execute(device, line, answer="no").state
    assert kept.store == device.store


# -- lines that are not commands ---------------------------------------------------------------


@pytest.mark.parametrize("line,answer", [
    ("show security pki frobnicate", "syntax error, expecting <command>."),
    ("request security pki", "syntax error, expecting <command>."),
    ("show security pki c", "'c' is ambiguous."),
    ("show security pki crl ca-profile", "syntax error, expecting <ca-profile-name>."),
    ("request security pki generate-key-pair size 1024",
     "error: missing mandatory argument: certificate-id"),
    ("request security pki generate-key-pair certificate-id k size 1000",
     "syntax error, expecting 256 | 384 | 512 | 1024 | 2048 | 4096."),
    ("show security pki crl brief detail", "error: brief and detail cannot be used together"),
    ("clear security pki key-pair", "syntax error, expecting <command>."),
])
def test_syntax_errors(line, answer):
    with pytest.raises(ParseError) as caught:
        execute(empty(), line)
    assert str(caught.value) == answer


def test_abbreviations_and_completions(ch14):
    device = chapter14_state(ch14)
    assert execute(device, "sh sec pki crl ca-p Root-CA").output.startswith("CA profile: Root-CA")
    assert complete("show security pki ?") == """\
Possible completions:
  ca-certificate       Show certificate authority certificate information
  certificate-request  Show certificate request information
  crl                  Show certificate revocation list information
  local-certificate    Show local certificate information"""
    listed = complete("show security pki crl ca-profile ?", device).splitlines()
    assert [line.split()[0] for line in listed[2:]] == ["Root-CA", "Eng-CA", "Dev-CA",
                                                       "dynamic-001"]
    assert re.fullmatch(r"  <\[Enter\]> +Execute this command",
                        complete("show security pki crl ?").splitlines()[1])
    assert complete("show security pki crl d?").splitlines()[1:] == [
        "  detail               Display detailed output"]


def test_a_sha1_crl_loads_and_verifies_as_junos_signs_them(ms):
    """SHA-1 is Junos's default signature hash; cryptography's own CRL check refuses it."""
    ca, ca_key, _, _ = ms
    crl = build_crl(issuer=ca, issuer_key=ca_key, revoked=[], this_update=at("10-30-2007 20:32"),
                    next_update=at("11- 7-2007 08:52"), number=1, digest="sha1")
    device = dataclasses.replace(empty("set security pki ca-profile ca-test ca-identity x\n"),
                                 store=CertificateStore().add_ca_certificate("ca-test", ca))
    out = execute(device, "request security pki crl load ca-profile ca-test filename s.crl",
                  read=files({"s.crl": crl.public_bytes(PEM)}))
    assert out.output == "CRL for CA profile ca-test loaded successfully"
    verified = execute(out.state, "request security pki verify-integrity-status")
    assert verified.output == "All PKI objects: verification success"


def test_show_names_a_ca_key_pkid_cannot_use_instead_of_failing(ms):
    """An Ed25519 CA certificate loaded by hand: `show` names its algorithm's OID."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from pki.certs import CertificateTemplate, issue
    from pki.names import parse_subject

    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(32))
    cert = issue(CertificateTemplate(
        subject=parse_subject("CN=Edwards-CA, O=example"), public_key=key.public_key(),
        serial=7, not_before=at("09-25-2007 20:32"), not_after=at("09-25-2012 20:41"), ca=True),
        issuer_key=ms[1], issuer=ms[0])
    device = dataclasses.replace(empty("set security pki ca-profile ed ca-identity ed\n"),
                                 store=CertificateStore().add_ca_certificate("ed", cert))
    out = execute(device, "show security pki ca-certificate ca-profile ed detail")
    assert "  Public key algorithm: unsupported(1.3.101.112)" in out.output.splitlines()
    brief = execute(device, "show security pki ca-certificate ca-profile ed")
    assert "  Public key algorithm: unsupported(1.3.101.112)" in brief.output.splitlines()


def test_a_newline_in_a_certificate_cannot_forge_a_line_of_show_output(ms):
    """Names, subjectAltNames and CRL distribution points are anyone's text: each value is
    escaped as the logs escape it, so `show` prints exactly the lines it means to."""
    from pki.certs import CertificateTemplate, issue
    from pki.keys import KeySpec, KeyType, generate_key_pair

    key = generate_key_pair(KeySpec(type=KeyType.ECDSA, size=256), seed="forger")
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Evil\nforged line"),
                         x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, "x")])
    cert = issue(CertificateTemplate(
        subject=subject, public_key=key.public_key(), serial=9, ca=True,
        not_before=at("09-25-2007 20:32"), not_after=at("09-25-2012 20:41"),
        crl_urls=("http://10.0.0.1/a.crl\nforged line",),
        subject_alt_names=(x509.DNSName("evil.example\nforged line"),)),
        issuer_key=ms[1], issuer=ms[0])
    device = dataclasses.replace(empty("set security pki ca-profile evil ca-identity evil\n"),
                                 store=CertificateStore().add_ca_certificate("evil", cert))
    for command in ("show security pki ca-certificate ca-profile evil",
                    "show security pki ca-certificate ca-profile evil detail"):
        lines = execute(device, command).output.splitlines()
        assert not [line for line in lines if line.startswith("forged")], lines
        assert any("Evil forged line" in line for line in lines), lines
