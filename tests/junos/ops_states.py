"""Device states that re-create the situations of the guide's sample outputs, with the guide's
names, dates, serial numbers and subjects, for the golden tests of sim.junos.ops.

Also the comparison the golden tests use: the guide's PDF text collapses runs of spaces and
loses most indentation, so lines are compared with whitespace collapsed unless a test holds
the indentation too; a regex stands for a value no simulation can reproduce (key bytes,
fingerprints, cookies)."""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import re

from cryptography import x509
from cryptography.x509.oid import NameOID

from pki.certs import CertificateTemplate, issue
from pki.crl import Revocation, build_crl
from pki.hierarchy import CAHierarchy, CASpec
from pki.keys import KeySpec, KeyType, generate_key_pair
from pki.names import parse_subject
from pki.selfsigned import generate_system_certificate
from pki.store import CertificateStore
from sim.junos.config import parse_config
from sim.junos.device_state import DeviceState

UTC = dt.UTC
RSA1024 = KeySpec(type=KeyType.RSA, size=1024)
RSA2048 = KeySpec(type=KeyType.RSA, size=2048)
FAST = KeySpec(type=KeyType.ECDSA, size=256)

HEX_LINE = re.compile(r"([0-9a-f]{2}:){0,19}[0-9a-f]{2}")
# A 1024-bit RSA request signature (128 octets) as "verification hash": 22 octets a line.
SIGNATURE_LINE = re.compile(r"([0-9a-f]{2}:){21}[0-9a-f]{2}")
SIGNATURE_LAST = re.compile(r"([0-9a-f]{2}:){17}[0-9a-f]{2}")
SHA1 = re.compile(r"([0-9a-f]{2}:){19}[0-9a-f]{2} \(sha1\)")
MD5 = re.compile(r"([0-9a-f]{2}:){15}[0-9a-f]{2} \(md5\)")


def at(text: str) -> dt.datetime:
    """A time as the guide prints it, `08- 8-2012 17:02`, in UTC."""
    return dt.datetime.strptime(" ".join(text.replace("- ", "-").split()),
                                "%m-%d-%Y %H:%M").replace(tzinfo=UTC)


def squash(line: str) -> str:
    return " ".join(line.split())


def assert_like(actual: str, expected: list[str | re.Pattern[str]]) -> None:
    """`actual`'s lines against `expected`, one for one, whitespace collapsed; a pattern must
    match the whole (collapsed) line."""
    got = [squash(line) for line in actual.splitlines()]
    assert len(got) == len(expected), "\n".join(got)
    for number, (line, want) in enumerate(zip(got, expected, strict=True), 1):
        if isinstance(want, re.Pattern):
            assert want.fullmatch(line), f"line {number}: {line!r} !~ {want.pattern!r}"
        else:
            assert line == squash(want), f"line {number}: {line!r} != {squash(want)!r}"


def assert_exact(actual: str, expected: list[str | re.Pattern[str]]) -> None:
    """`actual`'s lines against `expected` one for one, indentation and wrapping included; a
    pattern must match the whole line (see indented)."""
    got = actual.splitlines()
    assert len(got) == len(expected), "\n".join(got)
    for number, (line, want) in enumerate(zip(got, expected, strict=True), 1):
        if isinstance(want, re.Pattern):
            assert want.fullmatch(line), f"line {number}: {line!r} !~ {want.pattern!r}"
        else:
            assert line == want, f"line {number}: {line!r} != {want!r}"


def indented(pattern: re.Pattern[str], spaces: int) -> re.Pattern[str]:
    """`pattern` at exactly `spaces` columns in."""
    return re.compile(" " * spaces + pattern.pattern)


def state(name: str, *, config: str, store: CertificateStore, now: dt.datetime,
          serial: str = "JN10B9390AGB", **extra) -> DeviceState:
    return DeviceState(name=name, serial=serial, now=now, address="10.0.0.1",
                       config_text=config, config=parse_config(config, source=name),
                       store=store, **extra)


# -- Chapter 14: Host-A of Figure 6 ----------------------------------------------------------

CH14_CONFIG = "\n".join(
    line
    for profile, path in (("Root-CA", "Root"), ("Eng-CA", "Eng"), ("Dev-CA", "Dev"))
    for line in (
        f"set security pki ca-profile {profile} ca-identity {profile}",
        f"set security pki ca-profile {profile} enrollment url "
        f"http://10.157.88.230:8080/scep/{path}/",
        f"set security pki ca-profile {profile} revocation-check crl",
    )
) + "\n"
ROOT_END = at("08-13-2017 22:19")


