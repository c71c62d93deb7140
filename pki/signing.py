"""Signing and checking X.509 objects with any hash Junos uses, SHA-1 included.

cryptography (50) refuses SHA-1 in its builders' sign() and reports SHA-1 signatures invalid in
is_signature_valid / verify_directly_issued_by, while SHA-1 is Junos's default (the guide's CAs
sign with sha1WithRSAEncryption). `sign` makes SHA-1 requests, certificates and CRLs by signing
the to-be-signed DER itself; `signature_is_valid` checks any of them with the public-key
primitives. Other hashes go through cryptography's own builders.
"""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa

from pki import der, proven
from pki.dsa_rfc6979 import sign_digest
from pki.keys import PrivateKey
from pki.parse_errors import PARSE_ERRORS
from pki.working_key import UnusableKey, signed_tbs, working_public_key

_Builder = (x509.CertificateSigningRequestBuilder | x509.CertificateBuilder
            | x509.CertificateRevocationListBuilder)
_Signed = x509.CertificateSigningRequest | x509.Certificate | x509.CertificateRevocationList
_PUBLIC_KEYS = (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, dsa.DSAPublicKey)

# AlgorithmIdentifier DER for SHA-1 signatures: sha1WithRSAEncryption (with NULL parameters),
# id-dsa-with-sha1 and ecdsa-with-SHA1 (without).
_SHA1_ALGORITHMS = {
    rsa.RSAPrivateKey: bytes.fromhex("300d06092a864886f70d0101050500"),
    dsa.DSAPrivateKey: bytes.fromhex("300906072a8648ce380403"),
    ec.EllipticCurvePrivateKey: bytes.fromhex("300906072a8648ce3d0401"),
}


def sign(builder: _Builder, key: PrivateKey, algorithm: hashes.HashAlgorithm) -> _Signed:
    """`builder.sign(key, algorithm)`, which also works for SHA-1.

    ECDSA and DSA signatures are deterministic (RFC 6979) so that runs repeat.
    """
    if not isinstance(builder, _Builder):
        raise TypeError(f"cannot sign a {type(builder).__name__}")
    kwargs = {"ecdsa_deterministic": True} if isinstance(key, ec.EllipticCurvePrivateKey) else {}
    sha1 = isinstance(algorithm, hashes.SHA1)
    if not sha1 and not isinstance(key, dsa.DSAPrivateKey):
        return builder.sign(key, algorithm, **kwargs)
    # Let cryptography encode everything (SHA-1: with SHA-256, then put SHA-1's algorithm
    # identifier in its place, in a certificate or CRL also inside the signed part) and sign
    # the to-be-signed DER again ourselves (DSA: with a deterministic nonce).
    draft = builder.sign(key, hashes.SHA256() if sha1 else algorithm, **kwargs)
    tbs, draft_algorithm, _ = der.read_one(draft.public_bytes(serialization.Encoding.DER)
                                           ).children()
    identifier = (next(encoding for kind, encoding in _SHA1_ALGORITHMS.items()
                       if isinstance(key, kind)) if sha1 else draft_algorithm.encoding)
    tbs_der = der.encode(der.SEQUENCE, b"".join(
        identifier if child == draft_algorithm else child.encoding
        for child in tbs.children()
    ))
    signed = sign_tbs(tbs_der, key, algorithm, identifier)
    if isinstance(builder, x509.CertificateSigningRequestBuilder):
        return x509.load_der_x509_csr(signed)
    if isinstance(builder, x509.CertificateBuilder):
        return x509.load_der_x509_certificate(signed)
    return x509.load_der_x509_crl(signed)


def sign_tbs(tbs: bytes, key: PrivateKey, algorithm: hashes.HashAlgorithm,
             algorithm_identifier: bytes) -> bytes:
    """The DER of a signed object: `tbs` (the to-be-signed DER, which must name
    `algorithm_identifier` where it names one), that AlgorithmIdentifier, and `key`'s
    signature over `tbs` with `algorithm`."""
    signature = sign_bytes(key, tbs, algorithm)
    return der.encode(der.SEQUENCE, tbs + algorithm_identifier
                      + der.encode(der.BIT_STRING, b"\x00" + signature))


# Certificate signatures that verified: by the objects (held, so their ids stay theirs), and by
# content, for the same certificate parsed again (a peer sends it in every negotiation). A
# verification that failed is never remembered. CRLs are remembered per CRL object
# (pki.crl_facts): reading the signed bytes of a large one costs as much as the check.
_SIGNED_BY_OBJECTS: proven.Memo[tuple[int, int], tuple[object, object]] = proven.Memo(4096)
_SIGNED_BY_CONTENT: proven.Memo[tuple[bytes, bytes], bool] = proven.Memo(16384)


def _key_der(key: object) -> bytes:
    return key.public_bytes(serialization.Encoding.DER,  # type: ignore[attr-defined]
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def _known_signature(cert: x509.Certificate, key: object) -> bool:
    held = _SIGNED_BY_OBJECTS.get((id(cert), id(key)))
    if held is not None and held[0] is cert and held[1] is key:
        return True
    content = (cert.public_bytes(serialization.Encoding.DER), _key_der(key))
    if _SIGNED_BY_CONTENT.get(content):
        _SIGNED_BY_OBJECTS.put((id(cert), id(key)), (cert, key))
        return True
    return False


def _remember_signature(cert: x509.Certificate, key: object) -> None:
    _SIGNED_BY_OBJECTS.put((id(cert), id(key)), (cert, key))
    _SIGNED_BY_CONTENT.put((cert.public_bytes(serialization.Encoding.DER), _key_der(key)), True)


def verify_with_key(signed: _Signed, key: object) -> None:
    """Raise InvalidSignature unless `key` signed `signed` (RSA PKCS#1 v1.5 or PSS, DSA,
    ECDSA; SHA-1 included); TypeError for a key of another kind.

    UnsupportedAlgorithm comes through from `cryptography` for unknown signature algorithms.
    A certificate's signature that verified once is not checked again (pki.proven).
    """
    remember = (isinstance(signed, x509.Certificate) and proven.caching()
                and isinstance(key, _PUBLIC_KEYS))
    if remember and _known_signature(signed, key):
        return
    _verify(signed, key)
    if remember:
        _remember_signature(signed, key)


def _verify(signed: _Signed, key: object) -> None:
    if isinstance(signed, x509.CertificateSigningRequest):
        data = signed.tbs_certrequest_bytes
    elif isinstance(signed, x509.Certificate):
        data = signed_tbs(signed)  # what the issuer signed, DSA parameters left out or not
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
    except PARSE_ERRORS:
        return False


def crl_signed_by_certificate(crl: x509.CertificateRevocationList,
                              cert: x509.Certificate) -> bool:
    """Whether the key `cert` holds signed `crl` (SHA-1 included, which
    `crl.is_signature_valid` refuses); False for a key pki cannot use (an unknown algorithm,
    DSA parameters it would have to inherit), never an exception."""
    try:
        return crl_signed_by(crl, working_public_key(cert, None))
    except UnusableKey:
        return False


def sign_bytes(key: PrivateKey, data: bytes, algorithm: hashes.HashAlgorithm) -> bytes:
    """`key`'s signature over `data` (RSA PKCS#1 v1.5, or DSA and ECDSA with deterministic
    nonces, RFC 6979, so that runs repeat)."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), algorithm)
    if isinstance(key, dsa.DSAPrivateKey):
        return sign_digest(key, hashlib.new(algorithm.name, data).digest(), algorithm.name)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(algorithm, deterministic_signing=True))
    raise TypeError(f"cannot sign with a {type(key).__name__}")
