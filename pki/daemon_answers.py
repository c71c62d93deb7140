"""What pkid's decisions (pki.daemon) answer: a verdict, or what to fetch before deciding (a
CRL, an OCSP response), with the events the driver writes to the pkid log."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from pki.ocsp import OcspRequest
from pki.result import ValidationResult


@dataclass(frozen=True)
class Event:
    """Something pkid did or found, for its log; `flag` is the traceoptions flag that shows it."""

    flag: str  # "certificate-verification" or "online-crl-check"
    text: str


@dataclass(frozen=True, kw_only=True)
class Verdict:
    result: ValidationResult
    events: tuple[Event, ...]

    @property
    def ok(self) -> bool:
        return self.result.ok


@dataclass(frozen=True, kw_only=True)
class FetchCrl:
    """Download the CRL of the CA behind `ca_profile`, trying `urls` in order."""

    ca_profile: str
    ca_certificate: x509.Certificate
    urls: tuple[str, ...]
    events: tuple[Event, ...]


@dataclass(frozen=True, kw_only=True)
class FetchOcsp:
    """Send `request` (about a certificate issued by the CA behind `ca_profile`) to the OCSP
    responders `urls`, in order, until one answers."""

    ca_profile: str
    request: OcspRequest
    urls: tuple[str, ...]
    events: tuple[Event, ...]


@dataclass(frozen=True, kw_only=True)
class OcspReply:
    """What came back for a FetchOcsp: the response's bytes and the URL that gave them, or
    `data` None when no responder answered."""

    request: OcspRequest
    url: str | None = None
    data: bytes | None = None
