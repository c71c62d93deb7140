"""Junos subject strings and the DN renderings of the guide's `show security pki` outputs."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from pki.keys import KeySpec, KeyType, generate_key_pair
from pki.names import (
    SubjectError,
    issued_to,
    parse_subject,
    render_fields,
    render_ldap,
    render_oneline,
    render_subject_string,
)
from pki.selfsigned import system_generated_name
from tests.openssl import needs_openssl


def values(name: x509.Name) -> list[tuple[str, str]]:
    return [(attr.oid.dotted_string, attr.value) for attr in name]


def string_tag(name: x509.Name) -> int:
    """The ASN.1 tag of the value of a one-attribute name."""
    (attr,) = list(name)
    der = name.public_bytes()
    return der[-(len(attr.value.encode("utf-8")) + 2)]


PRINTABLE, UTF8, IA5 = 0x13, 0x0C, 0x16

# --- parsing -------------------------------------------------------------------------------


def test_host_a_subject_keeps_the_given_order():
    """The Chapter 14 enrollment subject: one RDN per attribute, in the order typed."""
    name = parse_subject("DC=example,CN=Host-A,OU=DEV,O=PKI,L=Sunnyvale,ST=CA,C=US")
    assert values(name) == [
        (NameOID.DOMAIN_COMPONENT.dotted_string, "example"),
        (NameOID.COMMON_NAME.dotted_string, "Host-A"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME.dotted_string, "DEV"),
        (NameOID.ORGANIZATION_NAME.dotted_string, "PKI"),
        (NameOID.LOCALITY_NAME.dotted_string, "Sunnyvale"),
        (NameOID.STATE_OR_PROVINCE_NAME.dotted_string, "CA"),
        (NameOID.COUNTRY_NAME.dotted_string, "US"),
    ]
    assert len(name.rdns) == 7


def test_spaces_after_commas_and_sn_takes_the_device_serial():
    name = parse_subject(
        "DC=example, CN=router3, SN, OU=marketing, O=example, L=sunnyvale, ST=california, C=us",
        device_serial="AA1234",
    )
    assert render_subject_string(name) == (
        "DC=example, CN=router3, serialNumber=AA1234, OU=marketing, O=example, L=sunnyvale, "
        "ST=california, C=us"
    )


def test_sn_with_a_value_is_used_as_given():
    name = parse_subject("SN=SRX240-11152012, CN=user", device_serial="ignored")
    assert name.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "SRX240-11152012"


def test_sn_without_a_value_needs_the_device_serial():
    with pytest.raises(SubjectError, match="'SN' takes the device serial number") as info:
        parse_subject("CN=router3, SN, C=us")
    assert info.value.part == "SN"


def test_keys_are_case_insensitive_and_values_keep_their_case():
    """The guide's own samples type `subject cn=router2.example.net`."""
    name = parse_subject("cn=Router2.Example.net, ou=Eng, c=us")
    assert render_subject_string(name) == "CN=Router2.Example.net, OU=Eng, C=us"


def test_several_values_of_one_type_are_kept_in_order():
    name = parse_subject("CN=cn1, CN=cn2, OU=ou1, OU=ou2, DC=dc1, DC=dc2")
    assert [a.value for a in name.get_attributes_for_oid(NameOID.COMMON_NAME)] == ["cn1", "cn2"]
    assert [a.value for a in name.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)] == [
        "ou1", "ou2"]


def test_quoted_subject_and_escaped_comma():
    name = parse_subject('"CN=John Doe,O=Example\\, Inc, L=Sunnyvale"')
    assert values(name)[0][1] == "John Doe"
    assert values(name)[1][1] == "Example, Inc"


@pytest.mark.parametrize("country", ["USA", "U", "U1", "United States"])
def test_country_must_be_two_letters(country):
    with pytest.raises(SubjectError, match=f"country '{country}' must be a two-letter code"):
        parse_subject(f"CN=a, C={country}")


@pytest.mark.parametrize(("subject", "message", "part"), [
    ("CN=a, E=a@b.c", r"unknown attribute 'E' in subject part 'E=a@b.c'", "E=a@b.c"),
    ("CN=a, OU", r"subject part 'OU' has no '=value'", "OU"),
    ("CN=a, O=", r"subject part 'O=' has an empty value", "O="),
    ("CN=a,,O=b", r"empty attribute in subject after 'CN=a'", ""),
    ("CN=a, O=b,", r"empty attribute in subject after 'O=b'", ""),
    ("   ", r"subject is empty", "   "),
    ("CN=" + "x" * 65, r"has 65 characters; at most 64", "CN=" + "x" * 65),
    ("SN=a@b", r"SN 'a@b' may use only letters", "SN=a@b"),
    ("DC=exämple", r"domain component 'exämple' must be ASCII", "DC=exämple"),
])
def test_bad_subjects_name_the_bad_part(subject, message, part):
    with pytest.raises(SubjectError, match=message) as info:
        parse_subject(subject)
    assert isinstance(info.value, ValueError)
    assert info.value.part == part
    assert "\n" not in str(info.value)