@functools.cache
def chapter14_hierarchy() -> CAHierarchy:
    """Root-CA, Eng-CA, Dev-CA with the guide's dates and 2048-bit keys; Sales-CA and Sub11
    (the dynamic profile's CAs) with fast keys; Host-A from Dev-CA. Built once (2048-bit keys
    are slow): read it, never revoke or issue with it."""

    def spec(name: str, issuer: str | None, start: str, key: KeySpec) -> CASpec:
        begin = at(start)
        return CASpec(name=name, issuer=issuer, subject=f"C=us, O=example, CN={name}", key=key,
                      not_before=begin, validity=ROOT_END - begin,
                      crl_urls=(f"http://10.157.88.230:8080/crl/{name}.crl",))

    h = CAHierarchy([
        spec("Root-CA", None, "08-14-2012 22:19", RSA2048),
        spec("Eng-CA", "Root-CA", "08-15-2012 01:02", RSA2048),
        spec("Dev-CA", "Eng-CA", "08-15-2012 17:41", RSA2048),
        spec("Sales-CA", "Root-CA", "08-15-2012 01:02", FAST),
        spec("Sub11", "Sales-CA", "08-15-2012 01:02", FAST),
    ], start=at("08-14-2012 22:19"), seed="chapter14")
    h.issue_end_entity("Dev-CA", "Host-A", key=RSA1024, not_before=at("09-17-2012 22:22"),
                       subject="DC=example,CN=Host-A,OU=DEV,O=PKI,L=Sunnyvale,ST=CA,C=US",
                       subject_alt_names=(x509.DNSName("host-a.example.net"),
                                          x509.RFC822Name("host-a@example.net")))
    return h


def _crl(h: CAHierarchy, ca: str, start: str, end: str, revoked=()):
    return build_crl(issuer=h.certificate(ca), issuer_key=h.key(ca), revoked=revoked,
                     this_update=at(start), next_update=at(end), number=1)


def chapter14_state(h: CAHierarchy, *, dynamic_ca: str = "Sales-CA") -> DeviceState:
    """Host-A after the Chapter 14 example: three CA profiles with their CRLs, and dynamic-001
    for the peer's CA. With dynamic_ca="Sub11", dynamic-001's CRL is the one of the `detail`
    sample (issuer Sub11, serial 10647C84 revoked)."""
    store = CertificateStore()
    for ca in ("Root-CA", "Eng-CA", "Dev-CA"):
        store = store.add_ca_certificate(ca, h.certificate(ca))
    store = store.add_key_pair("Host-A", h.key("Host-A"))
    store = store.add_local_certificate("Host-A", h.certificate("Host-A"))
    store = store.add_crl("Root-CA", _crl(h, "Root-CA", "09- 9-2012 13:08", "09-21-2012 02:55"))
    store = store.add_crl("Eng-CA", _crl(h, "Eng-CA", "08-22-2012 17:46", "10-24-2015 03:33"))
    store = store.add_crl("Dev-CA", _crl(h, "Dev-CA", "09-14-2012 21:15", "09-26-2012 11:02"))
    store = store.add_ca_certificate("dynamic-001", h.certificate(dynamic_ca))
    if dynamic_ca == "Sub11":
        revoked = [Revocation(serial=0x10647C84, date=at("09-19-2012 17:29"))]
        dynamic_crl = _crl(h, "Sub11", "09-19-2012 17:29", "09-20-2012 01:49", revoked)
    else:
        dynamic_crl = _crl(h, dynamic_ca, "09-14-2012 21:15", "09-26-2012 11:02")
    store = store.add_crl("dynamic-001", dynamic_crl)
    return state("Host-A", config=CH14_CONFIG, store=store, now=at("09-19-2012 17:30"),
                 dynamic_profiles={"dynamic-001": "Root-CA"})


# -- Chapter 16 -------------------------------------------------------------------------------


def _name(*pairs: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.RelativeDistinguishedName([x509.NameAttribute(oid, value)])
                      for oid, value in pairs])


def _usage(**bits: bool) -> x509.KeyUsage:
    names = ("digital_signature", "content_commitment", "key_encipherment",
             "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign",
             "encipher_only", "decipher_only")
    return x509.KeyUsage(**{name: bits.get(name, False) for name in names})


@functools.cache
def rootca_certificate() -> x509.Certificate:
    """Chapter 16's RootCA: serial 0712dc31, 05- 3-2012 07:15 to 05- 2-2017 07:15."""
    key = generate_key_pair(RSA1024, seed="RootCA")
    template = CertificateTemplate(
        subject=parse_subject("C=US, O=example, CN=RootCA"), public_key=key.public_key(),
        serial=0x0712DC31, not_before=at("05- 3-2012 07:15"),
        not_after=at("05- 2-2017 07:15"), ca=True, digest="sha1",
        key_usage=_usage(crl_sign=True, key_cert_sign=True, key_encipherment=True,
                         digital_signature=True))
    return issue(template, issuer_key=key)


