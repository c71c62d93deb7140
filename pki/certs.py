"""Issuing X.509 certificates: CA certificates, end-entity certificates and self-signed ones.

A certificate's contents are described by an immutable `CertificateTemplate`; `issue` signs it
with the issuer's key. Nothing here reads the clock or the OS random source: dates and serial
numbers are part of the template, so the same template and key give the same certificate
(ECDSA signatures are made deterministic, RFC 6979, for the same reason; DSA ones cannot be).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from pki import proven
from pki.keys import PrivateKey, PublicKey
from pki.parse_errors import PARSE_ERRORS
from pki.signing import sign, signature_is_valid
from pki.working_key import working_public_key

DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=True, content_commitment=False, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
    encipher_only=False, decipher_only=False,
)
EE_KEY_USAGE = x509.KeyUsage(
    digital_signature=True, content_commitment=True, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
    encipher_only=False, decipher_only=False,
)


@dataclass(frozen=True, kw_only=True)
class CertificateTemplate:
    """What a certificate says, before it is signed."""

    subject: x509.Name
    public_key: PublicKey
    serial: int
    not_before: dt.datetime
    not_after: dt.datetime
    ca: bool = False
    path_length: int | None = None
    key_usage: x509.KeyUsage | None = None  # None: CA_KEY_USAGE or EE_KEY_USAGE by `ca`
    crl_urls: tuple[str, ...] = ()
    subject_alt_names: tuple[x509.GeneralName, ...] = ()
    ike_eku: bool = False
    digest: str | None = None  # None: what suits the issuer's key (see ca_signature_hash)
    extra_extensions: tuple[x509.Extension, ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.subject, x509.Name):
            raise TypeError("subject must be an x509.Name")
        if self.serial <= 0 or self.serial.bit_length() > 159:
            raise ValueError(f"serial {self.serial}: must be positive and at most 20 octets")
        for when in (self.not_before, self.not_after):
            if when.tzinfo is None:
                raise ValueError("validity dates must be timezone-aware")
        if self.not_before >= self.not_after:
            raise ValueError("not valid before must be before not valid after")
        if self.path_length is not None and (not self.ca or self.path_length < 0):
            raise ValueError("a path length constraint needs a CA certificate and a value >= 0")
        if self.digest is not None and self.digest not in DIGESTS:
            raise ValueError(f"digest {self.digest!r}: one of {', '.join(DIGESTS)}")


def ca_signature_hash(issuer_key: PrivateKey, digest: str | None = None
                      ) -> hashes.HashAlgorithm:
    """The hash a CA signs with: as asked (SHA-1 included, see pki.signing), else SHA-384 for
    P-384 keys, else SHA-256."""
    if digest is not None:
        return DIGESTS[digest]()
    if isinstance(issuer_key, ec.EllipticCurvePrivateKey) and issuer_key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def crl_distribution_points(urls: tuple[str, ...]) -> x509.CRLDistributionPoints:
    """One distribution point per URL (HTTP or LDAP), as CAs publish them."""
    return x509.CRLDistributionPoints([
        x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(url)],
            relative_name=None, reasons=None, crl_issuer=None,
        )
        for url in urls
    ])


def issue(template: CertificateTemplate, *, issuer_key: PrivateKey,
          issuer: x509.Certificate | None = None) -> x509.Certificate:
    """Sign `template` with `issuer_key`. Without `issuer` the certificate is self-signed."""
    if issuer is None:
        issuer_name = template.subject
        issuer_public = issuer_key.public_key()
        if issuer_public.public_numbers() != template.public_key.public_numbers():
            raise ValueError("a self-signed certificate must be signed by its own key")
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public)
    else:
        issuer_name = issuer.subject
        aki = _aki_from(issuer)
    key_usage = template.key_usage or (CA_KEY_USAGE if template.ca else EE_KEY_USAGE)
    builder = (
        x509.CertificateBuilder()
        .subject_name(template.subject)
        .issuer_name(issuer_name)
        .public_key(template.public_key)
        .serial_number(template.serial)
        .not_valid_before(template.not_before)
        .not_valid_after(template.not_after)
        .add_extension(x509.BasicConstraints(ca=template.ca, path_length=template.path_length),
                       critical=True)
        .add_extension(key_usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(template.public_key),
                       critical=False)
        .add_extension(aki, critical=False)
    )
    if template.crl_urls:
        builder = builder.add_extension(crl_distribution_points(template.crl_urls),
                                        critical=False)
    if template.subject_alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(template.subject_alt_names),
                                        critical=False)
    if template.ike_eku:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.IPSEC_IKE]), critical=False)
    for ext in template.extra_extensions:
        builder = builder.add_extension(ext.value, critical=ext.critical)
    return sign(builder, issuer_key, ca_signature_hash(issuer_key, template.digest))


def _aki_from(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    try:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key())
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def crl_urls_of(cert: x509.Certificate) -> tuple[str, ...]:
    """The URLs of a certificate's CRL distribution points, in the order it lists them."""
    try:
        cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except (x509.ExtensionNotFound, *PARSE_ERRORS):
        return ()
    return tuple(
        name.value
        for point in cdp
        for name in (point.full_name or ())
        if isinstance(name, x509.UniformResourceIdentifier)
    )


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except (x509.ExtensionNotFound, *PARSE_ERRORS):
        return False


# Whether a certificate is self-signed, by the certificate (its DER): pkid asks it of every
# trust anchor on every verification.
_SELF_SIGNED: proven.Memo[x509.Certificate, bool] = proven.Memo(4096)


def is_self_signed(cert: x509.Certificate) -> bool:
    """Self-issued and verifiable with its own key (SHA-1 included: Junos's default, which
    `verify_directly_issued_by` refuses); False for a key or algorithm pki cannot use."""
    known = _SELF_SIGNED.get(cert)
    if known is None:
        known = _is_self_signed(cert)
        _SELF_SIGNED.put(cert, known)
    return known


def _is_self_signed(cert: x509.Certificate) -> bool:
    if cert.subject != cert.issuer:
        return False
    try:
        return signature_is_valid(cert, working_public_key(cert, None))
    except PARSE_ERRORS:
        return False
