"""Distinguished names: the subject strings Junos reads and the four ways it prints a DN.

Reading: `subject DC=example,CN=Host-A,OU=DEV,O=PKI,L=Sunnyvale,ST=CA,C=US` (guide, Chapters 11,
14 and 16). Keys DC, CN, SN, OU, O, L, ST, C in any case; every attribute becomes its own RDN, in
the order given, and that order is the certificate's (the guide's CSR encodes `CN=...,OU=...,C=US`
with CN first). `SN` with no value takes the device's serial number (Chapter 11).

Printing (Chapter 16 sample outputs):
- `render_oneline`: "Issued by:" and "CRL issuer:", `C = us, O = example, CN = Root-CA` -- the
  certificate's RDN order, OpenSSL short names and escaping (OpenSSL's oneline form).
- `render_subject_string`: "Subject string:", `C=US, O=example, CN=RootCA` -- the same without
  spaces around "=".
- `render_fields`: "Issuer:" / "Subject:" of `detail`, `Organization: o1, ..., Common name: cn1`
  -- a fixed order of types, not the certificate's; types outside that list are not shown.
- `render_ldap`: IKE der_asn1_dn IDs in kmd logs, `CN=Foo, O=SSH, C=FI` -- most specific first,
  with the names and backslash escapes of the SSH toolkit's ssh_dn_encode_ldap.
- `issued_to`: the "Issued to:" value, the first common name.

The guide's outputs are wrapped at about 80 columns, but not by one rule a renderer could follow
(some breaks fall inside a field, some lines stop well short), so these functions return one
unwrapped line and leave layout to the caller.
"""

from __future__ import annotations

import re

from cryptography import x509
from cryptography.x509.name import _ASN1Type  # NameAttribute's string types; not exported
from cryptography.x509.oid import NameOID, ObjectIdentifier

from pki.escape import escape

__all__ = [
    "SubjectError",
    "is_email_address",
    "issued_to",
    "parse_subject",
    "render_field_groups",
    "render_fields",
    "render_ldap",
    "render_oneline",
    "render_subject_string",
]


class SubjectError(ValueError):
    """A subject string Junos would refuse; `part` is the offending piece of it."""

    def __init__(self, message: str, *, part: str) -> None:
        super().__init__(message)
        self.part = part


# The subject keys the guide lists, and the attribute each one names.
_SUBJECT_KEYS: dict[str, ObjectIdentifier] = {
    "DC": NameOID.DOMAIN_COMPONENT,
    "CN": NameOID.COMMON_NAME,
    "SN": NameOID.SERIAL_NUMBER,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "L": NameOID.LOCALITY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "C": NameOID.COUNTRY_NAME,
}
_KEY_LIST = ", ".join(_SUBJECT_KEYS)

_PRINTABLE = re.compile(r"[A-Za-z0-9 '()+,\-./:=?]*")
_COUNTRY = re.compile(r"[A-Za-z]{2}")


def parse_subject(text: str, *, device_serial: str | None = None) -> x509.Name:
    """The x509.Name of a Junos `subject` string; raises SubjectError naming the bad part."""
    if not isinstance(text, str):
        raise TypeError(f"subject must be a str, not {type(text).__name__}")
    body = text.strip()
    # The CLI takes the subject in quotes when it has spaces; accept the quotes as typed.
    if len(body) >= 2 and body[0] == body[-1] == '"':
        body = body[1:-1].strip()
    if not body:
        raise SubjectError("subject is empty", part=text)
    return x509.Name([
        x509.RelativeDistinguishedName([_attribute(part, device_serial)])
        for part in _split_components(body)
    ])


def _split_components(body: str) -> list[str]:
    # Commas separate attributes; a backslash keeps the next character (so "\," is a comma).
    parts, current, escaped = [], [], False
    for char in body:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        raise SubjectError(f"subject {body!r} ends with a lone backslash", part=body)
    parts.append("".join(current))
    for index, part in enumerate(parts):
        if not part.strip():
            where = "at its start" if index == 0 else f"after {parts[index - 1].strip()!r}"
            raise SubjectError(f"empty attribute in subject {where}", part=part)
    return parts


def _attribute(part: str, device_serial: str | None) -> x509.NameAttribute:
    key, sep, value = part.partition("=")
    key, value = key.strip(), value.strip()
    oid = _SUBJECT_KEYS.get(key.upper())
    if oid is None:
        raise SubjectError(
            f"unknown attribute {key!r} in subject part {part.strip()!r} (known: {_KEY_LIST})",
            part=part.strip(),
        )
    if oid == NameOID.SERIAL_NUMBER and not sep:
        if not device_serial:
            raise SubjectError(
                "subject part 'SN' takes the device serial number, but none was given",
                part=part.strip(),
            )
        value = device_serial
    elif not sep:
        raise SubjectError(f"subject part {part.strip()!r} has no '=value'", part=part.strip())
    elif not value:
        raise SubjectError(f"subject part {part.strip()!r} has an empty value", part=part.strip())
    return _encoded(oid, key.upper(), value, part.strip())


