"""Verifying a signature with a public key, whatever the algorithm (RSA PKCS#1 v1.5 and PSS,
DSA, ECDSA).

`Certificate.verify_directly_issued_by` and `CertificateRevocationList.is_signature_valid` are
tried first by the callers; this is the fallback for what they refuse, notably DSA with SHA-1,
the digest the guide says Junos uses with DSA (Chapter 1).
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa


def verify_with_key(signed: x509.Certificate | x509.CertificateRevocationList,
                    key: object) -> None:
    """Raise InvalidSignature unless `key` signed `signed`; TypeError for unsupported keys.

    UnsupportedAlgorithm comes through from `cryptography` for unknown signature algorithms.
    """
    if isinstance(signed, x509.Certificate):
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
        raise TypeError(f"unsupported public key {type(key).__name__}")


def crl_signed_by(crl: x509.CertificateRevocationList, key: object) -> bool:
    try:
        if crl.is_signature_valid(key):
            return True
    except (TypeError, ValueError):
        pass  # an algorithm is_signature_valid refuses: try directly
    try:
        verify_with_key(crl, key)
    except (InvalidSignature, TypeError, ValueError):
        return False
    return True


__all__ = ["InvalidSignature", "crl_signed_by", "verify_with_key"]