def test_subject_must_be_a_string():
    with pytest.raises(TypeError):
        parse_subject(b"CN=a")  # type: ignore[arg-type]


@pytest.mark.parametrize(("subject", "tag"), [
    ("C=US", PRINTABLE),
    ("CN=Host-A", PRINTABLE),
    ("O=Example (Sales) 1.2", PRINTABLE),
    ("CN=user@example.net", UTF8),  # '@' is not in PrintableString
    ("L=Zürich", UTF8),
    ("DC=example", IA5),
    ("SN=JN10B9390AGB", PRINTABLE),
])
def test_string_types(subject, tag):
    assert string_tag(parse_subject(subject)) == tag


# --- rendering against the guide's sample outputs ---------------------------------------------

# "Issued by:" and "CRL issuer:" lines, Chapters 14 and 16.
@pytest.mark.parametrize("line", [
    "C = us, O = example, CN = Root-CA",
    "C = us, O = example, CN = Eng-CA",
    "C = us, O = example, CN = Dev-CA",
    "C = US, O = example, CN = RootCA",
    "DC = local, DC = demo, CN = device1-ABC-A1-CA",
])
def test_oneline_matches_the_guide(line):
    subject = line.replace(" = ", "=")
    assert render_oneline(parse_subject(subject)) == line


def test_oneline_of_a_crl_issuer_with_email():
    """show security pki crl ca-profile ca2 (the guide wraps the line after "O")."""
    name = x509.Name([
        x509.NameAttribute(NameOID.EMAIL_ADDRESS, "user@example.net"),
        *parse_subject("C=US, ST=ca, L=sunnyvale, O=Example, OU=SPG QA, CN=2000-example-net"),
    ])
    assert render_oneline(name) == (
        "emailAddress = user@example.net, C = US, ST = ca, L = sunnyvale, O"
        " = Example, OU = SPG QA, CN = 2000-example-net"
    )


def test_system_generated_issued_by_and_subject_string():
    name = system_generated_name("JN10B9390AGB")
    assert render_oneline(name) == (
        "CN = JN10B9390AGB, CN = system generated,"
        " CN = self-signed"
    )
    assert render_subject_string(name) == "CN=JN10B9390AGB, CN=system generated, CN=self-signed"
    assert render_fields(name) == (
        "Common name: JN10B9390AGB, Common name: system generated, Common name:"
        " self-signed"
    )
    assert issued_to(name) == "JN10B9390AGB"


HELLO_SUBJECT_STRING = (
    "C=US, DC=dc1, DC=dc2, ST=CA, L=Sunnyvale, O=o1, O=o2, OU=ou1, OU=ou2, CN=cn1,"
    " CN=cn2"
)


def test_hello_subject_string_and_fields():
    """show security pki local-certificate certificate-id hello detail."""
    name = parse_subject(HELLO_SUBJECT_STRING.replace(", ", ","))
    assert render_subject_string(name) == HELLO_SUBJECT_STRING
    assert render_fields(name) == " ".join([
        "Organization: o1, Organization: o2,",
        "Organizational unit: ou1, Organizational unit: ou2, Country: US, State: CA,",
        "Locality: Sunnyvale, Common name: cn1, Common name: cn2,",
        "Domain component: dc1, Domain component: dc2",
    ])
    assert issued_to(name) == "cn1"


def test_hello_issuer_fields():
    name = parse_subject("DC=local, DC=demo, CN=device1-ABC-A1-CA")
    assert render_fields(name) == " ".join([
        "Common name: device1-ABC-A1-CA,",
        "Domain component: local, Domain component: demo",
    ])


