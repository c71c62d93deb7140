"""Golden tests: `show security pki ...` against the guide's sample outputs (Chapters 11, 14,
16), on certificates and CRLs made with the samples' names, dates, serials and subjects.

Lines are held as the guide prints them, wrapped at 80 columns (sim.junos.ops_wrap), with their
indentation where the sample keeps it (Chapter 16's RootCA and hello, Chapter 14's CRLs); key
bytes and fingerprints are compared by shape. Chapter 11's certificate samples come from an
older release (no "Subject string", another wrapping): their fields are compared joined."""

from __future__ import annotations

import dataclasses
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pki.crl import build_crl
from pki.csr import RequestParams, build_request
from pki.keys import generate_key_pair
from pki.store import CertificateStore
from sim.junos.ops import execute
from tests.junos.ops_states import (
    CH14_CONFIG,
    HEX_LINE,
    MD5,
    MS_CONFIG,
    MYCERT_HTTP,
    MYCERT_LDAP,
    RSA1024,
    SHA1,
    SIGNATURE_LAST,
    SIGNATURE_LINE,
    assert_exact,
    assert_like,
    at,
    ca2_crl,
    chapter14_hierarchy,
    chapter14_state,
    hello_store,
    indented,
    ms_certificates,
    mycert_store,
    rootca_certificate,
    state,
)


@pytest.fixture(scope="module")
def ch14():
    return chapter14_hierarchy()


def run(device, line: str) -> str:
    outcome = execute(device, line)
    assert not outcome.error, outcome.output
    return outcome.output


# -- Chapter 14 --------------------------------------------------------------------------------


@pytest.mark.parametrize("profile,issuer,before", [
    ("Root-CA", "Root-CA", "08-14-2012 22:19"),
    ("Eng-CA", "Root-CA", "08-15-2012 01:02"),
    ("Dev-CA", "Eng-CA", "08-15-2012 17:41"),
])
def test_ch14_ca_certificate(ch14, profile, issuer, before):
    got = run(chapter14_state(ch14), f"show security pki ca-certificate ca-profile {profile}")
    assert got.splitlines() == [
        f"Certificate identifier: {profile}",
        f"  Issued to: {profile}, Issued by: C = us, O = example, CN = {issuer}",
        "  Validity:",
        f"    Not before: {before}",
        "    Not after: 08-13-2017 22:19",
        "  Public key algorithm: rsaEncryption(2048 bits)",
    ]


def test_ch14_local_certificate(ch14):
    got = run(chapter14_state(ch14), "show security pki local-certificate")
    # The guide's sample starts at "Issued to:"; every other sample of this command (Chapter
    # 16) has the "Certificate identifier:" line first, and so does ikesim.
    assert got.splitlines()[0] == "Certificate identifier: Host-A"
    assert_like("\n".join(got.splitlines()[1:]), [
        "Issued to: Host-A, Issued by: C = us, O = example, CN = Dev-CA",
        "Validity:",
        "Not before: 09-17-2012 22:22",
        "Not after: 08-13-2017 22:19",
        "Public key algorithm: rsaEncryption(1024 bits)",
    ])


CH14_CRLS = """\
CA profile: Root-CA
  CRL version: V00000001
  CRL issuer: C = us, O = example, CN = Root-CA
  Effective date: 09- 9-2012 13:08
  Next update: 09-21-2012 02:55

CA profile: Eng-CA
  CRL version: V00000001
  CRL issuer: C = us, O = example, CN = Eng-CA
  Effective date: 08-22-2012 17:46
  Next update: 10-24-2015 03:33

CA profile: Dev-CA
  CRL version: V00000001
  CRL issuer: C = us, O = example, CN = Dev-CA
  Effective date: 09-14-2012 21:15
  Next update: 09-26-2012 11:02

CA profile: dynamic-001
  CRL version: V00000001
  CRL issuer: C = us, O = example, CN = Sales-CA
  Effective date: 09-14-2012 21:15
  Next update: 09-26-2012 11:02"""


def test_ch14_crl_listing_with_the_dynamic_profile_last(ch14):
    # Chapter 14's first sample keeps its indentation: held exactly, blank lines included.
    assert run(chapter14_state(ch14), "show security pki crl") == CH14_CRLS


