"""Revocation status from CRLs (RFC 5280 6.3, simplified), for one certificate of a path.

For a certificate and its issuer on a path: the CRLs of the issuer and of the cRLIssuers its
distribution points name (indirect CRLs) are sorted into out-of-scope ones (pki.crl_scope,
6.3.3 (b)), unusable ones (an unknown critical extension, a bad signature, a signer without
cRLSign, outside thisUpdate..nextUpdate) and usable ones; for each CRL issuer, the newest
usable complete CRL, with the newest delta CRL of that issuer based on it, decides, and any
of them saying revoked is enough.

Deviations from 6.3: the signer of a CRL (6.3.3 (f)) is any certificate named like the CRL's
issuer, holding cRLSign, whose key verifies the CRL and whose own path validates (the caller's
`validate_signer`), not necessarily to the same trust anchor; a CRL issuer's own certificate
may be covered by the CRL it signs (PKITS 4.14.30): its path is the one being validated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from pki.certs import crl_urls_of
from pki.context import ValidationContext
from pki.crl import Revocation, crl_number_of
from pki.crl_facts import facts_of
from pki.crl_scope import ALL_REASONS, candidate_crls, crl_issuers, scope
from pki.keys import PublicKey
from pki.name_match import names_match, subject_key
from pki.parse_errors import PARSE_ERRORS
from pki.result import CrlNeeded, ValidationFailure

_KNOWN_CRL_EXTENSIONS = frozenset({
    ExtensionOID.CRL_NUMBER, ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    ExtensionOID.ISSUING_DISTRIBUTION_POINT, ExtensionOID.DELTA_CRL_INDICATOR,
    ExtensionOID.ISSUER_ALTERNATIVE_NAME, ExtensionOID.FRESHEST_CRL,
    ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
})
_REMOVE = x509.ReasonFlags.remove_from_crl


@dataclass(frozen=True, kw_only=True)
class RevocationProblem:
    """Why revocation status could not be established as good."""

    reason: ValidationFailure
    message: str
    revocation: Revocation | None = None
    crl_needed: CrlNeeded | None = None


SignerCheck = Callable[[x509.Certificate], bool]


def check_revocation(cert: x509.Certificate, issuer: x509.Certificate, ctx: ValidationContext,
                     validate_signer: SignerCheck, *, issuer_key: PublicKey | None = None
                     ) -> RevocationProblem | None:
    """None when a usable CRL says `cert` is not revoked; otherwise what is wrong.

    `issuer_key` is the issuer's working public key on the path (its DSA parameters may be
    inherited); None: the key `issuer` holds itself."""
    complete: list[tuple[x509.CertificateRevocationList, frozenset]] = []
    deltas: list[x509.CertificateRevocationList] = []
    problems: list[tuple[x509.CertificateRevocationList, RevocationProblem]] = []
    for crl in candidate_crls(cert, ctx):
        reasons = scope(crl, cert)
        if reasons is None:
            continue
        problem = _unusable(crl, cert, issuer, issuer_key, ctx, validate_signer)
        if problem is not None:
            problems.append((crl, problem))
        elif _has(crl, x509.DeltaCRLIndicator):
            deltas.append(crl)
        else:
            complete.append((crl, reasons))
    covered = frozenset().union(*(reasons for _, reasons in complete))
    if not complete or covered != ALL_REASONS:
        if problems:
            # The newest failing CRL tells best what to do (fetch again, distrust the server).
            return max(problems, key=lambda item: item[0].last_update_utc)[1]
        what = "no CRL" if not complete else "no CRL covering every revocation reason"
        whose = " or ".join(name.rfc4514_string() for name in crl_issuers(cert)[:-1]
                            + [issuer.subject])
        return RevocationProblem(
            reason=ValidationFailure.CRL_MISSING, message=f"{what} from {whose} is loaded",
            crl_needed=_needed(cert, issuer, ctx))
    full = [crl for crl, reasons in complete if reasons == ALL_REASONS]
    for crl in _newest_of_each_issuer(full) if full else [crl for crl, _ in complete]:
        entry = _status(crl, deltas, cert, ctx)
        if entry is not None:
            return RevocationProblem(reason=ValidationFailure.REVOKED, revocation=entry,
                                     message=revoked_message(entry))
    return None


def revoked_message(entry: Revocation) -> str:
    """How a revoked certificate is reported, whether a CRL or an OCSP responder said so."""
    why = f" ({entry.reason.value})" if entry.reason else ""
    return (f"certificate serial {entry.serial:X} was revoked on "
            f"{entry.date:%Y-%m-%d %H:%M} UTC{why}")


def _status(crl: x509.CertificateRevocationList, deltas: list[x509.CertificateRevocationList],
            cert: x509.Certificate, ctx: ValidationContext) -> Revocation | None:
    """The revocation entry for `cert` in `crl` as updated by its newest delta CRL, if any."""
    number = crl_number_of(crl)
    # 6.3.3 (c)(1): a delta CRL is read with a complete CRL of the same issuer.
    based = [d for d in deltas if number is not None and _base_number(d) <= number
             and names_match(d.issuer, crl.issuer)]
    delta = _newest(based)
    if delta is not None:
        entry = _lookup(delta, cert, ctx)
        if entry is not None:
            return None if entry.reason is _REMOVE else entry
    entry = _lookup(crl, cert, ctx)
    return None if entry is None or entry.reason is _REMOVE else entry


def _base_number(delta: x509.CertificateRevocationList) -> int:
    return delta.extensions.get_extension_for_class(x509.DeltaCRLIndicator).value.crl_number


def _lookup(crl: x509.CertificateRevocationList, cert: x509.Certificate,
            ctx: ValidationContext) -> Revocation | None:
    # Keyed by the certificate's issuer too: an indirect CRL lists other issuers' serials.
    return ctx.revocation_cache.index(crl).lookup(cert.serial_number, cert.issuer)


def _newest_of_each_issuer(crls: list[x509.CertificateRevocationList]
                           ) -> list[x509.CertificateRevocationList]:
    """The newest CRL of each CRL issuer: CRL numbers of different issuers are not comparable,
    and a certificate revoked on its issuer's CRL or on an indirect CRL covering it is revoked."""
    by_issuer: dict[object, list[x509.CertificateRevocationList]] = {}
    for crl in crls:
        by_issuer.setdefault(facts_of(crl).issuer_key, []).append(crl)
    return [crl for group in by_issuer.values() if (crl := _newest(group)) is not None]