HELLO_LDAP = ("ldap:///CN=device1-ABC-A1-CA,CN=everett-win,CN=CDP,CN=Public%20Key%20Services,"
              "CN=Services,CN=Configuration,DC=demo,DC=local?certificateRevocationList?base?"
              "objectClass=cRLDistributionPoint")
HELLO_HTTP = "http://everett-win.device1.example.net/CertEnroll/device1-ABC-A1-CA.crl"


@functools.cache
def hello_store() -> CertificateStore:
    """Chapter 16's `hello` certificate from device1-ABC-A1-CA, and the system-generated one."""
    ca_key = generate_key_pair(RSA1024, seed="device1-ABC-A1-CA")
    ca = issue(CertificateTemplate(
        subject=parse_subject("DC=local, DC=demo, CN=device1-ABC-A1-CA"),
        public_key=ca_key.public_key(), serial=1, not_before=at("01- 1-2012 00:00"),
        not_after=at("01- 1-2020 00:00"), ca=True), issuer_key=ca_key)
    key = generate_key_pair(RSA1024, seed="hello")
    ike = x509.ObjectIdentifier("1.3.6.1.5.5.8.2.2")  # iKEIntermediate
    hello = issue(CertificateTemplate(
        subject=parse_subject("C=US, DC=dc1, DC=dc2, ST=CA, L=Sunnyvale, O=o1, O=o2, OU=ou1, "
                              "OU=ou2, CN=cn1, CN=cn2"),
        public_key=key.public_key(), serial=0x61BA9DA000000000D72E,
        not_before=at("08- 8-2012 17:02"), not_after=at("08- 8-2014 17:02"),
        key_usage=_usage(key_encipherment=True, digital_signature=True),
        crl_urls=(HELLO_LDAP, HELLO_HTTP), digest="sha1",
        subject_alt_names=(x509.RFC822Name("ernie@example.net"),
                           x509.DNSName("ernie.example.net"),
                           x509.IPAddress(ipaddress.ip_address("10.1.2.3"))),
        # The sample lists 1.3.6.1.5.5.8.2.2 twice: the certificate carries it twice.
        extra_extensions=(x509.Extension(x509.ExtendedKeyUsage.oid, False,
                                         x509.ExtendedKeyUsage([ike, ike])),),
    ), issuer_key=ca_key, issuer=ca)
    system_key = generate_key_pair(RSA1024, seed="system")
    system = generate_system_certificate(system_key, device_serial="JN10B9390AGB",
                                         now=at("10-30-2009 23:02"),
                                         serial=0xE90D42EBD14EF954B3E48C2EED5B30FB)
    return (CertificateStore().add_key_pair("hello", key).add_local_certificate("hello", hello)
            .add_key_pair("system-generated", system_key)
            .add_local_certificate("system-generated", system))


@functools.cache
def ca2_crl() -> tuple[x509.Certificate, x509.CertificateRevocationList]:
    """Chapter 16's ca2 CRL: an issuer with emailAddress first, 04-26-2007 18:47."""
    name = _name((NameOID.EMAIL_ADDRESS, "user@example.net"), (NameOID.COUNTRY_NAME, "US"),
                 (NameOID.STATE_OR_PROVINCE_NAME, "ca"), (NameOID.LOCALITY_NAME, "sunnyvale"),
                 (NameOID.ORGANIZATION_NAME, "Example"),
                 (NameOID.ORGANIZATIONAL_UNIT_NAME, "SPG QA"),
                 (NameOID.COMMON_NAME, "2000-example-net"))
    key = generate_key_pair(FAST, seed="ca2")
    ca = issue(CertificateTemplate(subject=name, public_key=key.public_key(), serial=2,
                                   not_before=at("01- 1-2007 00:00"),
                                   not_after=at("01- 1-2012 00:00"), ca=True), issuer_key=key)
    revoked = [Revocation(serial=serial, date=at("03-16-2007 23:09"))
               for serial in (0x174E6399000000000506, 0x174EF3F3000000000507)]
    crl = build_crl(issuer=ca, issuer_key=key, revoked=revoked,
                    this_update=at("04-26-2007 18:47"), next_update=at("05- 4-2007 07:07"),
                    number=1)
    return ca, crl


# -- Chapter 11: ms-ca and ms-cert ------------------------------------------------------------

MS_LDAP = ("ldap:///CN=TACLAB,CN=TACLABSRV1,CN=CDP,CN=Public%20Key%20Services,CN=Services,"
           "CN=Configuration,DC=tacdomain,DC=com?certificateRevocationList?base?"
           "objectclass=cRLDistributionPoint")
MS_HTTP = "http://taclabsrv1.tacdomain.com/CertEnroll/TACLAB.crl"