def test_ch14_crl_dynamic_detail(ch14):
    got = run(chapter14_state(ch14, dynamic_ca="Sub11"),
              "show security pki crl ca-profile dynamic-001 detail")
    assert_like(got, [
        "CA profile: dynamic-001",
        "CRL version: V00000001",
        "CRL issuer: C = us, O = example, CN = Sub11",
        "Effective date: 09-19-2012 17:29",
        "Next update: 09-20-2012 01:49",
        "Revocation List:",
        "Serial number      Revocation date",
        "10647C84           09-19-2012 17:29 UTC",
    ])
    # The columns as the sample has them: serial in 19 columns, two deeper than the fields.
    assert got.splitlines()[-1] == "    10647C84           09-19-2012 17:29 UTC"


# -- Chapter 16 --------------------------------------------------------------------------------


def _rootca_state():
    store = CertificateStore().add_ca_certificate("RootCA", rootca_certificate())
    config = "set security pki ca-profile RootCA ca-identity RootCA\n"
    return state("host", config=config, store=store, now=at("06- 1-2012 00:00"))


def test_ch16_ca_certificate_brief():
    got = run(_rootca_state(), "show security pki ca-certificate ca-profile RootCA brief")
    assert got == """\
Certificate identifier: RootCA
  Issued to: RootCA, Issued by: C = US, O = example, CN = RootCA
  Validity:
    Not before: 05- 3-2012 07:15
    Not after: 05- 2-2017 07:15
  Public key algorithm: rsaEncryption(1024 bits)"""


def test_ch16_ca_certificate_detail():
    got = run(_rootca_state(), "show security pki ca-certificate ca-profile RootCA detail")
    dump = [line for line in got.splitlines() if HEX_LINE.fullmatch(line.strip())]
    # 140 octets of a 1024-bit RSAPublicKey: seven lines of 20, as in the sample.
    assert dump[0].startswith("    30:81:89:02:81:81:00:")
    assert dump[-1].endswith(":02:03:01:00:01")
    assert_exact(got, [
        "Certificate identifier: RootCA",
        "  Certificate version: 3",
        "  Serial number: 0712dc31",
        "  Issuer:",
        "    Organization: example, Country: US, Common name: RootCA",
        "  Subject:",
        "    Organization: example, Country: US, Common name: RootCA",
        "  Subject string:",
        "    C=US, O=example, CN=RootCA",
        "  Validity:",
        "    Not before: 05- 3-2012 07:15",
        "    Not after: 05- 2-2017 07:15",
        "  Public key algorithm: rsaEncryption(1024 bits)",
        *[indented(HEX_LINE, 4)] * 7,
        "  Signature algorithm: sha1WithRSAEncryption",
        "  Use for key: CRL signing, Certificate signing, Key encipherment,",
        "  Digital signature",
        "  Fingerprint:",
        indented(SHA1, 4),
        indented(MD5, 4),
        "  Auto-re-enrollment:",
        "    Status: Disabled",
        "    Next trigger time: Timer not started",
    ])


def _hello_state():
    return state("host", config="", store=hello_store(), now=at("09- 1-2012 00:00"))


def test_ch16_local_certificate_hello():
    got = run(_hello_state(), "show security pki local-certificate certificate-id hello")
    assert got == """\
Certificate identifier: hello
  Issued to: cn1, Issued by: DC = local, DC = demo, CN = device1-ABC-A1-CA
  Validity:
    Not before: 08- 8-2012 17:02
    Not after: 08- 8-2014 17:02
  Public key algorithm: rsaEncryption(1024 bits)"""


