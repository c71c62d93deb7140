"""PKCS #10 requests, as `request security pki generate-certificate-request` makes them.

    request security pki generate-certificate-request certificate-id ID subject S
        [domain-name D] [ip-address A] [email E] [digest (sha1 | sha256)] [add-ca-constraint]

The request carries the subject (pki.names), a subjectAltName built from domain-name, ip-address
and email (the guide: "You must use a domain-name, an ip-address, or an e-mail address"), a key
usage of digitalSignature, both critical as in the guide's sample request (Chapter 16: its
extensionRequest decodes to those two), and with add-ca-constraint a basicConstraints CA:TRUE.
Its signature hash follows Chapter 1: RSA signs with SHA-1 unless `digest sha256`, DSA always
with SHA-1, ECDSA with SHA-256 for P-256 keys and SHA-384 for P-384 keys.

SHA-1 requests are signed through pki.signing, since cryptography's builders refuse SHA-1, and
checked there too (request_signature_holds): cryptography's is_signature_valid reports every
SHA-1 request invalid.
"""

from __future__ import annotations

import enum
import hashlib
import ipaddress
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

from pki.keys import PrivateKey
from pki.names import is_email_address, parse_subject
from pki.parse_errors import PARSE_ERRORS
from pki.signing import sign, signature_is_valid

__all__ = [
    "Digest",
    "RequestParams",
    "build_request",
    "colon_hex",
    "fingerprint_lines",
    "render_generated_request",
    "request_signature_holds",
    "signature_hash",
]


class Digest(enum.Enum):
    """The `digest` option."""

    SHA1 = "sha1"
    SHA256 = "sha256"


@dataclass(frozen=True, kw_only=True)
class RequestParams:
    """The options of generate-certificate-request (and of local-certificate
    generate-self-signed, which takes the same ones).

    `device_serial` stands in for the device: it fills a subject `SN` given without a value.
    """

    certificate_id: str
    subject: str
    domain_name: str | None = None
    ip_address: str | None = None
    email: str | None = None
    digest: Digest | None = None  # None: the default for the key (see signature_hash)
    add_ca_constraint: bool = False
    device_serial: str | None = None
    subject_name: x509.Name = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.certificate_id, str) or not isinstance(self.subject, str):
            raise TypeError("certificate-id and subject must be str")
        if not self.certificate_id or any(c.isspace() for c in self.certificate_id):
            raise ValueError(f"certificate-id {self.certificate_id!r}: one word, not empty")
        for option in ("domain_name", "ip_address", "email", "device_serial"):
            value = getattr(self, option)
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{option.replace('_', '-')} must be a str or None")
        if self.digest is not None and not isinstance(self.digest, Digest):
            raise TypeError(f"digest must be a Digest, not {type(self.digest).__name__}")
        if not (self.domain_name or self.ip_address or self.email):
            raise ValueError("one of domain-name, ip-address or email is required")
        if self.domain_name is not None and (
            not self.domain_name or any(c.isspace() for c in self.domain_name)
        ):
            raise ValueError(f"domain-name {self.domain_name!r} is not a domain name")
        if self.ip_address is not None:
            try:
                ipaddress.ip_address(self.ip_address)
            except ValueError:
                raise ValueError(f"ip-address {self.ip_address!r} is not an IP address") from None
        if self.email is not None and not is_email_address(self.email):
            raise ValueError(f"email {self.email!r} is not an e-mail address")
        object.__setattr__(self, "subject_name",
                           parse_subject(self.subject, device_serial=self.device_serial))

    def subject_alternative_name(self) -> x509.SubjectAlternativeName:
        """E-mail, then FQDN, then IP: the order Junos shows "Alternate subject:" in."""
        names: list[x509.GeneralName] = []
        if self.email:
            names.append(x509.RFC822Name(self.email))
        if self.domain_name:
            names.append(x509.DNSName(self.domain_name))
        if self.ip_address:
            names.append(x509.IPAddress(ipaddress.ip_address(self.ip_address)))
        return x509.SubjectAlternativeName(names)


def signature_hash(key: PrivateKey, digest: Digest | None = None) -> hashes.HashAlgorithm:
    """The hash Junos signs with for `key` and the `digest` option (guide, Chapter 1)."""
    if isinstance(key, rsa.RSAPrivateKey):
        return hashes.SHA256() if digest is Digest.SHA256 else hashes.SHA1()
    if isinstance(key, dsa.DSAPrivateKey):
        if digest not in (None, Digest.SHA1):
            raise ValueError(f"digest {digest.value}: DSA signatures use SHA-1 only")
        return hashes.SHA1()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        wanted = hashes.SHA384() if key.curve.key_size >= 384 else hashes.SHA256()
        if digest is not None and digest.value != wanted.name:
            raise ValueError(
                f"digest {digest.value}: ECDSA-{key.curve.key_size} signatures use {wanted.name}"
            )
        return wanted
    raise TypeError(f"cannot sign with a {type(key).__name__}")


def build_request(key: PrivateKey, params: RequestParams) -> x509.CertificateSigningRequest:
    """The PKCS #10 request generate-certificate-request makes from `key` and `params`."""
    if not isinstance(params, RequestParams):
        raise TypeError(f"params must be RequestParams, not {type(params).__name__}")
    builder = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(params.subject_name)
        .add_extension(params.subject_alternative_name(), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
    )
    if params.add_ca_constraint:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None),
                                        critical=True)
    return sign(builder, key, signature_hash(key, params.digest))


def request_signature_holds(csr: x509.CertificateSigningRequest) -> bool:
    """Whether the request's signature verifies with the key it holds, SHA-1 included; False
    (never an exception) for one that does not or cannot be checked (an unknown algorithm)."""
    try:
        return signature_is_valid(csr)
    except PARSE_ERRORS:
        return False


# --- output -------------------------------------------------------------------------------

def colon_hex(data: bytes) -> str:
    """`0d:90:b8:...`: how Junos prints fingerprints."""
    return ":".join(f"{byte:02x}" for byte in data)


def fingerprint_lines(der: bytes, *, md5: bool = True) -> list[str]:
    """The `Fingerprint:` block: SHA-1, then MD5 (which FIPS images leave out)."""
    lines = ["Fingerprint:", f"{colon_hex(hashlib.sha1(der).digest())} (sha1)"]
    if md5:
        lines.append(f"{colon_hex(hashlib.md5(der, usedforsecurity=False).digest())} (md5)")
    return lines


def render_generated_request(csr: x509.CertificateSigningRequest, *, md5: bool = True) -> str:
    """What generate-certificate-request prints: a title, the PEM request, its fingerprints."""
    pem = csr.public_bytes(serialization.Encoding.PEM).decode("ascii").rstrip("\n")
    der = csr.public_bytes(serialization.Encoding.DER)
    return "\n".join(["Generated certificate request", pem, *fingerprint_lines(der, md5=md5)])