@functools.cache
def ms_certificates():
    """Chapter 11's ms-ca (serial 44b033d1e5e158b44597d143bbfa8a13, the e-mail address its
    CRL issuer shows first, which the Issuer/Subject field lists leave out) and the ms-cert it
    issued to "john doe", with the guide's dates; returns (ca, ca key, cert, cert key)."""
    ca_key = generate_key_pair(RSA1024, seed="ms-ca")
    sales = _name((NameOID.EMAIL_ADDRESS, "certadmin@example.net"), (NameOID.COUNTRY_NAME, "US"),
                  (NameOID.STATE_OR_PROVINCE_NAME, "CA"), (NameOID.LOCALITY_NAME, "Sunnyvale"),
                  (NameOID.ORGANIZATION_NAME, "Example"),
                  (NameOID.ORGANIZATIONAL_UNIT_NAME, "Sales"), (NameOID.COMMON_NAME, "Sales"))
    ca = issue(CertificateTemplate(
        subject=sales, public_key=ca_key.public_key(),
        serial=0x44B033D1E5E158B44597D143BBFA8A13, not_before=at("09-25-2007 20:32"),
        not_after=at("09-25-2012 20:41"), ca=True, digest="sha1",
        key_usage=_usage(crl_sign=True, key_cert_sign=True, content_commitment=True),
        crl_urls=(MS_LDAP, MS_HTTP)), issuer_key=ca_key)
    key = generate_key_pair(RSA1024, seed="ms-cert")
    cert = issue(CertificateTemplate(
        subject=parse_subject("CN=john doe, OU=sales, O=Example, L=Sunnyvale, ST=CA, C=US"),
        public_key=key.public_key(), serial=0x3A01C5A0000000000011,
        not_before=at("11- 2-2007 22:54"), not_after=at("11- 2-2008 23:04"), digest="sha1",
        crl_urls=(MS_LDAP, MS_HTTP),
        subject_alt_names=(x509.RFC822Name("user@example.net"),)),
        issuer_key=ca_key, issuer=ca)
    return ca, ca_key, cert, key


MS_CONFIG = """\
set security pki ca-profile ms-ca ca-identity labdomain.com
set security pki ca-profile ms-ca revocation-check crl
"""


# -- Chapter 16: mycert, enrolled online with SCEP -------------------------------------------

MYCERT_LDAP = ("ldap:///CN=device1-ABC-A1-CA,CN=everett-win,CN=CDP,CN=Public%20Key%20Services,"
               "CN=Services,CN=Configuration,DC=demo,DC=local?certificateRevocationList?base?"
               "objectClass=cRLDistributionPoint")
MYCERT_HTTP = "http://abc1.device1.example.net/CertEnroll/device1-ABC-A1-CA.crl"


@functools.cache
def mycert_store(issuer_cn: str) -> CertificateStore:
    """Chapter 16's `mycert` (serial 1f00b50a000000013ad2, a serialNumber in its subject) from
    the CA `issuer_cn`: the brief sample names device1-ABC-A1-CA, the detail one
    device1-abc1-CA, so each test builds its own."""
    ca_key = generate_key_pair(RSA1024, seed=issuer_cn)
    ca = issue(CertificateTemplate(
        subject=parse_subject(f"DC=local, DC=demo, CN={issuer_cn}"),
        public_key=ca_key.public_key(), serial=1, not_before=at("01- 1-2012 00:00"),
        not_after=at("01- 1-2020 00:00"), ca=True), issuer_key=ca_key)
    key = generate_key_pair(RSA1024, seed="mycert")
    ike = x509.ObjectIdentifier("1.3.6.1.5.5.8.2.2")
    # The sample's subject string has "O=Example-org" where its field list has "example-org":
    # one certificate cannot hold both; it holds the subject string's.
    cert = issue(CertificateTemplate(
        subject=_name((NameOID.SERIAL_NUMBER, "SRX240-11152012"), (NameOID.COUNTRY_NAME, "US"),
                      (NameOID.ORGANIZATION_NAME, "Example-org"),
                      (NameOID.ORGANIZATIONAL_UNIT_NAME, "SSD"), (NameOID.COMMON_NAME, "user")),
        public_key=key.public_key(), serial=0x1F00B50A000000013AD2,
        not_before=at("11-15-2012 18:58"), not_after=at("11-15-2014 18:58"), digest="sha1",
        key_usage=_usage(key_encipherment=True, digital_signature=True),
        crl_urls=(MYCERT_LDAP, MYCERT_HTTP),
        subject_alt_names=(x509.RFC822Name("user@example.net"), x509.DNSName("user.example.net"),
                           x509.IPAddress(ipaddress.ip_address("10.150.1.2"))),
        extra_extensions=(x509.Extension(x509.ExtendedKeyUsage.oid, False,
                                         x509.ExtendedKeyUsage([ike, ike])),),
    ), issuer_key=ca_key, issuer=ca)
    return CertificateStore().add_key_pair("mycert", key).add_local_certificate("mycert", cert)
