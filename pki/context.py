"""What validation trusts, knows and assumes: anchors, the certificate pool, CRLs, the moment.

Everything is passed in. The context never reads the clock and never fetches: a CRL it lacks is
reported back (pki.result.CrlNeeded) for the caller to fetch before validating again.
Certificates and CRLs are accepted as `cryptography` objects or as PEM or DER bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import CRLEntryExtensionOID

from pki import loaders
from pki.crl import RevocationIndex
from pki.name_match import NameKey, name_key, names_match
from pki.parse_errors import PARSE_ERRORS
from pki.policy_tree import PolicySettings

CertificateInput = x509.Certificate | bytes
CrlInput = x509.CertificateRevocationList | bytes
CrlUrlSource = Mapping[x509.Name, Iterable[str]] | Callable[[x509.Name], Iterable[str]]

_KNOWN_ENTRY_EXTENSIONS = frozenset({
    CRLEntryExtensionOID.CRL_REASON, CRLEntryExtensionOID.INVALIDITY_DATE,
    CRLEntryExtensionOID.CERTIFICATE_ISSUER,
})
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


class RevocationCache:
    """RevocationIndex per CRL, keyed by the CRL's fingerprint, least recently used dropped.

    Building an index costs a pass over the CRL; pkid validates on every negotiation, so it
    keeps one cache and passes it to each call (`revocation_cache=`).
    """

    def __init__(self, size: int = 64) -> None:
        if size < 1:
            raise ValueError(f"cache size {size}: must be at least 1")
        self.size = size
        self._indexes: OrderedDict[bytes, RevocationIndex] = OrderedDict()
        self._bad_entries: OrderedDict[bytes, bool] = OrderedDict()

    def index(self, crl: x509.CertificateRevocationList) -> RevocationIndex:
        key = crl.fingerprint(hashes.SHA256())
        found = self._indexes.get(key)
        if found is None:
            found = self._indexes[key] = RevocationIndex(crl)
            while len(self._indexes) > self.size:
                self._indexes.popitem(last=False)
        else:
            self._indexes.move_to_end(key)
        return found

    def has_unknown_critical_entry_extension(self, crl: x509.CertificateRevocationList) -> bool:
        """RFC 5280 5.3: a CRL with an entry extension we cannot process is not used at all."""
        key = crl.fingerprint(hashes.SHA256())
        found = self._bad_entries.get(key)
        if found is None:
            found = self._bad_entries[key] = _has_unknown_critical_entry_extension(crl)
            while len(self._bad_entries) > self.size:
                self._bad_entries.popitem(last=False)
        else:
            self._bad_entries.move_to_end(key)
        return found

    def __len__(self) -> int:
        return len(self._indexes)


def _has_unknown_critical_entry_extension(crl: x509.CertificateRevocationList) -> bool:
    try:
        return any(ext.critical and ext.oid not in _KNOWN_ENTRY_EXTENSIONS
                   for revoked in crl for ext in revoked.extensions)
    except PARSE_ERRORS:
        return True  # an entry extension that cannot even be parsed cannot be processed


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
            by_subject.setdefault(name_key(cert.subject), []).append(cert)
        crls_by_issuer: dict[NameKey, list[x509.CertificateRevocationList]] = {}
        for crl in self.crls:
            crls_by_issuer.setdefault(name_key(crl.issuer), []).append(crl)
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
        return any(names_match(issuer.subject, name) for name in self.revocation_exempt)

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