def _encoded(oid: ObjectIdentifier, key: str, value: str, part: str) -> x509.NameAttribute:
    if oid == NameOID.COUNTRY_NAME:
        if not _COUNTRY.fullmatch(value):
            raise SubjectError(
                f"country {value!r} must be a two-letter code such as US", part=part
            )
        return x509.NameAttribute(oid, value, _ASN1Type.PrintableString)
    if oid == NameOID.DOMAIN_COMPONENT:
        if not value.isascii():
            raise SubjectError(f"domain component {value!r} must be ASCII", part=part)
        return x509.NameAttribute(oid, value, _ASN1Type.IA5String)
    if oid == NameOID.COMMON_NAME and len(value) > 64:
        # RFC 5280's upper bound, which cryptography enforces too.
        raise SubjectError(
            f"common name {value!r} has {len(value)} characters; at most 64 are allowed",
            part=part,
        )
    printable = _PRINTABLE.fullmatch(value) is not None
    if oid == NameOID.SERIAL_NUMBER and not printable:
        # X.520 allows serialNumber only as a PrintableString.
        raise SubjectError(
            f"{key} {value!r} may use only letters, digits, spaces and '()+,-./:=?", part=part
        )
    # PrintableString where it can hold the value, as the guide's sample request has it.
    string_type = _ASN1Type.PrintableString if printable else _ASN1Type.UTF8String
    return x509.NameAttribute(oid, value, string_type)


# --- rendering ---------------------------------------------------------------------------

# OpenSSL's short names (OBJ_nid2sn), used by the oneline and subject-string forms.
_OPENSSL_NAMES: dict[ObjectIdentifier, str] = {
    NameOID.COUNTRY_NAME: "C",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.LOCALITY_NAME: "L",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.COMMON_NAME: "CN",
    NameOID.DOMAIN_COMPONENT: "DC",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.EMAIL_ADDRESS: "emailAddress",
    NameOID.SURNAME: "SN",
    NameOID.GIVEN_NAME: "GN",
    NameOID.TITLE: "title",
    NameOID.INITIALS: "initials",
    NameOID.GENERATION_QUALIFIER: "generationQualifier",
    NameOID.DN_QUALIFIER: "dnQualifier",
    NameOID.PSEUDONYM: "pseudonym",
    NameOID.STREET_ADDRESS: "street",
    NameOID.POSTAL_CODE: "postalCode",
    NameOID.USER_ID: "UID",
    NameOID.BUSINESS_CATEGORY: "businessCategory",
    NameOID.UNSTRUCTURED_NAME: "unstructuredName",
}

# The SSH toolkit's LDAP names (its DN, UCL and directory-attribute OID tables).
_SSH_LDAP_NAMES: dict[ObjectIdentifier, str] = {
    NameOID.COUNTRY_NAME: "C",
    NameOID.LOCALITY_NAME: "L",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.STREET_ADDRESS: "STREET",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.COMMON_NAME: "CN",
    NameOID.EMAIL_ADDRESS: "MAILTO",
    NameOID.UNSTRUCTURED_NAME: "unstructuredName",
    NameOID.SURNAME: "SN",
    NameOID.TITLE: "title",
    ObjectIdentifier("2.5.4.41"): "name",
    NameOID.GIVEN_NAME: "givenName",
    NameOID.INITIALS: "initials",
    NameOID.GENERATION_QUALIFIER: "generationQualifier",
    NameOID.X500_UNIQUE_IDENTIFIER: "x500UniqueIdentifier",
    NameOID.DN_QUALIFIER: "dnQualifier",
    NameOID.PSEUDONYM: "pseudonym",
    NameOID.POSTAL_ADDRESS: "postalAddress",
    NameOID.USER_ID: "UID",
    NameOID.DOMAIN_COMPONENT: "DC",
}

# The `detail` form: these types only, always in this order (the guide's samples put O first
# and DC last whatever the certificate's order; where serialNumber falls relative to DC is not
# shown, it is placed after CN, where the one sample has it).
_FIELD_LABELS: tuple[tuple[ObjectIdentifier, str], ...] = (
    (NameOID.ORGANIZATION_NAME, "Organization"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "Organizational unit"),
    (NameOID.COUNTRY_NAME, "Country"),
    (NameOID.STATE_OR_PROVINCE_NAME, "State"),
    (NameOID.LOCALITY_NAME, "Locality"),
    (NameOID.COMMON_NAME, "Common name"),
    (NameOID.SERIAL_NUMBER, "Serial number"),
    (NameOID.DOMAIN_COMPONENT, "Domain component"),
)