def test_ch16_local_certificate_hello_detail():
    got = run(_hello_state(), "show security pki local-certificate certificate-id hello detail")
    assert_exact(got, [
        "Certificate identifier: hello",
        "  Certificate version: 3",
        "  Serial number: 61ba9da000000000d72e",
        "  Issuer:",
        "    Common name: device1-ABC-A1-CA,",
        "    Domain component: local, Domain component: demo",
        "  Subject:",
        "    Organization: o1, Organization: o2,",
        "    Organizational unit: ou1, Organizational unit: ou2, Country: US, State: CA,",
        "    Locality: Sunnyvale, Common name: cn1, Common name: cn2,",
        "    Domain component: dc1, Domain component: dc2",
        "  Subject string:",
        "    C=US, DC=dc1, DC=dc2, ST=CA, L=Sunnyvale, O=o1, O=o2, OU=ou1, OU=ou2, CN=cn1,",
        "    CN=cn2",
        '  Alternate subject: "ernie@example.net", ernie.example.net, 10.1.2.3',
        "  Validity:",
        "    Not before: 08- 8-2012 17:02",
        "    Not after: 08- 8-2014 17:02",
        "  Public key algorithm: rsaEncryption(1024 bits)",
        *[indented(HEX_LINE, 4)] * 7,
        "  Signature algorithm: sha1WithRSAEncryption",
        "  Distribution CRL:",
        # The guide's "Tdap:" is a misprint of ldap; it wraps this URL at no column (one of
        # its lines is 93 long, and Chapter 16's mycert wraps the same URL elsewhere):
        # ikesim prints it whole.
        "    ldap:///CN=device1-ABC-A1-CA,CN=everett-win,CN=CDP,CN=Public%20Key%20Services,"
        "CN=Services,CN=Configuration,DC=demo,DC=local?certificateRevocationList?base?"
        "objectClass=cRLDistributionPoint",
        "    http://everett-win.device1.example.net/CertEnroll/device1-ABC-A1-CA.crl",
        "  Use for key: Key encipherment, Digital signature, 1.3.6.1.5.5.8.2.2,",
        "    1.3.6.1.5.5.8.2.2",
        "  Fingerprint:",
        indented(SHA1, 4),
        indented(MD5, 4),
        # From here the sample loses its indentation: the lines are those of RootCA's.
        "  Auto-re-enrollment:",
        "    Status: Disabled",
        "    Next trigger time: Timer not started",
    ])


def test_ch16_local_certificate_system_generated():
    got = run(_hello_state(), "show security pki local-certificate system-generated")
    # The sample keeps no indentation: the words and the line breaks are held.
    assert_like(got, [
        "Certificate identifier: system-generated",
        "Issued to: JN10B9390AGB, Issued by: CN = JN10B9390AGB, CN = system generated,",
        "CN = self-signed",
        "Validity:",
        "Not before: 10-30-2009 23:02",
        "Not after: 10-29-2014 23:02",
        "Public key algorithm: rsaEncryption(1024 bits)",
    ])


def test_ch16_local_certificate_system_generated_detail():
    got = run(_hello_state(), "show security pki local-certificate system-generated detail")
    assert_like(got, [
        "Certificate identifier: system-generated",
        "Certificate version: 3",
        "Serial number: e90d42ebd14ef954b3e48c2eed5b30fb",
        "Issuer:",
        "Common name: JN10B9390AGB, Common name: system generated, Common name:",
        "self-signed",
        "Subject:",
        "Common name: JN10B9390AGB, Common name: system generated, Common name:",
        "self-signed",
        "Subject string:",
        "CN=JN10B9390AGB, CN=system generated, CN=self-signed",
        "Validity:",
        "Not before: 10-30-2009 23:02",
        "Not after: 10-29-2014 23:02",
        "Public key algorithm: rsaEncryption(1024 bits)",
        *[HEX_LINE] * 7,
        "Signature algorithm: sha1WithRSAEncryption",
        "Fingerprint:", SHA1, MD5,
        "Auto-re-enrollment:",
        "Status: Disabled",
        "Next trigger time: Timer not started",
    ])


def test_ch16_local_certificate_lists_all_with_system_generated():
    got = run(_hello_state(), "show security pki local-certificate")
    assert [line for line in got.splitlines() if line.startswith("Certificate identifier")] \
        == ["Certificate identifier: hello", "Certificate identifier: system-generated"]


def _ca2_state():
    ca, crl = ca2_crl()
    store = CertificateStore().add_ca_certificate("ca2", ca).add_crl("ca2", crl)
    return state("host", config="set security pki ca-profile ca2 ca-identity ca2\n",
                 store=store, now=at("05- 1-2007 00:00"))


@pytest.mark.parametrize("level", ["", " brief"])
def test_ch16_crl_ca2(level):
    got = run(_ca2_state(), f"show security pki crl ca-profile ca2{level}")
    assert_like(got, [
        "CA profile: ca2",
        "CRL version: V00000001",
        "CRL issuer: emailAddress = user@example.net, C = US, ST = ca, L = sunnyvale, O",
        "= Example, OU = SPG QA, CN = 2000-example-net",
        "Effective date: 04-26-2007 18:47",
        "Next update: 05- 4-2007 07:07",
    ])
    # The first line of the wrapped issuer fills exactly 80 columns.
    assert len(got.splitlines()[2]) == 80


