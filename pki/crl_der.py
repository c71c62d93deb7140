"""The DER of a CRL's revokedCertificates, written directly (RFC 5280 5.1).

A CRL with 150,000 entries would take cryptography's builder half a second of object making
each time a CA publishes; here the entries are encoded once, and each new CRL is the small CRL
cryptography built (issuer, dates, CRL number, AKI, the few real revocations) with those
entries appended to its revokedCertificates and the TBSCertList signed again.

    TBSCertList ::= SEQUENCE { version, signature, issuer, thisUpdate, nextUpdate OPTIONAL,
                               revokedCertificates SEQUENCE OF SEQUENCE {...} OPTIONAL,
                               crlExtensions [0] EXPLICIT OPTIONAL }
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa

from pki.keys import PrivateKey

_SEQUENCE, _INTEGER, _BIT_STRING = 0x30, 0x02, 0x03
_UTC_TIME, _GENERALIZED_TIME = 0x17, 0x18


def _header(tag: int, size: int) -> bytes:
    if size < 0x80:
        return bytes((tag, size))
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(octets))) + octets


def _element(der: bytes, offset: int) -> tuple[int, int, int]:
    """(tag, where its content starts, where it ends) of the element at `offset`."""
    if offset + 2 > len(der):
        raise ValueError("truncated DER")
    tag, first = der[offset], der[offset + 1]
    start = offset + 2
    size = first
    if first & 0x80:
        width = first & 0x7F
        size = int.from_bytes(der[start:start + width], "big")
        start += width
    if start + size > len(der):
        raise ValueError("truncated DER")
    return tag, start, start + size


def _time(when: dt.datetime) -> bytes:
    """RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050."""
    when = when.astimezone(dt.UTC)
    if 1950 <= when.year < 2050:
        text = when.strftime("%y%m%d%H%M%SZ").encode()
        return _header(_UTC_TIME, len(text)) + text
    text = f"{when.year:04d}{when:%m%d%H%M%S}Z".encode()
    return _header(_GENERALIZED_TIME, len(text)) + text


def revoked_entries_der(serials: Iterable[int], date: dt.datetime) -> bytes:
    """SEQUENCE { userCertificate INTEGER, revocationDate Time } for each positive serial."""
    date_der = _time(date)
    out = []
    for serial in serials:
        if serial <= 0:
            raise ValueError(f"serial {serial}: must be positive")
        value = serial.to_bytes(serial.bit_length() // 8 + 1, "big")  # room for the sign bit
        integer = _header(_INTEGER, len(value)) + value
        out.append(_header(_SEQUENCE, len(integer) + len(date_der)) + integer + date_der)
    return b"".join(out)


def with_more_entries(crl_der: bytes, entries: bytes, sign: Callable[[bytes], bytes]) -> bytes:
    """`crl_der` with `entries` appended to its revokedCertificates, signed again by `sign`
    (TBSCertList DER -> signature value) under the same signature algorithm."""
    _, crl_start, _ = _element(crl_der, 0)
    _, tbs_start, tbs_end = _element(crl_der, crl_start)
    _, _, algorithm_end = _element(crl_der, tbs_end)
    algorithm = crl_der[tbs_end:algorithm_end]
    fields = []  # (tag, offset, content start, end) of each TBSCertList field
    position = tbs_start
    while position < tbs_end:
        tag, start, end = _element(crl_der, position)
        fields.append((tag, position, start, end))
        position = end
    # After version (optional), signature, issuer, thisUpdate and nextUpdate (optional).
    index = (1 if fields and fields[0][0] == _INTEGER else 0) + 3
    if index < len(fields) and fields[index][0] in (_UTC_TIME, _GENERALIZED_TIME):
        index += 1
    if index > len(fields):
        raise ValueError("not a TBSCertList")
    at = fields[index][1] if index < len(fields) else tbs_end
    before, existing, after = crl_der[tbs_start:at], b"", crl_der[at:tbs_end]
    if index < len(fields) and fields[index][0] == _SEQUENCE:
        _, _, start, end = fields[index]
        existing, after = crl_der[start:end], crl_der[end:tbs_end]
    revoked = existing + entries
    body = before + _header(_SEQUENCE, len(revoked)) + revoked + after
    tbs = _header(_SEQUENCE, len(body)) + body
    signature = b"\x00" + sign(tbs)  # BIT STRING: no unused bits
    signed = tbs + algorithm + _header(_BIT_STRING, len(signature)) + signature
    return _header(_SEQUENCE, len(signed)) + signed


def sign_data(key: PrivateKey, data: bytes, algorithm: hashes.HashAlgorithm) -> bytes:
    """A CA's signature over `data` (RSA PKCS#1 v1.5, DSA, or deterministic ECDSA so that
    runs repeat)."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), algorithm)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(algorithm, deterministic_signing=True))
    if isinstance(key, dsa.DSAPrivateKey):
        return key.sign(data, algorithm)
    raise TypeError(f"cannot sign with a {type(key).__name__}")
