"""Signing and checking X.509 objects with any hash Junos uses, SHA-1 included.

cryptography (50) refuses SHA-1 in its builders' sign() and reports SHA-1 signatures invalid in
is_signature_valid / verify_directly_issued_by, while SHA-1 is Junos's default (the guide's CAs
sign with sha1WithRSAEncryption). `sign` makes SHA-1 requests, certificates and CRLs by signing
the to-be-signed DER itself; `signature_is_valid` checks any of them with the public-key
primitives. Other hashes go through cryptography's own builders.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa

from pki.keys import PrivateKey

_Builder = (x509.CertificateSigningRequestBuilder | x509.CertificateBuilder
            | x509.CertificateRevocationListBuilder)
_Signed = x509.CertificateSigningRequest | x509.Certificate | x509.CertificateRevocationList

# AlgorithmIdentifier DER for SHA-1 signatures: sha1WithRSAEncryption (with NULL parameters),
# id-dsa-with-sha1 and ecdsa-with-SHA1 (without).
_SHA1_ALGORITHMS = {
    rsa.RSAPrivateKey: bytes.fromhex("300d06092a864886f70d0101050500"),
    dsa.DSAPrivateKey: bytes.fromhex("300906072a8648ce380403"),
    ec.EllipticCurvePrivateKey: bytes.fromhex("300906072a8648ce3d0401"),
}


def sign(builder: _Builder, key: PrivateKey, algorithm: hashes.HashAlgorithm) -> _Signed:
    """`builder.sign(key, algorithm)`, which also works for SHA-1.

    ECDSA signatures are deterministic (RFC 6979) so that runs repeat; DSA ones cannot be.
    """
    if not isinstance(builder, _Builder):
        raise TypeError(f"cannot sign a {type(builder).__name__}")
    kwargs = {"ecdsa_deterministic": True} if isinstance(key, ec.EllipticCurvePrivateKey) else {}
    if not isinstance(algorithm, hashes.SHA1):
        return builder.sign(key, algorithm, **kwargs)
    # Let cryptography encode everything with SHA-256, then put SHA-1's algorithm identifier in
    # its place (in a certificate or CRL it is also inside the signed part) and sign again.
    draft = builder.sign(key, hashes.SHA256(), **kwargs)
    tbs, draft_algorithm, _ = _children(draft.public_bytes(serialization.Encoding.DER))
    sha1_algorithm = next(der for kind, der in _SHA1_ALGORITHMS.items() if isinstance(key, kind))
    tbs = _tlv(0x30, b"".join(
        sha1_algorithm if child == draft_algorithm else child for child in _children(tbs)
    ))
    signature = _raw_sign(key, tbs, algorithm)
    der = _tlv(0x30, tbs + sha1_algorithm + _tlv(0x03, b"\x00" + signature))
    if isinstance(builder, x509.CertificateSigningRequestBuilder):
        return x509.load_der_x509_csr(der)
    if isinstance(builder, x509.CertificateBuilder):
        return x509.load_der_x509_certificate(der)
    return x509.load_der_x509_crl(der)


def verify_with_key(signed: _Signed, key: object) -> None:
    """Raise InvalidSignature unless `key` signed `signed` (RSA PKCS#1 v1.5 or PSS, DSA,
    ECDSA; SHA-1 included); TypeError for a key of another kind.

    UnsupportedAlgorithm comes through from `cryptography` for unknown signature algorithms.
    """
    if isinstance(signed, x509.CertificateSigningRequest):
        data = signed.tbs_certrequest_bytes
    elif isinstance(signed, x509.Certificate):
        data = signed.tbs_certificate_bytes
    elif isinstance(signed, x509.CertificateRevocationList):
        data = signed.tbs_certlist_bytes
    else:
        raise TypeError(f"cannot verify a {type(signed).__name__}")
    digest = signed.signature_hash_algorithm
    params = signed.signature_algorithm_parameters
    if isinstance(key, rsa.RSAPublicKey):
        pad = params if isinstance(params, padding.PSS | padding.PKCS1v15) else padding.PKCS1v15()
        key.verify(signed.signature, data, pad, digest)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signed.signature, data, ec.ECDSA(digest))
    elif isinstance(key, dsa.DSAPublicKey):
        key.verify(signed.signature, data, digest)
    else:
        raise TypeError(f"cannot verify with a {type(key).__name__}")


def signature_is_valid(signed: _Signed, public_key: object | None = None) -> bool:
    """Whether `signed` verifies with `public_key` (a request's own key when None)."""
    if public_key is None:
        if not isinstance(signed, x509.CertificateSigningRequest):
            raise TypeError("a certificate or CRL needs its issuer's public key")
        public_key = signed.public_key()
    try:
        verify_with_key(signed, public_key)
    except InvalidSignature:
        return False
    return True


def crl_signed_by(crl: x509.CertificateRevocationList, key: object) -> bool:
    """Whether `key` signed `crl`; False also for a key that cannot have (another kind)."""
    try:
        return signature_is_valid(crl, key)
    except (TypeError, ValueError):
        return False


def _raw_sign(key: PrivateKey, data: bytes, algorithm: hashes.HashAlgorithm) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), algorithm)
    if isinstance(key, dsa.DSAPrivateKey):
        return key.sign(data, algorithm)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(algorithm, deterministic_signing=True))
    raise TypeError(f"cannot sign with a {type(key).__name__}")


def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _children(der: bytes) -> list[bytes]:
    """The complete DER encodings of the elements of the SEQUENCE `der`."""
    content, rest = _split_tlv(der)
    if rest:
        raise ValueError("trailing bytes after a DER SEQUENCE")
    children = []
    while content:
        start = len(content)
        _, after = _split_tlv(content)
        children.append(content[:start - len(after)])
        content = after
    return children


def _split_tlv(der: bytes) -> tuple[bytes, bytes]:
    # (content, what follows) of the first DER element; tags here are single-byte.
    first = der[1]
    if first < 0x80:
        length, offset = first, 2
    else:
        width = first & 0x7F
        length, offset = int.from_bytes(der[2:2 + width], "big"), 2 + width
    if offset + length > len(der):
        raise ValueError("truncated DER element")
    return der[offset:offset + length], der[offset + length:]