def test_ch16_crl_ca2_detail_lists_the_revoked_serials():
    got = run(_ca2_state(), "show security pki crl ca-profile ca2 detail")
    # Chapter 16's older sample prints serials in lower case and dates without "UTC";
    # ikesim follows Chapter 14's (12.1X46) form of the same list.
    assert got.splitlines()[-3:] == [
        "    Serial number      Revocation date",
        "    174E6399000000000506 03-16-2007 23:09 UTC",
        "    174EF3F3000000000507 03-16-2007 23:09 UTC",
    ]


# -- Chapter 11: ms-cert and ms-ca -----------------------------------------------------------


@pytest.fixture(scope="module")
def ms_state():
    ca, ca_key, cert, key = ms_certificates()
    store = (CertificateStore().add_ca_certificate("ms-ca", ca).add_key_pair("ms-cert", key)
             .add_local_certificate("ms-cert", cert))
    return state("host", config=MS_CONFIG, store=store, now=at("12- 1-2007 00:00"))


def _joined(got: str) -> list[str]:
    """`got`'s lines, whitespace collapsed, a line ending in a comma joined to the next (Chapter
    11's samples wrap at other places than the documented release)."""
    lines: list[str] = []
    for line in got.splitlines():
        line = " ".join(line.split())
        if lines and lines[-1].endswith(","):
            lines[-1] = f"{lines[-1]} {line}"
        else:
            lines.append(line)
    return lines


def _subsequence(got: str, expected: list[str | re.Pattern[str]]) -> list[str]:
    """Lines of `got` left over once `expected` is found in order (whitespace collapsed, wrapped
    lists joined)."""
    lines = _joined(got)
    extra, at_line = [], 0
    for want in expected:
        while True:
            assert at_line < len(lines), f"{want!r} not found in order in:\n{got}"
            line = lines[at_line]
            at_line += 1
            hit = want.fullmatch(line) if isinstance(want, re.Pattern) else line == want
            if hit:
                break
            extra.append(line)
    return extra + lines[at_line:]


MS_CRL_POINTS = [
    "Distribution CRL:",
    # The guide prints "Tdap:" and ".cr1" for "ldap:" and ".crl", and wraps the URL.
    "ldap:///CN=TACLAB,CN=TACLABSRV1,CN=CDP,CN=Public%20Key%20Services,CN=Services,"
    "CN=Configuration,DC=tacdomain,DC=com?certificateRevocationList?base?"
    "objectclass=cRLDistributionPoint",
    "http://taclabsrv1.tacdomain.com/CertEnroll/TACLAB.crl",
]


def test_ch11_local_certificate_ms_cert_detail(ms_state):
    got = run(ms_state, "show security pki local-certificate certificate-id ms-cert detail")
    extra = _subsequence(got, [
        "Certificate identifier: ms-cert",
        "Certificate version: 3",
        re.compile(r"Serial number: [0-9a-f]+"),  # the guide's has an odd digit count
        "Issuer:",
        "Organization: Example, Organizational unit: Sales, Country: US, State: CA, "
        "Locality: Sunnyvale, Common name: Sales",
        "Subject:",
        "Organization: Example, Organizational unit: sales, Country: US, State: CA, "
        "Locality: Sunnyvale, Common name: john doe",
        'Alternate subject: "user@example.net", fqdn empty, ip empty',
        "Validity:",
        "Not before: 11- 2-2007 22:54",
        "Not after: 11- 2-2008 23:04",
        "Public key algorithm: rsaEncryption(1024 bits)",
        *[HEX_LINE] * 7,
        "Signature algorithm: sha1WithRSAEncryption",
        *MS_CRL_POINTS,
        "Fingerprint:", SHA1, MD5,
    ])
    # The sample predates "Subject string" (12.1X44-D10) and shows no key usage or
    # auto-re-enrollment; those are the only lines ikesim adds.
    assert [line.split(":")[0] for line in extra] == [
        "Subject string", "CN=john doe, OU=sales, O=Example, L=Sunnyvale, ST=CA, C=US",
        "Use for key", "Auto-re-enrollment", "Status", "Next trigger time"]


