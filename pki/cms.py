"""Just the CMS (RFC 5652) that SCEP (RFC 8894) needs, written and read as DER.

- SignedData with signed attributes, one signer identified by issuerAndSerialNumber, RSA
  PKCS#1 v1.5 with SHA-256 or SHA-1 (`sign`, `read_signed`);
- degenerate certificates-only SignedData (`certs_only`, `read_certs_only`);
- EnvelopedData: pki.cms_envelope, with the structure helpers of this module.

`cryptography` builds PKCS#7 but not with SCEP's own signed attributes, so the structures are
written here with pki.der; every signature, hash and cipher is `cryptography`'s. Input comes from
the network: parsing is strict (DER only, every field where RFC 5652 puts it, sizes bounded
before anything is read) and every failure is one CmsError line.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from pki import der
from pki.parse_errors import PARSE_ERRORS

__all__ = [
    "MAX_MESSAGE",
    "CmsError",
    "Signed",
    "certs_only",
    "read_certs_only",
    "read_signed",
    "sign",
]

# No SCEP message carries more than a request or a short chain: refuse bigger ones unread.
MAX_MESSAGE = 64 * 1024
_MAX_CERTIFICATES = 8
_MAX_ATTRIBUTES = 16

ID_DATA = der.encode_oid("1.2.840.113549.1.7.1")
ID_SIGNED_DATA = der.encode_oid("1.2.840.113549.1.7.2")
ID_ENVELOPED_DATA = der.encode_oid("1.2.840.113549.1.7.3")
ID_CONTENT_TYPE = der.encode_oid("1.2.840.113549.1.9.3")
ID_MESSAGE_DIGEST = der.encode_oid("1.2.840.113549.1.9.4")
_RSA_OID = der.encode_oid("1.2.840.113549.1.1.1")
_RSA_ENCRYPTION = der.encode(der.SEQUENCE, _RSA_OID + b"\x05\x00")
_DIGESTS: dict[bytes, type[hashes.HashAlgorithm]] = {
    der.encode_oid("2.16.840.1.101.3.4.2.1"): hashes.SHA256,
    der.encode_oid("1.3.14.3.2.26"): hashes.SHA1,
}
# Signature algorithms a SignerInfo may name for RSA: rsaEncryption or the hash-specific ones.
_RSA_SIGNATURES = {
    _RSA_OID,
    der.encode_oid("1.2.840.113549.1.1.5"),
    der.encode_oid("1.2.840.113549.1.1.11"),
}
class CmsError(ValueError):
    """A CMS message that is not what SCEP expects; str() says what, in one line."""


@dataclass(frozen=True, kw_only=True)
class Signed:
    """A SignedData whose signature held: what it carried and who signed it."""

    content: bytes | None  # the encapsulated content (None: absent, as in a PENDING CertRep)
    attributes: dict[bytes, der.Element]  # signed attributes by OID encoding: the one value
    signer: x509.Certificate
    certificates: tuple[x509.Certificate, ...]


# --- writing -------------------------------------------------------------------------------

def _seq(*parts: bytes) -> bytes:
    return der.encode(der.SEQUENCE, b"".join(parts))


def _content_info(kind: bytes, content: bytes) -> bytes:
    return _seq(kind, der.encode(0xA0, content))


def _digest_algorithm(algorithm: hashes.HashAlgorithm) -> bytes:
    oid = next(oid for oid, kind in _DIGESTS.items() if isinstance(algorithm, kind))
    return _seq(oid)


def issuer_and_serial(certificate: x509.Certificate) -> bytes:
    """The IssuerAndSerialNumber naming `certificate`."""
    return _seq(certificate.issuer.public_bytes(), der.encode_integer(certificate.serial_number))


def _certificate_set(certificates: tuple[x509.Certificate, ...]) -> bytes:
    # Kept in the order given, not sorted as DER's SET OF would be: GetCACert's order is what
    # the device lists (the guide's sample), and CAs and OpenSSL write them unsorted too.
    return der.encode(0xA0, b"".join(c.public_bytes(Encoding.DER) for c in certificates))


def attribute(oid: bytes, value: bytes) -> bytes:
    """An Attribute with one value (both given as DER)."""
    return _seq(oid, der.encode_set([value]))


def sign(*, content: bytes | None, attributes: list[bytes], certificate: x509.Certificate,
         key: rsa.RSAPrivateKey, algorithm: hashes.HashAlgorithm) -> bytes:
    """A ContentInfo holding SignedData over `content` (id-data), signed by `key` whose
    certificate it carries; `attributes` (from `attribute`) join contentType and messageDigest
    in the signed attributes."""
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CmsError("SCEP messages are signed with RSA keys only")
    digest = hashes.Hash(algorithm)
    digest.update(content or b"")
    signed_attributes = der.encode_set([
        attribute(ID_CONTENT_TYPE, ID_DATA),
        attribute(ID_MESSAGE_DIGEST, der.encode(der.OCTET_STRING, digest.finalize())),
        *attributes,
    ])
    # The signature covers the attributes' DER with a SET tag; the message carries them [0].
    signature = key.sign(signed_attributes, rsa_padding.PKCS1v15(), algorithm)
    signer_info = _seq(
        der.encode_integer(1), issuer_and_serial(certificate), _digest_algorithm(algorithm),
        b"\xa0" + signed_attributes[1:], _RSA_ENCRYPTION,
        der.encode(der.OCTET_STRING, signature),
    )
    # Content present even when empty (a PENDING or FAILURE CertRep): OpenSSL's cms -verify
    # will not check a SignedData without it.
    encapsulated = ID_DATA + der.encode(0xA0, der.encode(der.OCTET_STRING, content or b""))
    signed_data = _seq(
        der.encode_integer(1), der.encode_set([_digest_algorithm(algorithm)]),
        _seq(encapsulated), _certificate_set((certificate,)), der.encode_set([signer_info]),
    )
    return _content_info(ID_SIGNED_DATA, signed_data)


def certs_only(certificates: tuple[x509.Certificate, ...]) -> bytes:
    """A degenerate SignedData: certificates, no content, no signer (RFC 8894 3.4)."""
    if not certificates:
        raise CmsError("a certificates-only message needs a certificate")
    signed_data = _seq(der.encode_integer(1), der.encode(der.SET, b""), _seq(ID_DATA),
                       _certificate_set(certificates), der.encode(der.SET, b""))
    return _content_info(ID_SIGNED_DATA, signed_data)


# --- reading -------------------------------------------------------------------------------

_TAG_NAMES = {der.SEQUENCE: "a SEQUENCE", der.SET: "a SET", 0xA0: "[0]"}


def _children(element: der.Element, what: str, count: tuple[int, int],
              tag: int = der.SEQUENCE) -> list[der.Element]:
    """The fields of `element`, which must have `tag` and `count` (low, high) fields."""
    if element.tag != tag:
        raise CmsError(f"{what}: expected {_TAG_NAMES[tag]}")
    try:
        found = element.children()
    except der.DerError as error:
        raise CmsError(f"{what}: {error}") from None
    low, high = count
    if not low <= len(found) <= high:
        raise CmsError(f"{what}: {len(found)} fields, expected {low} to {high}")
    return found


def _content(data: bytes, kind: bytes, what: str) -> der.Element:
    """The content of the ContentInfo `data`, which must be of `kind`."""
    if not isinstance(data, bytes | bytearray):
        raise CmsError(f"{what}: not bytes")
    if len(data) > MAX_MESSAGE:
        raise CmsError(f"{what}: {len(data)} bytes, more than the {MAX_MESSAGE} allowed")
    try:
        outer = der.read_one(bytes(data))
    except der.DerError as error:
        raise CmsError(f"{what}: {error}") from None
    oid, wrapped = _children(outer, what, (2, 2))
    if oid.encoding != kind:
        raise CmsError(f"{what}: content type is not the one expected")
    if wrapped.tag != 0xA0:
        raise CmsError(f"{what}: content is not [0] EXPLICIT")
    (inner,) = _children(wrapped, what, (1, 1), 0xA0)
    return inner


def _integer(element: der.Element, what: str) -> int:
    try:
        return der.decode_integer(element)
    except der.DerError:
        raise CmsError(f"{what}: expected an INTEGER") from None


def _octets(element: der.Element, what: str) -> bytes:
    if element.tag != der.OCTET_STRING:
        raise CmsError(f"{what}: expected an OCTET STRING")
    return element.content


def _certificates(element: der.Element) -> tuple[x509.Certificate, ...]:
    members = _children(element, "certificates", (0, _MAX_CERTIFICATES), 0xA0)
    found = []
    for member in members:
        try:
            found.append(x509.load_der_x509_certificate(member.encoding))
        except PARSE_ERRORS:
            raise CmsError("certificates: one is not an X.509 certificate") from None
    return tuple(found)


def _signed_data(data: bytes, what: str) -> tuple[list[der.Element], der.Element | None,
                                                  tuple[x509.Certificate, ...], list[der.Element]]:
    """SignedData's digest algorithms, encapsulated content, certificates and signer infos."""
    fields = _children(_content(data, ID_SIGNED_DATA, what), what, (4, 6))
    if _integer(fields[0], f"{what} version") not in (1, 3):
        raise CmsError(f"{what}: SignedData version is not 1 or 3")
    digests = _children(fields[1], f"{what} digest algorithms", (0, 4), der.SET)
    encapsulated = _children(fields[2], f"{what} content", (1, 2))
    if encapsulated[0].encoding != ID_DATA:
        raise CmsError(f"{what}: encapsulated content is not id-data")
    content = None
    if len(encapsulated) == 2:
        if encapsulated[1].tag != 0xA0:
            raise CmsError(f"{what}: encapsulated content is not [0] EXPLICIT")
        (content,) = _children(encapsulated[1], f"{what} content", (1, 1), 0xA0)
        if content.tag != der.OCTET_STRING:
            raise CmsError(f"{what}: encapsulated content is not an OCTET STRING")
    certificates: tuple[x509.Certificate, ...] = ()
    for extra in fields[3:-1]:
        if extra.tag == 0xA0:
            certificates = _certificates(extra)
        elif extra.tag != 0xA1:  # [1] CRLs: SCEP's messages carry none worth reading
            raise CmsError(f"{what}: unexpected field in SignedData")
    if fields[-1].tag != der.SET:
        raise CmsError(f"{what}: signer infos are not a SET")
    signers = _children(fields[-1], f"{what} signer infos", (0, 1), der.SET)
    return digests, content, certificates, signers


