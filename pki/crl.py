"""Certificate revocation lists: building them as a CA does, and looking serials up in them.

CRLs are built in one call with the builder's `revoked_certificates=` argument: adding entries
one at a time copies the builder each time and is quadratic (100k entries: 14 s against 0.4 s,
see shared/reference/performance-figures.md).

A real CA's CRL lists thousands of certificates nobody in a simulation holds; `ExtraRevoked`
stands for them (a topology's `extra-revoked: 150000`). Even one RevokedCertificate object per
entry is too slow for that (0.34 s per 100k, every time the CA publishes), so those entries are
encoded as DER once and spliced into the signed TBSCertList (pki.crl_der).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import CRLEntryExtensionOID

from pki.certs import ca_signature_hash
from pki.crl_der import revoked_entries_der, with_more_entries
from pki.keys import PrivateKey
from pki.name_match import NameKey, name_key
from pki.signing import sign, sign_bytes

# Entry extensions validation acts on (RFC 5280 5.3); a critical one of any other kind makes
# the whole CRL unusable.
KNOWN_ENTRY_EXTENSIONS = frozenset({
    CRLEntryExtensionOID.CRL_REASON, CRLEntryExtensionOID.INVALIDITY_DATE,
    CRLEntryExtensionOID.CERTIFICATE_ISSUER,
})


@dataclass(frozen=True, kw_only=True)
class Revocation:
    """One revoked certificate: its serial, when it was revoked, and why."""

    serial: int
    date: dt.datetime
    reason: x509.ReasonFlags | None = None

    def __post_init__(self) -> None:
        # RFC 5280 wants positive serials, but real CRLs list negative ones too (PKITS
        # 4.4.14): an index of a CRL must take what the CRL says.
        if isinstance(self.serial, bool) or not isinstance(self.serial, int):
            raise TypeError(f"serial must be an int, not {type(self.serial).__name__}")
        if self.date.tzinfo is None:
            raise ValueError("revocation date must be timezone-aware")
        if self.reason is x509.ReasonFlags.unspecified:
            # RFC 5280 5.3.1: "unspecified" is expressed by leaving the reason code out.
            object.__setattr__(self, "reason", None)


@dataclass(frozen=True, kw_only=True)
class ExtraRevoked:
    """`count` revoked serials no simulated device holds, all revoked on `date`: the bulk of a
    real CRL. Serials come from `seed` (the same seed, the same serials) and lie in
    [2^61, 2^62): a hierarchy's own serials have bit 62 set, so they never collide."""

    count: int
    seed: str
    date: dt.datetime

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise ValueError(f"extra revoked entries {self.count!r}: a count >= 0")
        if self.date.tzinfo is None:
            raise ValueError("revocation date must be timezone-aware")

    @cached_property
    def serials(self) -> tuple[int, ...]:
        rng = random.Random(f"extra-revoked/{self.seed}")
        found: dict[int, None] = {}
        while len(found) < self.count:
            found[rng.getrandbits(61) | (1 << 61)] = None
        return tuple(found)

    @cached_property
    def der(self) -> bytes:
        """The revokedCertificates entries, each SEQUENCE { serial, revocationDate }."""
        return revoked_entries_der(self.serials, self.date)


def build_crl(*, issuer: x509.Certificate, issuer_key: PrivateKey,
              revoked: Iterable[Revocation], this_update: dt.datetime,
              next_update: dt.datetime, number: int,
              digest: str | None = None,
              extra: ExtraRevoked | None = None) -> x509.CertificateRevocationList:
    """A CRL signed by `issuer_key`, naming `issuer` as its issuer, with a CRL number; `extra`
    entries follow the `revoked` ones."""
    if next_update <= this_update:
        raise ValueError("nextUpdate must be after thisUpdate")
    if number < 0:
        raise ValueError(f"CRL number {number}: must not be negative")
    entries = []
    for item in revoked:
        entry = (x509.RevokedCertificateBuilder()
                 .serial_number(item.serial)
                 .revocation_date(item.date))
        if item.reason is not None:
            entry = entry.add_extension(x509.CRLReason(item.reason), critical=False)
        entries.append(entry.build())
    extensions = [
        x509.Extension(x509.CRLNumber.oid, False, x509.CRLNumber(number)),
        x509.Extension(x509.AuthorityKeyIdentifier.oid, False, _aki(issuer)),
    ]
    builder = x509.CertificateRevocationListBuilder(
        issuer_name=issuer.subject,
        last_update=this_update,
        next_update=next_update,
        extensions=extensions,
        revoked_certificates=entries,
    )
    algorithm = ca_signature_hash(issuer_key, digest)
    crl = sign(builder, issuer_key, algorithm)
    if extra is None or not extra.count:
        return crl
    der = with_more_entries(crl.public_bytes(Encoding.DER), extra.der,
                            lambda tbs: sign_bytes(issuer_key, tbs, algorithm))
    return x509.load_der_x509_crl(der)


