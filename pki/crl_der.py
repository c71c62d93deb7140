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

from pki import der

_UTC_TIME, _GENERALIZED_TIME = 0x17, 0x18


def _time(when: dt.datetime) -> bytes:
    """RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050."""
    when = when.astimezone(dt.UTC)
    if 1950 <= when.year < 2050:
        return der.encode(_UTC_TIME, when.strftime("%y%m%d%H%M%SZ").encode())
    return der.encode(_GENERALIZED_TIME, f"{when.year:04d}{when:%m%d%H%M%S}Z".encode())


def revoked_entries_der(serials: Iterable[int], date: dt.datetime) -> bytes:
    """SEQUENCE { userCertificate INTEGER, revocationDate Time } for each positive serial."""
    date_der = _time(date)
    out = []
    for serial in serials:
        if serial <= 0:
            raise ValueError(f"serial {serial}: must be positive")
        out.append(der.encode(der.SEQUENCE, der.encode_integer(serial) + date_der))
    return b"".join(out)


def with_more_entries(crl_der: bytes, entries: bytes, sign: Callable[[bytes], bytes]) -> bytes:
    """`crl_der` with `entries` appended to its revokedCertificates, signed again by `sign`
    (TBSCertList DER -> signature value) under the same signature algorithm."""
    tbs, algorithm, _ = der.read_one(crl_der).children()
    fields = tbs.children()
    # After version (optional), signature, issuer, thisUpdate and nextUpdate (optional).
    index = (1 if fields and fields[0].tag == der.INTEGER else 0) + 3
    if index < len(fields) and fields[index].tag in (_UTC_TIME, _GENERALIZED_TIME):
        index += 1
    if index > len(fields):
        raise ValueError("not a TBSCertList")
    before, after = fields[:index], fields[index:]
    existing = b""
    if after and after[0].tag == der.SEQUENCE:
        existing, after = after[0].content, after[1:]
    body = (b"".join(f.encoding for f in before)
            + der.encode(der.SEQUENCE, existing + entries)
            + b"".join(f.encoding for f in after))
    tbs_der = der.encode(der.SEQUENCE, body)
    signature = der.encode(der.BIT_STRING, b"\x00" + sign(tbs_der))  # no unused bits
    return der.encode(der.SEQUENCE, tbs_der + algorithm.encoding + signature)