def _newest(crls: list[x509.CertificateRevocationList]
            ) -> x509.CertificateRevocationList | None:
    if not crls:
        return None
    return max(crls, key=lambda crl: (crl.last_update_utc, crl_number_of(crl) or 0))


def _needed(cert: x509.Certificate, issuer: x509.Certificate,
            ctx: ValidationContext) -> CrlNeeded:
    # Chapter 5: the CDP of the certificate being checked, then the CA profile's URL.
    urls = dict.fromkeys(crl_urls_of(cert) + ctx.profile_crl_urls(issuer.subject))
    return CrlNeeded(ca_certificate=issuer, urls=tuple(urls))


def _has(crl: x509.CertificateRevocationList, kind: type) -> bool:
    try:
        crl.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return False
    return True


# -- usability: extensions, signature, signer, dates ----------------------------------------


def _unusable(crl: x509.CertificateRevocationList, cert: x509.Certificate,
              issuer: x509.Certificate, issuer_key: PublicKey | None, ctx: ValidationContext,
              validate_signer: SignerCheck) -> RevocationProblem | None:
    try:
        extensions = list(crl.extensions)
    except PARSE_ERRORS as exc:
        return RevocationProblem(reason=ValidationFailure.MALFORMED,
                                 message=f"CRL extensions cannot be parsed: {exc}")
    try:
        ctx.revocation_cache.index(crl)
    except PARSE_ERRORS as exc:
        return RevocationProblem(reason=ValidationFailure.MALFORMED,
                                 message=f"CRL entries cannot be read: {exc}")
    unknown = [ext.oid.dotted_string for ext in extensions
               if ext.critical and ext.oid not in _KNOWN_CRL_EXTENSIONS]
    if unknown or ctx.revocation_cache.has_unknown_critical_entry_extension(crl):
        where = f"extension {', '.join(unknown)}" if unknown else "entry extension"
        return RevocationProblem(
            reason=ValidationFailure.UNKNOWN_CRITICAL_EXTENSION,
            message=f"CRL from {crl.issuer.rfc4514_string()} has an unknown critical {where}")
    problem = _signer_problem(crl, cert, issuer, issuer_key, ctx, validate_signer)
    if problem is not None:
        return problem
    if crl.last_update_utc > ctx.at:
        return RevocationProblem(
            reason=ValidationFailure.CRL_NOT_YET_VALID,
            message=f"CRL from {crl.issuer.rfc4514_string()} is not valid before "
                    f"{crl.last_update_utc:%Y-%m-%d %H:%M} UTC")
    next_update = crl.next_update_utc
    if next_update is not None and next_update < ctx.at:
        return RevocationProblem(
            reason=ValidationFailure.CRL_EXPIRED, crl_needed=_needed(cert, issuer, ctx),
            message=f"CRL from {crl.issuer.rfc4514_string()} expired at "
                    f"{next_update:%Y-%m-%d %H:%M} UTC (nextUpdate)")
    return None