def _aki(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    try:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key())


class RevocationIndex:
    """O(1) lookup of revoked certificates in a CRL, built once per CRL object.

    `CertificateRevocationList.get_revoked_certificate_by_serial_number` scans the list on each
    call; pkid looks serials up on every negotiation, so the index pays for itself at once.

    An ordinary CRL lists only certificates of its own issuer: its entries are keyed by serial.
    An indirect CRL (RFC 5280 5.2.5, issuingDistributionPoint indirectCRL) lists certificates
    of several issuers: its entries are keyed by (issuer name key, serial), the issuer being
    the one named by the last certificateIssuer entry extension so far, and the CRL issuer
    before the first one (5.3.3).

    The index keeps each entry's position in the CRL, not the entry: a date and a reason are
    read only for a serial that is looked up and found (150,000 entries: reading every date
    and reason doubles the build). The same pass reads every entry's extensions, so a damaged
    one raises here, and notes whether one is critical and unknown (RFC 5280 5.3: such a CRL
    is not used at all).
    """

    __slots__ = ("crl", "indirect", "unknown_critical_entry_extension", "_issuer_key",
                 "_positions", "_listed")

    def __init__(self, crl: x509.CertificateRevocationList) -> None:
        self.crl = crl
        self.indirect = is_indirect(crl)
        self._issuer_key = name_key(crl.issuer)
        positions: dict[object, int] = {}
        unknown = False
        current: tuple[NameKey, ...] = (self._issuer_key,)
        for position, revoked in enumerate(crl):
            serial = revoked.serial_number
            extensions = revoked.extensions
            if len(extensions):  # most entries have none: nothing more to read
                unknown = unknown or any(ext.critical and ext.oid not in KNOWN_ENTRY_EXTENSIONS
                                         for ext in extensions)
                if self.indirect:
                    named = _certificate_issuer_of(extensions)
                    if named is not None:
                        current = named
            if not self.indirect:
                # 5.3.3: certificateIssuer means nothing outside an indirect CRL.
                positions[serial] = position
                continue
            for key in current:
                positions[(key, serial)] = position
        self.unknown_critical_entry_extension = unknown
        self._positions: Mapping[object, int] = MappingProxyType(positions)
        # Certificates listed: a certificateIssuer naming several directory names keys one
        # entry under each of them, but it is still one certificate.
        self._listed = len(positions) if not self.indirect else len(crl)

    def __len__(self) -> int:
        return self._listed

    def __contains__(self, serial: object) -> bool:
        return self.lookup(serial) is not None if isinstance(serial, int) else False

    def lookup(self, serial: int, issuer: x509.Name | None = None) -> Revocation | None:
        """The entry for the certificate `serial` of `issuer` (default: the CRL's issuer)."""
        key = self._issuer_key if issuer is None else name_key(issuer)
        if self.indirect:
            found = self._positions.get((key, serial))
        elif key != self._issuer_key:
            return None  # an ordinary CRL says nothing about another issuer's certificates
        else:
            found = self._positions.get(serial)
        if found is None:
            return None
        revoked = self.crl[found]
        return Revocation(serial=revoked.serial_number, date=revoked.revocation_date_utc,
                          reason=_reason_of(revoked))

    def serials(self) -> tuple[int, ...]:
        """Revoked serials in the CRL's own order (each once, whatever its issuer)."""
        return tuple(dict.fromkeys(revoked.serial_number for revoked in self.crl))


def is_indirect(crl: x509.CertificateRevocationList) -> bool:
    """Whether `crl` says it is indirect (RFC 5280 5.2.5); a malformed IDP says it is not."""
    try:
        idp = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    return idp.indirect_crl


def _certificate_issuer_of(extensions: x509.Extensions) -> tuple[NameKey, ...] | None:
    """The directory names of a certificateIssuer entry extension (5.3.3), if it has one."""
    try:
        names = extensions.get_extension_for_class(x509.CertificateIssuer).value
    except x509.ExtensionNotFound:
        return None
    return tuple(name_key(dn) for dn in names.get_values_for_type(x509.DirectoryName))


def _reason_of(revoked: x509.RevokedCertificate) -> x509.ReasonFlags | None:
    extensions = revoked.extensions
    if not len(extensions):
        return None  # most entries: no ExtensionNotFound to raise and catch (20x faster)
    try:
        return extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return None


def crl_number_of(crl: x509.CertificateRevocationList) -> int | None:
    try:
        return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        return None