def test_mycert_subject_string_and_fields():
    """The SCEP-enrolled certificate, with a serialNumber (the guide's Subject shows the
    organization in lower case and its Subject string in upper case; one certificate cannot
    have both, so the Subject string's value is used)."""
    name = parse_subject("SN=SRX240-11152012, C=US, O=Example-org, OU=SSD, CN=user")
    assert render_subject_string(name) == (
        "serialNumber=SRX240-11152012, C=US, O=Example-org, OU=SSD, CN=user")
    assert render_fields(name) == " ".join([
        "Organization: Example-org, Organizational unit: SSD, Country: US,",
        "Common name: user, Serial number: SRX240-11152012",
    ])


def test_rootca_fields_and_subject_string():
    name = parse_subject("C=US, O=example, CN=RootCA")
    assert render_fields(name) == "Organization: example, Country: US, Common name: RootCA"
    assert render_subject_string(name) == "C=US, O=example, CN=RootCA"


def test_fields_leave_out_the_email_address():
    """ms-ca's Issuer (detail) and its CRL issuer are one CA: the CRL issuer line has an
    emailAddress, the Issuer fields do not."""
    name = x509.Name([
        x509.NameAttribute(NameOID.EMAIL_ADDRESS, "certadmin@example.net"),
        *parse_subject("C=US, ST=CA, L=Sunnyvale, O=Example, OU=Sales, CN=Sales"),
    ])
    assert render_fields(name) == " ".join([
        "Organization: Example, Organizational unit: Sales, Country: US, State:",
        "CA, Locality: Sunnyvale,",
        "Common name: Sales",
    ])
    assert render_oneline(name) == " ".join([
        "emailAddress = certadmin@example.net, C = US, ST = CA,",
        "L = Sunnyvale, O = Example, OU = Sales, CN = Sales",
    ])


def test_issued_to_is_the_first_common_name():
    name = parse_subject("DC=example,CN=Host-A,OU=DEV,O=PKI,L=Sunnyvale,ST=CA,C=US")
    assert issued_to(name) == "Host-A"
    assert issued_to(parse_subject("O=x, C=US")) == "O = x, C = US"


def test_ldap_form_is_most_specific_first():
    """The SSH toolkit's test ID: der_asn1_dn(any:0,[0..67]=CN=Foo, O=SSH, C=FI)."""
    name = parse_subject("C=FI, O=SSH, CN=Foo")
    assert render_ldap(name) == "CN=Foo, O=SSH, C=FI"


def test_ldap_names_and_escapes():
    name = x509.Name([
        x509.NameAttribute(NameOID.EMAIL_ADDRESS, "a@b.c"),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, "X1"),
        x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "dc"),
        x509.NameAttribute(x509.ObjectIdentifier("1.2.3.4"), "u"),
        x509.NameAttribute(NameOID.COMMON_NAME, 'a,b+c=d"e#f;g<h>i\\j'),
    ])
    assert render_ldap(name) == (
        'CN=a\\,b\\+c\\=d\\"e\\#f\\;g\\<h\\>i\\\\j, OID.1.2.3.4=u, DC=dc, serialNumber=X1, '
        "MAILTO=a@b.c"
    )


def test_multi_valued_rdn_is_joined_with_plus():
    rdn = x509.RelativeDistinguishedName([
        x509.NameAttribute(NameOID.COMMON_NAME, "a"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "b"),
    ])
    name = x509.Name([rdn])
    assert " + " in render_oneline(name)
    assert " + " in render_ldap(name)


# --- the oneline forms against OpenSSL itself -------------------------------------------------

TRICKY_VALUES = ["plain", "a,b", 'a"b', "a\\b", "a\\b,c", "#lead", " lead", "trail ", "a+b",
                 "a;b", "a<b>", "é€x", "tab\tx", "a=b", "x#y", "𝄞"]


@pytest.fixture(scope="module")
def ec_key():
    return generate_key_pair(KeySpec(type=KeyType.ECDSA), seed="names")


@needs_openssl
@pytest.mark.parametrize("value", TRICKY_VALUES)
def test_oneline_forms_match_openssl(ec_key, value):
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.COMMON_NAME, value),
        x509.NameAttribute(NameOID.EMAIL_ADDRESS, "a@b.c"),
    ])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(ec_key.public_key()).serial_number(1)
        .not_valid_before(start).not_valid_after(start + dt.timedelta(days=1))
        .sign(ec_key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)

    def openssl(nameopt: str) -> str:
        out = subprocess.run(["openssl", "x509", "-noout", "-subject", "-nameopt", nameopt],
                             input=pem, capture_output=True, check=True).stdout
        return out.decode("utf-8").strip().removeprefix("subject=")

    assert render_oneline(cert.subject) == openssl("oneline")
    assert render_subject_string(cert.subject) == openssl("oneline,-space_eq")