def is_email_address(text: object) -> bool:
    """`user@example.net`: printable ASCII, one @ between two non-empty parts, no spaces."""
    return (isinstance(text, str) and text.isascii() and text.isprintable()
            and text.count("@") == 1 and " " not in text and all(text.split("@")))


def render_oneline(name: x509.Name) -> str:
    """`C = us, O = example, CN = Root-CA`: the "Issued by:" and "CRL issuer:" form."""
    return _render_openssl(name, " = ")


def render_subject_string(name: x509.Name) -> str:
    """`C=US, O=example, CN=RootCA`: the "Subject string:" form of `detail` output."""
    return _render_openssl(name, "=")


def render_fields(name: x509.Name) -> str:
    """`Organization: o1, ..., Common name: cn1`: the Issuer/Subject form of `detail` output."""
    return ", ".join(item for group in render_field_groups(name) for item in group)


def render_field_groups(name: x509.Name) -> list[list[str]]:
    """render_fields' items, one list per attribute type present (pkid wraps by type)."""
    groups = [[f"{label}: {_shown(attr)}" for attr in name.get_attributes_for_oid(oid)]
              for oid, label in _FIELD_LABELS]
    return [group for group in groups if group]


def render_ldap(name: x509.Name) -> str:
    """`CN=Foo, O=SSH, C=FI`: how kmd prints a der_asn1_dn IKE ID, most specific RDN first."""
    rdns = []
    for rdn in reversed(name.rdns):
        rdns.append(" + ".join(
            f"{_SSH_LDAP_NAMES.get(attr.oid, 'OID.' + attr.oid.dotted_string)}="
            f"{_ssh_escape(_text(attr))}"
            for attr in rdn
        ))
    return ", ".join(rdns)


def issued_to(name: x509.Name) -> str:
    """The "Issued to:" value: the first common name in the certificate's order.

    The guide shows no certificate without a CN; for one, this falls back to the oneline form.
    """
    common_names = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if common_names:
        return _shown(common_names[0])
    return render_oneline(name)


def _text(attr: x509.NameAttribute) -> str:
    value = attr.value
    return value if isinstance(value, str) else value.hex()


def _shown(attr: x509.NameAttribute) -> str:
    """An attribute's value for the renderings that escape nothing themselves: a certificate's
    text is anyone's, so a control character (a newline that would forge a line) is escaped
    as the logs escape it."""
    return escape(_text(attr))


def _render_openssl(name: x509.Name, equals: str) -> str:
    rdns = []
    for rdn in name.rdns:
        rdns.append(" + ".join(
            f"{_OPENSSL_NAMES.get(attr.oid, attr.oid.dotted_string)}{equals}"
            f"{_openssl_escape(_text(attr))}"
            for attr in rdn
        ))
    return ", ".join(rdns)


# RFC 2253 specials that OpenSSL's oneline form shows by quoting the whole value (it escapes the
# other two, '"' and backslash, with a backslash instead).
_QUOTED_SPECIALS = frozenset(",+<>;")


def _openssl_escape(value: str) -> str:
    # OpenSSL's X509_NAME_print_ex with XN_FLAG_ONELINE: control characters and every byte of
    # a non-ASCII character's UTF-8 become \XX; '"' and backslash get a backslash; a value
    # holding one of ,+<>; or starting with '#' or a space, or ending in one, is double-quoted.
    quoted = bool(value) and (
        value[0] in "# " or value[-1] == " " or any(c in _QUOTED_SPECIALS for c in value)
    )
    out = []
    for char in value:
        code = ord(char)
        if code < 0x20 or code == 0x7F:
            out.append(f"\\{code:02X}")
        elif code > 0x7F:
            out.extend(f"\\{byte:02X}" for byte in char.encode("utf-8"))
        elif char in '\\"':
            out.append("\\" + char)
        else:
            out.append(char)
    text = "".join(out)
    return f'"{text}"' if quoted else text


_SSH_ESCAPES = {'"': '\\"', "#": "\\#", "<": "\\<", ">": "\\>", "=": "\\=", "\\": "\\\\",
                ",": "\\,", ";": "\\;", "+": "\\+", "\0": "\\00"}


def _ssh_escape(value: str) -> str:
    return "".join(_SSH_ESCAPES.get(char, char) for char in value)
