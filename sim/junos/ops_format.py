"""What every `show security pki ...` output shares (guide, Chapter 16 sample outputs and
Tables 3-6): dates, serial numbers, the public key dump, algorithm and key-usage names, the
"Alternate subject:" and "Fingerprint:" fields.

Times are printed in UTC, as the certificates hold them; the device's time zone is not applied.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import SignatureAlgorithmOID

from pki import der
from pki.csr import colon_hex
from pki.escape import escape
from pki.keys import PublicKey
from pki.working_key import inherits_parameters, read_spki, spki_of

__all__ = [
    "alternate_subject",
    "certificate_key_algorithm",
    "crl_version",
    "SIGNATURE_OCTETS",
    "fingerprint_block",
    "hex_lines",
    "junos_date",
    "key_dump",
    "public_key_algorithm",
    "request_alternate_subject",
    "serial_hex",
    "signature_algorithm",
    "use_for_key_items",
]

KEY_DUMP_OCTETS = 20  # the guide's dumps hold 20 octets a line
SIGNATURE_OCTETS = 22  # a request's "verification hash" holds 22 (Chapter 16's sample)


def junos_date(when: dt.datetime) -> str:
    """`08- 8-2012 17:02`: month with a zero, day padded with a space, year, hours:minutes."""
    if when.tzinfo is None:
        raise ValueError("a time to print must be timezone-aware")
    when = when.astimezone(dt.UTC)
    return f"{when.month:02d}-{when.day:2d}-{when.year} {when:%H:%M}"


def serial_hex(serial: int, *, upper: bool = False) -> str:
    """The serial's octets in hex (`0712dc31`: a leading zero octet is kept, as the guide's
    sample shows); upper case in a CRL's revocation list (`10647C84`)."""
    if serial >= 0:
        octets = serial.to_bytes(max(1, (serial.bit_length() + 7) // 8), "big")
    else:  # two's complement, as DER holds it (real CRLs carry negative serials)
        octets = serial.to_bytes((serial.bit_length() + 8) // 8, "big", signed=True)
    text = octets.hex()
    return text.upper() if upper else text


def public_key_algorithm(key: PublicKey) -> str:
    """`rsaEncryption(1024 bits)`; DSA and ECDSA keys by analogy (the guide shows only RSA)."""
    if isinstance(key, rsa.RSAPublicKey):
        return f"rsaEncryption({key.key_size} bits)"
    if isinstance(key, dsa.DSAPublicKey):
        return f"dsaEncryption({key.key_size} bits)"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"ecdsaEncryption({key.curve.key_size} bits)"
    raise TypeError(f"not a supported public key: {type(key).__name__}")


def certificate_key_algorithm(cert: x509.Certificate) -> str:
    """public_key_algorithm of the key `cert` certifies. A certificate may hold a key pkid
    cannot use (a CA certificate loaded by hand, a peer's dynamic CA): `show` names its
    algorithm's OID instead of failing."""
    if inherits_parameters(cert):
        return "dsaEncryption(parameters inherited from the issuer)"
    try:
        return public_key_algorithm(cert.public_key())
    except (UnsupportedAlgorithm, ValueError, TypeError):
        return f"unsupported({cert.public_key_algorithm_oid.dotted_string})"


def key_dump(holder: PublicKey | x509.Certificate) -> list[str]:
    """The subjectPublicKey bits of a key or of the key a certificate holds, as DER has them
    (for RSA the PKCS #1 RSAPublicKey, `30:81:89:02:81:81:00:...`), 20 octets a line."""
    if isinstance(holder, x509.Certificate):
        spki = spki_of(holder)
    else:
        spki = read_spki(holder.public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo))
    return hex_lines(spki.key, octets=KEY_DUMP_OCTETS)


def hex_lines(data: bytes, *, octets: int) -> list[str]:
    """`data` in colon hex, `octets` a line."""
    return [colon_hex(data[i:i + octets]) for i in range(0, len(data), octets)]


# OpenSSL's long names, as "Signature algorithm:" shows them (sha1WithRSAEncryption).
_SIGNATURE_NAMES = {
    SignatureAlgorithmOID.RSA_WITH_MD5: "md5WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA1: "sha1WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA224: "sha224WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA256: "sha256WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA384: "sha384WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA512: "sha512WithRSAEncryption",
    SignatureAlgorithmOID.RSASSA_PSS: "rsassaPss",
    SignatureAlgorithmOID.DSA_WITH_SHA1: "dsaWithSHA1",
    SignatureAlgorithmOID.DSA_WITH_SHA256: "dsa_with_SHA256",
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "ecdsa-with-SHA1",
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: "ecdsa-with-SHA256",
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: "ecdsa-with-SHA384",
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: "ecdsa-with-SHA512",
}


def signature_algorithm(item: x509.Certificate | x509.CertificateSigningRequest) -> str:
    oid = item.signature_algorithm_oid
    return _SIGNATURE_NAMES.get(oid, oid.dotted_string)


# Key usages from the highest bit down: the guide's samples list "CRL signing, Certificate
# signing, Key encipherment, Digital signature" and "CRL signing, Certificate signing, Non
# repudiation", which is that order.
_KEY_USAGES = (
    ("decipher_only", "Decipher only"),
    ("encipher_only", "Encipher only"),
    ("crl_sign", "CRL signing"),
    ("key_cert_sign", "Certificate signing"),
    ("key_agreement", "Key agreement"),
    ("data_encipherment", "Data encipherment"),
    ("key_encipherment", "Key encipherment"),
    ("content_commitment", "Non repudiation"),
    ("digital_signature", "Digital signature"),
)


def use_for_key_items(extensions: x509.Extensions) -> tuple[list[str], list[str]]:
    """"Use for key:" in two lists: key usages by name (`Key encipherment, Digital
    signature`), then extended key usages by OID (`1.3.6.1.5.5.8.2.2`)."""
    names: list[str] = []
    try:
        usage = extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None:
        for attribute, label in _KEY_USAGES:
            if attribute in ("encipher_only", "decipher_only") and not usage.key_agreement:
                continue  # undefined without keyAgreement (cryptography raises)
            if getattr(usage, attribute):
                names.append(label)
    try:
        extended = [oid.dotted_string for oid in
                    extensions.get_extension_for_class(x509.ExtendedKeyUsage).value]
    except x509.ExtensionNotFound:
        extended = []
    return names, extended


def alternate_subject(extensions: x509.Extensions) -> str | None:
    """`"ernie@example.net", ernie.example.net, 10.1.2.3`: e-mail (quoted), FQDN, IP, with
    `email empty` / `fqdn empty` / `ip empty` for a missing one; None without subjectAltName."""
    try:
        san = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    emails = san.get_values_for_type(x509.RFC822Name)
    fqdns = san.get_values_for_type(x509.DNSName)
    ips = san.get_values_for_type(x509.IPAddress)
    return ", ".join([  # a certificate's text is anyone's: escaped, as the logs escape it
        f'"{escape(emails[0])}"' if emails else "email empty",
        escape(fqdns[0]) if fqdns else "fqdn empty",
        str(ips[0]) if ips else "ip empty",
    ])


def request_alternate_subject(extensions: x509.Extensions) -> str | None:
    """A request's "Alternate subject:": the names it holds (e-mail quoted, FQDN, IP), without
    alternate_subject's "empty" placeholders (Chapter 16's sample: `102.168.72.124`)."""
    try:
        san = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    shown = [*(f'"{escape(e)}"' for e in san.get_values_for_type(x509.RFC822Name)[:1]),
             *(escape(d) for d in san.get_values_for_type(x509.DNSName)[:1]),
             *(str(ip) for ip in san.get_values_for_type(x509.IPAddress)[:1])]
    return ", ".join(shown) or None


def fingerprint_block(der: bytes, *, indent: str) -> list[str]:
    """`Fingerprint:` then the SHA-1 and MD5 lines, indented two more than the title."""
    return [
        f"{indent}Fingerprint:",
        f"{indent}  {colon_hex(hashlib.sha1(der).digest())} (sha1)",
        f"{indent}  {colon_hex(hashlib.md5(der, usedforsecurity=False).digest())} (md5)",
    ]


def crl_version(crl: x509.CertificateRevocationList) -> str:
    """`V00000001`: the version field as DER holds it (1 for a v2 CRL, absent for v1)."""
    tbs = der.read(crl.public_bytes(serialization.Encoding.DER))[0].children()[0]
    first = der.read(tbs.content)[0]  # CertificateList { TBSCertList { version? ...
    version = der.decode_integer(first) if first.tag == der.INTEGER else 0
    return f"V{version:08d}"