def _signature_valid(crl: x509.CertificateRevocationList, signer: x509.Certificate,
                     ctx: ValidationContext, key: PublicKey | None = None) -> bool:
    """Whether `key` (default: the key `signer` holds by itself) signed `crl`; a signature
    that verified once for this CRL object is not checked again (pki.crl_facts)."""
    facts = ctx.revocation_cache.facts(crl)
    return facts.signed_by(key) if key is not None else facts.signed_by_certificate(signer)


def _crl_sign_allowed(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value.crl_sign
    except x509.ExtensionNotFound:
        return True


def _signer_problem(crl: x509.CertificateRevocationList, cert: x509.Certificate,
                    issuer: x509.Certificate, issuer_key: PublicKey | None,
                    ctx: ValidationContext, validate_signer: SignerCheck
                    ) -> RevocationProblem | None:
    """6.3.3 (f): the CRL's signer is the certificate's issuer, or a certificate named like the
    CRL's issuer (another key of the CA, or an indirect CRL's issuer) whose path validates."""
    crl_issuer = ctx.revocation_cache.facts(crl).issuer_key
    if subject_key(issuer) == crl_issuer and _signature_valid(crl, issuer, ctx, issuer_key):
        if _crl_sign_allowed(issuer):
            return None
        return RevocationProblem(
            reason=ValidationFailure.KEY_USAGE,
            message=f"CRL signer {issuer.subject.rfc4514_string()} lacks keyUsage cRLSign")
    for other in ctx.certificates_named(crl.issuer):
        if (other != issuer and subject_key(other) == crl_issuer
                and _crl_sign_allowed(other) and _signature_valid(crl, other, ctx)):
            if other == cert or validate_signer(other):
                # `cert` signing the CRL that covers it: its path is the one being checked.
                return None
            return RevocationProblem(
                reason=ValidationFailure.CRL_SIGNATURE_INVALID,
                message=f"CRL from {crl.issuer.rfc4514_string()} is signed by a key whose "
                        f"certificate does not validate")
    return RevocationProblem(reason=ValidationFailure.CRL_SIGNATURE_INVALID,
                             message=f"CRL from {crl.issuer.rfc4514_string()}: signature does "
                                     f"not verify with the "
                                     f"key of a CRL signer")
