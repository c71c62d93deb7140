"""Reading certificates, CRLs, requests and keys from PEM, DER and PKCS#7 files.

The guide's limits apply: a CRL file may be at most 5 MB (Chapter 11, "The maximum size of the
CRL is 5 MB") and a PKCS#7 file at most 7 KB (Chapter 1). Every failure is a `LoadError` whose
one-line message names the file and what is wrong with it.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from pki.keys import PrivateKey, key_spec_of

CRL_MAX_BYTES = 5 * 1024 * 1024
PKCS7_MAX_BYTES = 7 * 1024


class LoadError(ValueError):
    """A file that cannot be loaded; str() is one line naming the file and the problem."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


def read_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise LoadError(str(path), "no such file") from None
    except IsADirectoryError:
        raise LoadError(str(path), "is a directory, not a file") from None
    except PermissionError:
        raise LoadError(str(path), "permission denied") from None


def _is_pem(data: bytes) -> bool:
    return b"-----BEGIN " in data[:4096] or data.lstrip().startswith(b"-----BEGIN ")


def _is_pkcs7(data: bytes) -> bool:
    if _is_pem(data):
        return b"-----BEGIN PKCS7-----" in data or b"-----BEGIN CERTIFICATE CHAIN" in data
    # DER ContentInfo: SEQUENCE { OID 1.2.840.113549.1.7.2 (signedData) ... }
    return b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" in data[:32]


def load_certificates(data: bytes, *, source: str) -> list[x509.Certificate]:
    """All certificates in a PEM file (one or more blocks), a DER file, or a PKCS#7 bundle."""
    if _is_pkcs7(data):
        return _load_pkcs7(data, source=source)
    try:
        if _is_pem(data):
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise LoadError(source, f"not a valid certificate ({_first_line(exc)})") from None
    return certs


def load_certificate(data: bytes, *, source: str) -> x509.Certificate:
    """Exactly one certificate."""
    certs = load_certificates(data, source=source)
    if len(certs) != 1:
        raise LoadError(source, f"holds {len(certs)} certificates; expected one")
    return certs[0]


def _load_pkcs7(data: bytes, *, source: str) -> list[x509.Certificate]:
    if len(data) > PKCS7_MAX_BYTES:
        raise LoadError(source, f"PKCS#7 file is {len(data)} bytes; the maximum is 7 KB "
                                f"({PKCS7_MAX_BYTES} bytes)")
    try:
        if _is_pem(data):
            certs = pkcs7.load_pem_pkcs7_certificates(data)
        else:
            certs = pkcs7.load_der_pkcs7_certificates(data)
    except ValueError as exc:
        raise LoadError(source, f"not a valid PKCS#7 bundle ({_first_line(exc)})") from None
    if not certs:
        raise LoadError(source, "PKCS#7 bundle holds no certificates")
    return certs


def load_crl(data: bytes, *, source: str) -> x509.CertificateRevocationList:
    """One CRL, PEM or DER, at most 5 MB."""
    if len(data) > CRL_MAX_BYTES:
        raise LoadError(source, f"CRL file is {len(data)} bytes; the maximum is 5 MB "
                                f"({CRL_MAX_BYTES} bytes)")
    try:
        if _is_pem(data):
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise LoadError(source, f"not a valid CRL ({_first_line(exc)})") from None


def load_csr(data: bytes, *, source: str) -> x509.CertificateSigningRequest:
    try:
        if _is_pem(data):
            return x509.load_pem_x509_csr(data)
        return x509.load_der_x509_csr(data)
    except ValueError as exc:
        raise LoadError(source, f"not a valid certificate request ({_first_line(exc)})") from None


def load_private_key(data: bytes, *, source: str) -> PrivateKey:
    try:
        if _is_pem(data):
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = serialization.load_der_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise LoadError(source, f"not a valid unencrypted private key ({_first_line(exc)})"
                        ) from None
    try:
        key_spec_of(key)
    except (TypeError, ValueError):
        raise LoadError(source, f"unsupported key type {type(key).__name__}") from None
    return key


def check_key_matches(cert: x509.Certificate, key: PrivateKey, *, source: str,
                      certificate_id: str) -> None:
    """The local certificate must carry the public half of its certificate-id's key pair."""
    if cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise LoadError(source, f"certificate does not match the private key of "
                                f"certificate-id {certificate_id}")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
