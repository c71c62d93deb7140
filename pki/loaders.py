"""Reading certificates, CRLs, requests and keys from PEM, DER and PKCS#7 files.

The guide's limits apply: a CRL file may be at most 5 MB (Chapter 11, "The maximum size of the
CRL is 5 MB") and a PKCS#7 file at most 7 KB (Chapter 1); a certificate, key or request file
at most 1 MB (a certificate is a few KB: more is not one). Files are read with the limit
applied before reading (pki.files.read_regular: regular files only, so `/dev/zero` or a FIFO
cost nothing).

A file is hostile until checked: everything `cryptography` parses lazily (names, dates,
extensions, the signature algorithm) is parsed here, so that damaged DER is refused at load
time, with one line naming the file; a well-formed certificate whose key or signature
algorithm pki cannot use loads, and path validation judges it (a verdict, not bad input).
Every failure is a `LoadError` whose one-line message names the file and what is wrong.
"""

from __future__ import annotations

import binascii
import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from pki.escape import escape
from pki.files import FileRefused, read_regular
from pki.keys import PrivateKey, key_spec_of
from pki.parse_errors import PARSE_ERRORS, strict_parsing
from pki.working_key import load_der_certificate, original_der

CRL_MAX_BYTES = 5 * 1024 * 1024
# A 5 MB CRL written as PEM (base64 in 64-column lines, plus its two marker lines): the limit
# for a CRL file, whose CRL itself is then held to CRL_MAX_BYTES once decoded.
CRL_FILE_MAX_BYTES = -(-CRL_MAX_BYTES // 3) * 4 * 65 // 64 + 64
PKCS7_MAX_BYTES = 7 * 1024
FILE_MAX_BYTES = 1024 * 1024
_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----\r?\n(.*?)-----END CERTIFICATE-----", re.DOTALL)


class LoadError(ValueError):
    """A file that cannot be loaded; str() is one line naming the file and the problem."""

    def __init__(self, source: str, problem: str) -> None:
        # A file name or URL goes to a terminal: control characters escaped.
        super().__init__(f"{escape(source)}: {escape(problem)}")
        self.source = source
        self.problem = problem


def read_bytes(path: str | Path, *, limit: int = CRL_FILE_MAX_BYTES, follow: bool = True) -> bytes:
    """The bytes of the regular file `path`, refused past `limit` before reading. The default
    is the largest file any loader takes (a CRL); each loader checks its own limit too. With
    follow=False a symlink at `path` is refused."""
    try:
        return read_regular(path, limit=limit, follow=follow)
    except FileRefused as refused:
        raise LoadError(refused.source, refused.problem) from None


T = TypeVar("T")


def _strictly(load: Callable[..., T]) -> Callable[..., T]:
    """`load` under pki.parse_errors.strict_parsing: what cryptography warns about is refused
    as a LoadError like any other parse error."""
    @functools.wraps(load)
    def strict(*args: object, **kw: object) -> T:
        with strict_parsing():
            return load(*args, **kw)
    return strict


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def _is_pem(data: bytes) -> bool:
    return b"-----BEGIN " in data[:4096] or data.lstrip().startswith(b"-----BEGIN ")


def _is_pkcs7(data: bytes) -> bool:
    if _is_pem(data):
        return b"-----BEGIN PKCS7-----" in data or b"-----BEGIN CERTIFICATE CHAIN" in data
    # DER ContentInfo: SEQUENCE { OID 1.2.840.113549.1.7.2 (signedData) ... }
    return b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" in data[:32]


def _check_size(data: bytes, limit: int, what: str, *, source: str) -> None:
    if not data or data.isspace():
        raise LoadError(source, "is empty")
    if len(data) > limit:
        raise LoadError(source, f"{what} is {len(data)} bytes; the maximum is "
                                f"{_size(limit)} ({limit} bytes)")


@_strictly
def load_certificates(data: bytes, *, source: str) -> list[x509.Certificate]:
    """All certificates in a PEM file (one or more blocks), a DER file, or a PKCS#7 bundle."""
    if _is_pkcs7(data):
        return _load_pkcs7(data, source=source)
    _check_size(data, FILE_MAX_BYTES, "certificate file", source=source)
    try:
        if _is_pem(data):
            certs = _load_pem_certificates(data)
        else:
            certs = [load_der_certificate(data)]
    except PARSE_ERRORS as exc:
        raise LoadError(source, f"not a valid certificate ({_first_line(exc)})") from None
    for cert in certs:
        _check_parsed(cert, _CERTIFICATE_FIELDS, "certificate", source=source)
    return certs


def _load_pem_certificates(data: bytes) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        # Perhaps a DSA key without parameters, which only load_der_certificate takes.
        blocks = _PEM_CERTIFICATE.findall(data)
        if not blocks:
            raise
        try:
            ders = [binascii.a2b_base64(block) for block in blocks]
        except binascii.Error:
            raise ValueError("the PEM block's base64 is damaged") from None
        return [load_der_certificate(der) for der in ders]


def load_certificate(data: bytes, *, source: str) -> x509.Certificate:
    """Exactly one certificate."""
    certs = load_certificates(data, source=source)
    if len(certs) != 1:
        raise LoadError(source, f"holds {len(certs)} certificates; expected one")
    return certs[0]


def _load_pkcs7(data: bytes, *, source: str) -> list[x509.Certificate]:
    _check_size(data, PKCS7_MAX_BYTES, "PKCS#7 file", source=source)
    try:
        if _is_pem(data):
            certs = pkcs7.load_pem_pkcs7_certificates(data)
        else:
            certs = pkcs7.load_der_pkcs7_certificates(data)
    except PARSE_ERRORS as exc:
        raise LoadError(source, f"not a valid PKCS#7 bundle ({_first_line(exc)})") from None
    if not certs:
        raise LoadError(source, "PKCS#7 bundle holds no certificates")
    for cert in certs:
        _check_parsed(cert, _CERTIFICATE_FIELDS, "certificate in the PKCS#7 bundle",
                      source=source)
    return certs


@_strictly
def load_crl(data: bytes, *, source: str) -> x509.CertificateRevocationList:
    """One CRL, PEM or DER, at most 5 MB. Its entries are read when validation looks them up
    (a damaged entry makes the CRL unusable there): reading them here would double the cost
    of a large CRL."""
    _check_size(data, CRL_FILE_MAX_BYTES if _is_pem(data) else CRL_MAX_BYTES, "CRL file",
                source=source)
    blocks = data.count(b"-----BEGIN X509 CRL-----")
    if blocks > 1:  # cryptography would read the first and drop the others unsaid
        raise LoadError(source, f"holds {blocks} CRLs; expected one (one file per CRL)")
    if _is_pem(data) and (size := _pem_payload_size(data)) > CRL_MAX_BYTES:
        raise LoadError(source, f"CRL is {size} bytes once decoded; the maximum is "
                                f"{_size(CRL_MAX_BYTES)} ({CRL_MAX_BYTES} bytes)")
    try:
        if _is_pem(data):
            crl = x509.load_pem_x509_crl(data)
        else:
            crl = x509.load_der_x509_crl(data)
    except PARSE_ERRORS as exc:
        raise LoadError(source, f"not a valid CRL ({_first_line(exc)})") from None
    _check_parsed(crl, _CRL_FIELDS, "CRL", source=source)
    return crl


def _pem_payload_size(data: bytes) -> int:
    """The bytes a PEM file's base64 stands for (its marker and header lines aside)."""
    body = b"".join(line for line in data.split(b"\n")
                    if not line.startswith(b"-----") and b":" not in line)
    encoded = len(body) - sum(body.count(space) for space in (b"\r", b" ", b"\t"))
    return encoded * 3 // 4 - body.rstrip().count(b"=")


@_strictly
def load_csr(data: bytes, *, source: str) -> x509.CertificateSigningRequest:
    _check_size(data, FILE_MAX_BYTES, "certificate request file", source=source)
    try:
        if _is_pem(data):
            csr = x509.load_pem_x509_csr(data)
        else:
            csr = x509.load_der_x509_csr(data)
    except PARSE_ERRORS as exc:
        raise LoadError(source, f"not a valid certificate request ({_first_line(exc)})"
                        ) from None
    _check_parsed(csr, _CSR_FIELDS, "certificate request", source=source)
    return csr


@_strictly
def load_private_key(data: bytes, *, source: str) -> PrivateKey:
    _check_size(data, FILE_MAX_BYTES, "key file", source=source)
    try:
        if _is_pem(data):
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = serialization.load_der_private_key(data, password=None)
    except PARSE_ERRORS as exc:
        raise LoadError(source, f"not a valid unencrypted private key ({_first_line(exc)})"
                        ) from None
    try:
        key_spec_of(key)
    except (TypeError, ValueError):
        raise LoadError(source, f"unsupported key type {type(key).__name__}") from None
    return key


# What `cryptography` parses only when first asked, touched at load time. Not the public key
# nor the signature's hash: an algorithm pki does not know is for validation to judge.
_CERTIFICATE_FIELDS: tuple[Callable[[x509.Certificate], object], ...] = (
    lambda c: c.serial_number, lambda c: c.issuer, lambda c: c.subject,
    lambda c: c.not_valid_before_utc, lambda c: c.not_valid_after_utc,
    lambda c: c.signature_algorithm_oid, lambda c: c.extensions, original_der,
)
_CRL_FIELDS: tuple[Callable[[x509.CertificateRevocationList], object], ...] = (
    lambda c: c.issuer, lambda c: c.last_update_utc, lambda c: c.next_update_utc,
    lambda c: c.signature_algorithm_oid, lambda c: c.extensions,
)
_CSR_FIELDS: tuple[Callable[[x509.CertificateSigningRequest], object], ...] = (
    lambda c: c.subject, lambda c: c.signature_algorithm_oid, lambda c: c.extensions,
    lambda c: c.public_key(),
)


def _check_parsed(obj: object, fields: tuple[Callable, ...], what: str, *,
                  source: str) -> None:
    try:
        for field in fields:
            field(obj)
    except PARSE_ERRORS as exc:
        raise LoadError(source, f"not a valid {what} ({_first_line(exc)})") from None


def check_key_matches(cert: x509.Certificate, key: PrivateKey, *, source: str,
                      certificate_id: str) -> None:
    """The local certificate must carry the public half of its certificate-id's key pair."""
    try:
        certified = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    except PARSE_ERRORS:
        certified = None  # a key of no kind a private key file holds: it cannot match
    if certified != key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        raise LoadError(source, f"certificate does not match the private key of "
                                f"certificate-id {certificate_id}")


# cryptography's parse errors, e.g. `error parsing asn1 value: ParseError { kind: ShortData {
# needed: 1 }, location: ["Certificate::tbs_cert", "TbsCertificate::spki"] }`, and PEM ones.
_ASN1_ERROR = re.compile(r'error parsing asn1 value: ParseError \{ kind: (\w+)'
                         r'(?:.*location: \[(?:.*, )?"([\w:]+)"\])?')
_PEM_ERROR = re.compile(r"Unable to load PEM file\..* (\w+)$")
_PROBLEM_MAX = 160


def _first_line(exc: Exception) -> str:
    """What `cryptography` said, in a few words on one line."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    if found := _ASN1_ERROR.match(text):
        kind, where = found.groups()
        return f"damaged DER: {kind}" + (f" in {where}" if where else "")
    if found := _PEM_ERROR.match(text):
        return f"damaged PEM: {found.group(1)}"
    return text if len(text) <= _PROBLEM_MAX else text[:_PROBLEM_MAX - 3] + "..."
