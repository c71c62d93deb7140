"""Self-signed local certificates (guide, Chapters 6 and 13).

Two kinds:
- `request security pki local-certificate generate-self-signed certificate-id ID subject S
  [domain-name D] [ip-address A] [email E] [add-ca-constraint] [digest (sha1 | sha256)]`: the
  DN given, a subjectAltName from the domain name, IP address and e-mail, basicConstraints CA:TRUE
  with add-ca-constraint; `generate_self_signed`.
- The one the device makes for itself at start-up, certificate-id `system-generated`, DN
  "CN=<device serial number>, CN=system generated, CN=self-signed"; `generate_system_certificate`.
  The guide's sample shows it without extensions (no alternate subject, no key usage), with
  an RSA 1024-bit key, sha1WithRSAEncryption and a 128-bit serial number.

"Self-signed certificates are valid for five years from the time they were generated": the
sample (Not before 10-30-2009 23:02, Not after 10-29-2014 23:02) shows the five years are
5 x 365 days. The time comes from the caller, and so does the randomness of serial numbers.
"""

from __future__ import annotations

import datetime as dt
import random

from cryptography import x509
from cryptography.x509.oid import NameOID

from pki.csr import RequestParams, signature_hash
from pki.keys import PrivateKey
from pki.signing import sign

__all__ = [
    "SYSTEM_GENERATED_ID",
    "SYSTEM_GENERATED_RDNS",
    "VALIDITY",
    "generate_self_signed",
    "generate_system_certificate",
    "serial_number",
    "system_generated_name",
]

SYSTEM_GENERATED_ID = "system-generated"
# The automatically generated certificate's common names after the device serial (Chapter 13).
SYSTEM_GENERATED_RDNS = ("system generated", "self-signed")
VALIDITY = dt.timedelta(days=5 * 365)
_SERIAL_BITS = 128


def serial_number(source: int | random.Random) -> int:
    """A certificate serial number: `source` itself, or 128 random bits drawn from it."""
    if isinstance(source, random.Random):
        # Never zero, which RFC 5280 forbids; 128 bits as in the guide's sample.
        return source.getrandbits(_SERIAL_BITS) or 1
    if isinstance(source, bool) or not isinstance(source, int):
        raise TypeError(f"serial must be an int or a random.Random, not {type(source).__name__}")
    if source <= 0 or source.bit_length() > 159:
        raise ValueError(f"serial {source}: must be positive and fit in 20 octets")
    return source


def system_generated_name(device_serial: str) -> x509.Name:
    """CN=<device serial>, CN=system generated, CN=self-signed, in that certificate order."""
    if not isinstance(device_serial, str) or not device_serial.strip():
        raise ValueError(f"device serial {device_serial!r} must be a non-empty str")
    return x509.Name([
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME, value)])
        for value in (device_serial, *SYSTEM_GENERATED_RDNS)
    ])


def generate_self_signed(key: PrivateKey, params: RequestParams, *, now: dt.datetime,
                         serial: int | random.Random) -> x509.Certificate:
    """The certificate local-certificate generate-self-signed makes, valid from `now`."""
    if not isinstance(params, RequestParams):
        raise TypeError(f"params must be RequestParams, not {type(params).__name__}")
    builder = _builder(params.subject_name, key, now, serial).add_extension(
        params.subject_alternative_name(), critical=False)
    if params.add_ca_constraint:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None),
                                        critical=True)
    return sign(builder, key, signature_hash(key, params.digest))


def generate_system_certificate(key: PrivateKey, *, device_serial: str, now: dt.datetime,
                                serial: int | random.Random) -> x509.Certificate:
    """The automatically generated self-signed certificate, valid from `now`."""
    builder = _builder(system_generated_name(device_serial), key, now, serial)
    return sign(builder, key, signature_hash(key))


def _builder(name: x509.Name, key: PrivateKey, now: dt.datetime,
             serial: int | random.Random) -> x509.CertificateBuilder:
    if not isinstance(now, dt.datetime):
        raise TypeError(f"now must be a datetime, not {type(now).__name__}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    # Certificates hold whole seconds.
    start = now.astimezone(dt.UTC).replace(microsecond=0)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial_number(serial))
        .not_valid_before(start)
        .not_valid_after(start + VALIDITY)
    )
