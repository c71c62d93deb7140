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

from pki.certs import ca_signature_hash
from pki.crl_der import revoked_entries_der, with_more_entries
from pki.keys import PrivateKey
from pki.name_match import NameKey, name_key
from pki.signing import sign, sign_bytes


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


_Entry = tuple[int, dt.datetime, "x509.ReasonFlags | None"]  # serial, date, reason


class RevocationIndex:
    """O(1) lookup of revoked certificates in a CRL, built once.

    `CertificateRevocationList.get_revoked_certificate_by_serial_number` scans the list on each
    call; pkid looks serials up on every negotiation, so the index pays for itself at once.

    An ordinary CRL lists only certificates of its own issuer: its entries are keyed by serial.
    An indirect CRL (RFC 5280 5.2.5, issuingDistributionPoint indirectCRL) lists certificates
    of several issuers: its entries are keyed by (issuer name key, serial), the issuer being
    the one named by the last certificateIssuer entry extension so far, and the CRL issuer
    before the first one (5.3.3).
    """

    __slots__ = ("crl", "indirect", "_issuer_key", "_entries", "_serials", "_listed")

    def __init__(self, crl: x509.CertificateRevocationList) -> None:
        self.crl = crl
        self.indirect = is_indirect(crl)
        self._issuer_key = name_key(crl.issuer)
        # Each entry is read (and checked) here, but kept as a tuple: a Revocation is made only
        # for a serial that is looked up and found (150,000 of them cost 0.6 s, the tuples 0.1).
        entries: dict[object, _Entry] = {}
        serials: list[int] = []
        current: tuple[NameKey, ...] = (self._issuer_key,)
        for revoked in crl:
            entry = (revoked.serial_number, revoked.revocation_date_utc, _reason_of(revoked))
            serials.append(entry[0])
            if not self.indirect:
                # 5.3.3: certificateIssuer means nothing outside an indirect CRL.
                entries[entry[0]] = entry
                continue
            named = _certificate_issuer_of(revoked)
            if named is not None:
                current = named
            for key in current:
                entries[(key, entry[0])] = entry
        self._entries: Mapping[object, _Entry] = MappingProxyType(entries)
        self._serials = tuple(dict.fromkeys(serials))
        # Certificates listed: a certificateIssuer naming several directory names keys one
        # entry under each of them, but it is still one certificate.
        self._listed = len(entries) if not self.indirect else len(crl)

    def __len__(self) -> int:
        return self._listed

    def __contains__(self, serial: object) -> bool:
        return self.lookup(serial) is not None if isinstance(serial, int) else False

    def lookup(self, serial: int, issuer: x509.Name | None = None) -> Revocation | None:
        """The entry for the certificate `serial` of `issuer` (default: the CRL's issuer)."""
        key = self._issuer_key if issuer is None else name_key(issuer)
        if self.indirect:
            found = self._entries.get((key, serial))
        elif key != self._issuer_key:
            return None  # an ordinary CRL says nothing about another issuer's certificates
        else:
            found = self._entries.get(serial)
        if found is None:
            return None
        return Revocation(serial=found[0], date=found[1], reason=found[2])

    def serials(self) -> tuple[int, ...]:
        """Revoked serials in the CRL's own order (each once, whatever its issuer)."""
        return self._serials


def is_indirect(crl: x509.CertificateRevocationList) -> bool:
    """Whether `crl` says it is indirect (RFC 5280 5.2.5); a malformed IDP says it is not."""
    try:
        idp = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    return idp.indirect_crl


def _certificate_issuer_of(revoked: x509.RevokedCertificate) -> tuple[NameKey, ...] | None:
    """The directory names of a certificateIssuer entry extension (5.3.3), if it has one."""
    try:
        names = revoked.extensions.get_extension_for_class(x509.CertificateIssuer).value
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