def read_certs_only(data: bytes) -> tuple[x509.Certificate, ...]:
    """The certificates of a degenerate SignedData, in the order it holds them."""
    _, content, certificates, signers = _signed_data(data, "certificates-only message")
    if content is not None and content.content or signers:
        raise CmsError("certificates-only message: it has content or a signer")
    if not certificates:
        raise CmsError("certificates-only message: no certificate in it")
    return certificates


def read_signed(data: bytes, *, what: str,
                signer: x509.Certificate | None = None) -> Signed:
    """The SignedData in `data`, once its one signature holds.

    The signer is `signer` when given (a CertRep must come from the CA the device trusts),
    otherwise the carried certificate its issuerAndSerialNumber names (a request's transient
    or old certificate, which the CA judges itself).
    """
    _, content, certificates, signers = _signed_data(data, what)
    if len(signers) != 1:
        raise CmsError(f"{what}: not signed")
    fields = _children(signers[0], f"{what} signer info", (6, 7))
    version, sid, digest_algorithm, signed_attributes = fields[:4]
    if _integer(version, f"{what} signer version") != 1:
        raise CmsError(f"{what}: signer info version is not 1 (issuerAndSerialNumber)")
    candidates = (signer,) if signer is not None else certificates
    found = next((c for c in candidates if issuer_and_serial(c) == sid.encoding), None)
    if found is None:
        raise CmsError(f"{what}: signed by a certificate "
                       + ("other than the CA's" if signer is not None else "it does not carry"))
    algorithm_fields = _children(digest_algorithm, f"{what} digest algorithm", (1, 2))
    kind = _DIGESTS.get(algorithm_fields[0].encoding)
    if kind is None:
        raise CmsError(f"{what}: digest algorithm is not SHA-256 or SHA-1")
    if signed_attributes.tag != 0xA0:
        raise CmsError(f"{what}: no signed attributes")
    signature_algorithm, signature = fields[4], fields[5]
    if _children(signature_algorithm, f"{what} signature algorithm", (1, 2))[0].encoding \
            not in _RSA_SIGNATURES:
        raise CmsError(f"{what}: signature algorithm is not RSA")
    try:
        public = found.public_key()
    except PARSE_ERRORS:
        public = None
    if not isinstance(public, rsa.RSAPublicKey):
        raise CmsError(f"{what}: the signer's key is not RSA")
    try:
        public.verify(_octets(signature, f"{what} signature"),
                      b"\x31" + signed_attributes.encoding[1:], rsa_padding.PKCS1v15(), kind())
    except InvalidSignature:
        raise CmsError(f"{what}: signature does not verify") from None
    attributes = _attributes(signed_attributes, what)
    digest = hashes.Hash(kind())
    digest.update(b"" if content is None else content.content)
    if attributes.get(ID_CONTENT_TYPE, None) is None \
            or attributes[ID_CONTENT_TYPE].encoding != ID_DATA:
        raise CmsError(f"{what}: contentType attribute is not id-data")
    message_digest = attributes.get(ID_MESSAGE_DIGEST)
    if message_digest is None or _octets(message_digest, what) != digest.finalize():
        raise CmsError(f"{what}: messageDigest does not match the content")
    return Signed(content=None if content is None else content.content, attributes=attributes,
                  signer=found, certificates=certificates)


def _attributes(element: der.Element, what: str) -> dict[bytes, der.Element]:
    found: dict[bytes, der.Element] = {}
    for item in _children(element, f"{what} signed attributes", (1, _MAX_ATTRIBUTES), 0xA0):
        oid, values = _children(item, f"{what} attribute", (2, 2))
        if oid.tag != der.OBJECT_IDENTIFIER or values.tag != der.SET:
            raise CmsError(f"{what}: malformed attribute")
        if oid.encoding in found:
            raise CmsError(f"{what}: an attribute appears twice")
        (found[oid.encoding],) = _children(values, f"{what} attribute value", (1, 1), der.SET)
    return found