def test_ch11_ca_certificate_ms_ca_detail(ms_state):
    got = run(ms_state, "show security pki ca-certificate ca-profile ms-ca detail")
    _subsequence(got, [
        "Certificate identifier: ms-ca",
        "Certificate version: 3",
        "Serial number: 44b033d1e5e158b44597d143bbfa8a13",
        "Issuer:",
        "Organization: Example, Organizational unit: Sales, Country: US, State: CA, "
        "Locality: Sunnyvale, Common name: Sales",
        "Subject:",
        "Organization: Example, Organizational unit: Sales, Country: US, State: CA, "
        "Locality: Sunnyvale, Common name: Sales",
        "Validity:",
        "Not before: 09-25-2007 20:32",
        "Not after: 09-25-2012 20:41",
        "Public key algorithm: rsaEncryption(1024 bits)",
        *[HEX_LINE] * 7,
        "Signature algorithm: sha1WithRSAEncryption",
        *MS_CRL_POINTS,
        "Use for key: CRL signing, Certificate signing, Non repudiation",
        "Fingerprint:", SHA1, MD5,
    ])


def test_show_unknown_objects_answer_with_an_error_line(ch14):
    device = chapter14_state(ch14)
    for line, answer in [
        ("show security pki crl ca-profile Nope", "error: CRL for CA profile Nope does not exist"),
        ("show security pki local-certificate certificate-id x",
         "error: Local certificate x does not exist"),
        ("show security pki ca-certificate ca-profile Nope",
         "error: CA certificate for profile Nope does not exist"),
    ]:
        outcome = execute(device, line)
        assert outcome.error and outcome.output == answer


def test_ca_certificates_list_configured_then_dynamic(ch14):
    got = run(chapter14_state(ch14), "show security pki ca-certificate")
    assert [line for line in got.splitlines() if line.startswith("Certificate identifier")] \
        == [f"Certificate identifier: {p}" for p in ("Root-CA", "Eng-CA", "Dev-CA",
                                                     "dynamic-001")]
    assert CH14_CONFIG  # the configuration order is Root-CA, Eng-CA, Dev-CA


def test_ch11_crl_ms_ca_detail(ms_state):
    ca, ca_key, _, _ = ms_certificates()
    crl = build_crl(issuer=ca, issuer_key=ca_key, revoked=[], this_update=at("10-30-2007 20:32"),
                    next_update=at("11- 7-2007 08:52"), number=1)
    device = dataclasses.replace(ms_state, store=ms_state.store.add_crl("ms-ca", crl))
    got = run(device, "show security pki crl ca-profile ms-ca detail")
    # The sample's words in order; it breaks the issuer after "ST = CA," (an older release),
    # where 12.1X46 breaks between words at column 80, as Chapter 16's ca2 sample does.
    assert got.split() == """\
CA profile: ms-ca
CRL version: V00000001
CRL issuer: emailAddress = certadmin@example.net, C = US, ST = CA,
L = Sunnyvale, O = Example, OU = Sales, CN = Sales
Effective date: 10-30-2007 20:32
Next update: 11- 7-2007 08:52""".split()
    assert got.splitlines()[2:4] == [
        "  CRL issuer: emailAddress = certadmin@example.net, C = US, ST = CA, L =",
        "    Sunnyvale, O = Example, OU = Sales, CN = Sales"]


# -- Chapter 16: certificate requests ---------------------------------------------------------


@pytest.fixture(scope="module")
def user_request():
    """Chapter 16's request `user`: RSA-1024, SHA-1 (Junos's default), an IP address."""
    key = generate_key_pair(RSA1024, seed="user")
    csr = build_request(key, RequestParams(certificate_id="user", ip_address="102.168.72.124",
                                           subject="O=example, OU=pepsi, C=IN, CN=user"))
    assert csr.signature_hash_algorithm.name == "sha1"
    return key, csr


def _request_state(csr, key) -> object:
    store = CertificateStore().add_key_pair("user", key).add_request("user", csr)
    return state("host", config="", store=store, now=at("09- 1-2012 00:00"))


