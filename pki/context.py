"""What validation trusts, knows and assumes: anchors, the certificate pool, CRLs, the moment.

Everything is passed in. The context never reads the clock and never fetches: a CRL it lacks is
reported back (pki.result.CrlNeeded) for the caller to fetch before validating again.
Certificates and CRLs are accepted as `cryptography` objects or as PEM or DER bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from cryptography import x509

from pki import loaders
from pki.crl_facts import RevocationCache, facts_of
from pki.name_match import NameKey, name_key, subject_key
from pki.policy_tree import PolicySettings

CertificateInput = x509.Certificate | bytes
CrlInput = x509.CertificateRevocationList | bytes
CrlUrlSource = Mapping[x509.Name, Iterable[str]] | Callable[[x509.Name], Iterable[str]]

_PEM_CRL = re.compile(rb"-----BEGIN X509 CRL-----.+?-----END X509 CRL-----", re.DOTALL)


def load_certificates(data: CertificateInput) -> list[x509.Certificate]:
    """One certificate object, or PEM, DER or PKCS#7 bytes (see pki.loaders)."""
    if isinstance(data, x509.Certificate):
        return [data]
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"a certificate must be an x509.Certificate or bytes, "
                        f"not {type(data).__name__}")
    return loaders.load_certificates(bytes(data), source="certificate")


def load_crls(data: CrlInput) -> list[x509.CertificateRevocationList]:
    """One CRL object, DER bytes, or PEM bytes holding one or more CRLs."""
    if isinstance(data, x509.CertificateRevocationList):
        return [data]
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"a CRL must be an x509.CertificateRevocationList or bytes, "
                        f"not {type(data).__name__}")
    data = bytes(data)
    blocks = _PEM_CRL.findall(data) or [data]
    return [loaders.load_crl(block, source="CRL") for block in blocks]


def _unique(certs: Iterable[x509.Certificate]) -> tuple[x509.Certificate, ...]:
    # Certificates compare and hash by their DER encoding: a cheap identity.
    return tuple(dict.fromkeys(certs))


@dataclass(frozen=True, kw_only=True)
class ValidationContext:
    """The inputs of one validation (RFC 5280 6.1.1), indexed for path building."""

    at: dt.datetime
    trust_anchors: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    check_revocation: bool = True
    max_chain_length: int = 10
    ca_profile_crl_urls: CrlUrlSource | None = None
    # CAs (by subject) whose certificates skip the CRL check: revocation-check disable.
    revocation_exempt: tuple[x509.Name, ...] = ()
    policy: PolicySettings = field(default_factory=PolicySettings)
    revocation_cache: RevocationCache = field(default_factory=RevocationCache)

    def __post_init__(self) -> None:
        if not isinstance(self.at, dt.datetime):
            raise TypeError("at must be a datetime: validation never reads the clock")
        if self.at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        if not self.trust_anchors:
            raise ValueError("at least one trust anchor is needed")
        if self.max_chain_length < 1:
            raise ValueError(f"max_chain_length {self.max_chain_length}: must be at least 1")
        object.__setattr__(self, "trust_anchors", _unique(self.trust_anchors))
        object.__setattr__(self, "intermediates", _unique(self.intermediates))
        object.__setattr__(self, "crls", tuple(self.crls))
        object.__setattr__(self, "revocation_exempt", tuple(self.revocation_exempt))
        by_subject: dict[NameKey, list[x509.Certificate]] = {}
        for cert in self.trust_anchors + self.intermediates:
            by_subject.setdefault(subject_key(cert), []).append(cert)
        crls_by_issuer: dict[NameKey, list[x509.CertificateRevocationList]] = {}
        for crl in self.crls:
            crls_by_issuer.setdefault(facts_of(crl).issuer_key, []).append(crl)
        anchors = frozenset(self.trust_anchors)
        object.__setattr__(self, "_by_subject", by_subject)
        object.__setattr__(self, "_crls_by_issuer", crls_by_issuer)
        object.__setattr__(self, "_anchor_prints", anchors)

    @classmethod
    def from_inputs(cls, *, at: dt.datetime, trust_anchors: Iterable[CertificateInput],
                    intermediates: Iterable[CertificateInput] = (),
                    crls: Iterable[CrlInput] = (), **options: object) -> ValidationContext:
        """A context from certificate and CRL objects or their PEM/DER encodings."""
        if isinstance(trust_anchors, bytes | x509.Certificate):
            trust_anchors = [trust_anchors]
        if isinstance(intermediates, bytes | x509.Certificate):
            intermediates = [intermediates]
        if isinstance(crls, bytes | x509.CertificateRevocationList):
            crls = [crls]
        return cls(
            at=at,
            trust_anchors=tuple(c for item in trust_anchors for c in load_certificates(item)),
            intermediates=tuple(c for item in intermediates for c in load_certificates(item)),
            crls=tuple(c for item in crls for c in load_crls(item)),
            **options,
        )

    def is_anchor(self, cert: x509.Certificate) -> bool:
        return cert in self._anchor_prints

    def certificates_named(self, name: x509.Name) -> list[x509.Certificate]:
        """Anchors and pool certificates whose subject is `name`, anchors first."""
        return list(self._by_subject.get(name_key(name), ()))

    def revocation_exempt_issuer(self, issuer: x509.Certificate) -> bool:
        return any(subject_key(issuer) == name_key(name) for name in self.revocation_exempt)

    def crls_from(self, issuer: x509.Name) -> list[x509.CertificateRevocationList]:
        return list(self._crls_by_issuer.get(name_key(issuer), ()))

    def profile_crl_urls(self, ca_subject: x509.Name) -> tuple[str, ...]:
        """The CRL URLs the caller configured for this CA (ca-profile revocation-check url)."""
        source = self.ca_profile_crl_urls
        if source is None:
            return ()
        if callable(source):
            urls = source(ca_subject)
        else:
            urls = source.get(ca_subject, ())
        if isinstance(urls, str):
            return (urls,)
        return tuple(urls or ())