def test_ch16_certificate_request_detail(user_request):
    got = run(_request_state(user_request[1], user_request[0]),
              "show security pki certificate-request certificate-id user detail")
    assert_like(got, [
        "Certificate identifier: user",
        "Certificate version: 3",
        "Subject:",
        "Organization: example, Organizational unit: pepsi, Country: IN,",
        "Common name: user",
        "Alternate subject: 102.168.72.124",
        "Public key algorithm: rsaEncryption(1024 bits)",
        # cryptography calls every SHA-1 request invalid; the signature really holds.
        "Public key verification status: Passed",
        *[SIGNATURE_LINE] * 5, SIGNATURE_LAST,
        "Fingerprint:", SHA1, MD5,
        "Use for key: Digital signature",
    ])
    # The sample's "verification hash" is the request's signature, 128 octets for RSA-1024.
    dump = "".join(got.split("verification status: Passed\n")[1].split("Fingerprint")[0].split())
    assert bytes.fromhex(dump.replace(":", "")) == user_request[1].signature


def test_ch16_certificate_request_brief(user_request):
    key, _ = user_request
    csr = build_request(key, RequestParams(certificate_id="user", email="user@example.net",
                                           subject="CN=user@example.net"))
    got = run(_request_state(csr, key), "show security pki certificate-request certificate-id user "
                                   "brief")
    assert_like(got, [
        "Certificate identifier: user",
        "Issued to: user@example.net",
        "Public key algorithm: rsaEncryption(1024 bits)",
    ])


def _tampered(csr):
    """`csr` with one bit of its signature flipped: a request whose signature fails."""
    data = bytearray(csr.public_bytes(serialization.Encoding.DER))
    data[-1] ^= 0x01
    return x509.load_der_x509_csr(bytes(data))


def test_a_request_whose_signature_fails_says_failed(user_request):
    device = _request_state(_tampered(user_request[1]), user_request[0])
    got = run(device, "show security pki certificate-request detail")
    assert "  Public key verification status: Failed" in got.splitlines()
    out = execute(device, "request security pki verify-integrity-status")
    assert out.error and out.output == "Certificate request user: verification failed"


def test_verify_integrity_passes_a_sha1_request(user_request):
    device = _request_state(user_request[1], user_request[0])
    out = execute(device, "request security pki verify-integrity-status")
    assert not out.error and out.output == "All PKI objects: verification success"


# -- Chapter 16: mycert (enrolled online using SCEP) -----------------------------------------


def _mycert_state(issuer_cn: str):
    return state("host", config="", store=mycert_store(issuer_cn), now=at("12- 1-2012 00:00"))


def test_ch16_local_certificate_mycert():
    got = run(_mycert_state("device1-ABC-A1-CA"),
              "show security pki local-certificate certificate-id mycert")
    assert got == """\
Certificate identifier: mycert
  Issued to: user, Issued by: DC = local, DC = demo, CN = device1-ABC-A1-CA
  Validity:
    Not before: 11-15-2012 18:58
    Not after: 11-15-2014 18:58
  Public key algorithm: rsaEncryption(1024 bits)"""


def test_ch16_local_certificate_mycert_detail():
    got = run(_mycert_state("device1-abc1-CA"),
              "show security pki local-certificate certificate-id mycert detail")
    assert_like(got, [
        "Certificate identifier: mycert",
        "Certificate version: 3",
        "Serial number: 1f00b50a000000013ad2",
        "Issuer:",
        "Common name: device1-abc1-CA,",
        "Domain component: local, Domain component: demo",
        "Subject:",
        "Organization: Example-org, Organizational unit: SSD, Country: US,",
        "Common name: user, Serial number: SRX240-11152012",
        "Subject string:",
        "serialNumber=SRX240-11152012, C=US, O=Example-org, OU=SSD, CN=user",
        'Alternate subject: "user@example.net", user.example.net, 10.150.1.2',
        "Validity:",
        "Not before: 11-15-2012 18:58",
        "Not after: 11-15-2014 18:58",
        "Public key algorithm: rsaEncryption(1024 bits)",
        *[HEX_LINE] * 7,
        "Signature algorithm: sha1WithRSAEncryption",
        "Distribution CRL:",
        # The sample wraps this URL at a comma and a question mark; ikesim prints it whole.
        MYCERT_LDAP,
        MYCERT_HTTP,
        "Use for key: Key encipherment, Digital signature, 1.3.6.1.5.5.8.2.2,",
        "1.3.6.1.5.5.8.2.2",
        "Fingerprint:", SHA1, MD5,
        "Auto-re-enrollment:",
        "Status: Disabled",
        "Next trigger time: Timer not started",
    ])
