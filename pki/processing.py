"""Judging one candidate path: RFC 5280 section 6.1 basic path processing, step by step.

`check_path(path, ctx, ...)` takes a path from the leaf to a trust anchor (as pki.paths builds
it) and returns a ValidationResult. The steps carry their section numbers.

Deviations from RFC 5280 6.1, and why:
- The trust anchor is a certificate, and its own validity period, CA flag, pathLenConstraint
  and name constraints apply (as OpenSSL and Junos treat a CA profile's certificate); its
  signature and revocation status are not checked.
- More than ctx.max_chain_length certificates (leaf and anchor included) is CHAIN_TOO_LONG:
  the guide's limit of 10 (Chapter 7).
- Revocation (6.1.3 (a)(3)) is checked after every other step has passed for the whole path,
  from the anchor down, so that a definite failure outranks a missing CRL; a REVOKED or
  otherwise definite CRL failure further down outranks a missing CRL higher up.
- Distinguished names match per RFC 5280 7.1, simplified (pki.name_match).
- A key `cryptography` cannot use (an unknown algorithm, a DSA key without parameters and
  no DSA issuer to inherit them from) fails the path as UNSUPPORTED_ALGORITHM, the leaf's
  included: the path is validated to use the leaf's key (6.1.6's working_public_key).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import ExtensionOID

from pki import proven
from pki.context import ValidationContext
from pki.keys import PublicKey
from pki.name_match import NameConstraintsState, issuer_key, names_of, subject_key
from pki.parse_errors import PARSE_ERRORS
from pki.policy_tree import PolicyError, PolicyProcessor
from pki.result import ValidationFailure, ValidationResult
from pki.revocation import RevocationProblem, SignerCheck, check_revocation
from pki.signing import verify_with_key
from pki.working_key import UnusableKey, working_public_key

# Critical extensions this module (or pki.revocation) acts on; any other critical one fails.
_UNDERSTOOD = frozenset({
    ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.KEY_USAGE, ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    ExtensionOID.NAME_CONSTRAINTS, ExtensionOID.CERTIFICATE_POLICIES,
    ExtensionOID.POLICY_MAPPINGS, ExtensionOID.POLICY_CONSTRAINTS,
    ExtensionOID.INHIBIT_ANY_POLICY, ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER, ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    ExtensionOID.CRL_DISTRIBUTION_POINTS, ExtensionOID.ISSUER_ALTERNATIVE_NAME,
})


class _Failed(Exception):
    def __init__(self, reason: ValidationFailure, message: str,
                 cert: x509.Certificate | None) -> None:
        super().__init__(message)
        self.reason, self.message, self.cert = reason, message, cert


@lru_cache(maxsize=4096)
def _who(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string() or f"serial {cert.serial_number:X}"


def _ext(cert: x509.Certificate, kind: type) -> object | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _verify_signature(cert: x509.Certificate, issuer: x509.Certificate, key: PublicKey) -> None:
    """Whether the working public key (`issuer`'s) signed cert (names were matched already,
    per 7.1)."""
    try:
        verify_with_key(cert, key)
    except InvalidSignature:
        raise _Failed(ValidationFailure.SIGNATURE_INVALID,
                      f"signature of {_who(cert)} does not verify with the key of "
                      f"{_who(issuer)}", cert) from None
    except PARSE_ERRORS as exc:
        raise _Failed(ValidationFailure.UNSUPPORTED_ALGORITHM,
                      f"cannot verify the signature of {_who(cert)}: {exc}", cert) from None


def _working_key(cert: x509.Certificate, issuer_key: PublicKey | None) -> PublicKey:
    """6.1.4 (d)-(f), 6.1.5 (c)-(e): the key `cert` certifies, as the working public key."""
    try:
        return working_public_key(cert, issuer_key)
    except UnusableKey as exc:
        raise _Failed(ValidationFailure.UNSUPPORTED_ALGORITHM, f"{_who(cert)}: {exc}",
                      cert) from None


def _check_validity(cert: x509.Certificate, ctx: ValidationContext) -> None:
    if ctx.at < cert.not_valid_before_utc:
        raise _Failed(ValidationFailure.NOT_YET_VALID,
                      f"{_who(cert)} is not valid before "
                      f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC", cert)
    if ctx.at > cert.not_valid_after_utc:
        raise _Failed(ValidationFailure.EXPIRED,
                      f"{_who(cert)} expired at {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC",
                      cert)


def _check_extensions_parse(cert: x509.Certificate) -> None:
    try:
        cert.extensions  # noqa: B018 - parsing is the check
    except PARSE_ERRORS as exc:
        raise _Failed(ValidationFailure.MALFORMED,
                      f"extensions of {_who(cert)} cannot be parsed: {exc}", cert) from None


def _check_critical(cert: x509.Certificate) -> None:
    unknown = [ext.oid.dotted_string for ext in cert.extensions
               if ext.critical and ext.oid not in _UNDERSTOOD]
    if unknown:
        raise _Failed(ValidationFailure.UNKNOWN_CRITICAL_EXTENSION,
                      f"{_who(cert)} has unknown critical extension {', '.join(unknown)}", cert)


def _is_self_issued(cert: x509.Certificate) -> bool:
    return subject_key(cert) == issuer_key(cert)


def _check_is_ca(cert: x509.Certificate) -> x509.BasicConstraints | None:
    constraints = _ext(cert, x509.BasicConstraints)
    if constraints is None or not constraints.ca:
        raise _Failed(ValidationFailure.ISSUER_NOT_CA,
                      f"{_who(cert)} issues certificates but is not a CA "
                      f"(basicConstraints cA is not set)", cert)
    return constraints


def _check_names(cert: x509.Certificate, names: NameConstraintsState) -> None:
    alt = _ext(cert, x509.SubjectAlternativeName)
    bad = names.violation(names_of(cert, alt or ()))
    if bad is not None:
        raise _Failed(ValidationFailure.NAME_CONSTRAINTS,
                      f"name {bad.value} of {_who(cert)} is outside the permitted subtrees "
                      f"or inside an excluded one", cert)


def _apply_anchor(anchor: x509.Certificate, n: int, names: NameConstraintsState) -> int:
    """max_path_length after the anchor's own constraints (see the module docstring)."""
    constraints = _ext(anchor, x509.BasicConstraints)
    if constraints is not None and not constraints.ca:
        raise _Failed(ValidationFailure.ISSUER_NOT_CA,
                      f"trust anchor {_who(anchor)} is not a CA", anchor)
    nc = _ext(anchor, x509.NameConstraints)
    if nc is not None:
        names.add(nc)
    if constraints is not None and constraints.path_length is not None:
        return min(n, constraints.path_length)
    return n


@dataclass(frozen=True, kw_only=True)
class _Structure:
    """A path that passed every step of _process_afresh at some moment: it passes again at
    any moment within all its certificates' validity periods, its only time-dependent checks
    (policy settings are part of the memo's key)."""

    keys: tuple[PublicKey, ...]
    valid_from: dt.datetime
    valid_until: dt.datetime


_STRUCTURES: proven.Memo[tuple[object, ...], _Structure] = proven.Memo(4096)


def _process(path: tuple[x509.Certificate, ...], ctx: ValidationContext
             ) -> tuple[PublicKey, ...]:
    """Raises _Failed; returns the working public key of each certificate of `path` (in the
    path's order), which signs the next certificate down and the CRLs. A path proven at an
    earlier moment is not processed again while the validation time lies within its window;
    outside it, it is processed afresh, so an expired certificate fails as it always did."""
    key = (path, ctx.policy)
    known = _STRUCTURES.get(key)
    if known is not None and known.valid_from <= ctx.at <= known.valid_until:
        return known.keys
    keys = _process_afresh(path, ctx)
    _STRUCTURES.put(key, _Structure(
        keys=keys, valid_from=max(cert.not_valid_before_utc for cert in path),
        valid_until=min(cert.not_valid_after_utc for cert in path)))
    return keys


def _process_afresh(path: tuple[x509.Certificate, ...], ctx: ValidationContext
                    ) -> tuple[PublicKey, ...]:
    anchor = path[-1]
    certs = list(reversed(path[:-1]))  # certificate 1 is issued by the anchor, n is the leaf
    n = len(certs)
    _check_extensions_parse(anchor)
    _check_validity(anchor, ctx)
    # 6.1.2 (g), (h), (i): the anchor's key; it inherits nothing, it has no issuer here
    working_key = _working_key(anchor, None)
    keys = [working_key]
    if n == 0:
        return tuple(keys)  # the leaf is itself trusted
    # 6.1.2 initialization
    names = NameConstraintsState()
    max_path_length = _apply_anchor(anchor, n, names)  # (k)
    policies = PolicyProcessor(ctx.policy, n)  # (a), (d), (e), (f)
    working_issuer = anchor  # (j): working_issuer_name, with the certificate for messages
    for i, cert in enumerate(certs, start=1):
        _check_extensions_parse(cert)
        self_issued = _is_self_issued(cert)
        # 6.1.3 (a)(1): the signature, with the working public key
        _verify_signature(cert, working_issuer, working_key)
        # 6.1.3 (a)(2): the validity period at the validation time
        _check_validity(cert, ctx)
        # 6.1.3 (a)(3): revocation is checked later (see the module docstring)
        # 6.1.3 (a)(4): issuer name is the working_issuer_name
        if issuer_key(cert) != subject_key(working_issuer):
            raise _Failed(ValidationFailure.ISSUER_NOT_FOUND,
                          f"issuer of {_who(cert)} is not {_who(working_issuer)}", cert)
        # 6.1.3 (b), (c): name constraints, except on self-issued intermediates
        if i == n or not self_issued:
            _check_names(cert, names)
        # 6.1.3 (d), (e), (f): certificate policies
        try:
            policies.process(i, cert, self_issued)
            if i < n:
                # 6.1.4 (a), (b), (h), (i), (j): mappings and policy counters
                policies.prepare(i, cert, self_issued)
            else:
                # 6.1.5 (a), (b), (g): explicit policy and the user's policy set
                policies.wrap_up(cert)
        except PolicyError as exc:
            raise _Failed(ValidationFailure.POLICY, f"{_who(cert)}: {exc}", cert) from None
        # 6.1.4 (c)-(f), 6.1.5 (c)-(e): this certificate's key becomes the working public key,
        # inheriting DSA parameters it omits
        working_key = _working_key(cert, working_key)
        keys.append(working_key)
        if i == n:
            _check_critical(cert)  # 6.1.5 (f)
            break
        working_issuer = cert
        # 6.1.4 (g): add this CA's name constraints
        nc = _ext(cert, x509.NameConstraints)
        if nc is not None:
            names.add(nc)
        # 6.1.4 (k): it must be a CA
        constraints = _check_is_ca(cert)
        # 6.1.4 (l): non-self-issued CAs count against max_path_length
        if not self_issued:
            if max_path_length <= 0:
                raise _Failed(ValidationFailure.PATH_LENGTH_EXCEEDED,
                              f"{_who(cert)} is one CA too many for the pathLenConstraint "
                              f"of a CA above it", cert)
            max_path_length -= 1
        # 6.1.4 (m): its own pathLenConstraint
        if constraints.path_length is not None:
            max_path_length = min(max_path_length, constraints.path_length)
        # 6.1.4 (n): its key may sign certificates
        usage = _ext(cert, x509.KeyUsage)
        if usage is not None and not usage.key_cert_sign:
            raise _Failed(ValidationFailure.KEY_USAGE,
                          f"{_who(cert)} issues certificates but its keyUsage lacks "
                          f"keyCertSign", cert)
        # 6.1.4 (o): critical extensions it has are all understood
        _check_critical(cert)
    return tuple(reversed(keys))


def _revocation(path: tuple[x509.Certificate, ...], keys: tuple[PublicKey, ...],
                ctx: ValidationContext, validate_signer: SignerCheck
                ) -> tuple[x509.Certificate, RevocationProblem] | None:
    problems = []
    for index in range(len(path) - 2, -1, -1):  # the anchor is not checked
        if ctx.revocation_exempt_issuer(path[index + 1]):
            continue
        problem = check_revocation(path[index], path[index + 1], ctx, validate_signer,
                                   issuer_key=keys[index + 1])
        if problem is not None:
            problems.append((path[index], problem))
    for cert, problem in problems:
        if problem.crl_needed is None:
            return cert, problem
    return problems[0] if problems else None


def check_path(path: tuple[x509.Certificate, ...], ctx: ValidationContext,
               validate_signer: Callable[[x509.Certificate], bool]) -> ValidationResult:
    """The verdict on one path (leaf first, trust anchor last)."""
    if len(path) > ctx.max_chain_length:
        return ValidationResult(
            reason=ValidationFailure.CHAIN_TOO_LONG, path=path, failed_certificate=path[0],
            message=f"the chain has {len(path)} certificates, more than "
                    f"{ctx.max_chain_length}")
    try:
        keys = _process(path, ctx)
    except _Failed as failure:
        return ValidationResult(reason=failure.reason, message=failure.message, path=path,
                                failed_certificate=failure.cert)
    if ctx.check_revocation:
        found = _revocation(path, keys, ctx, validate_signer)
        if found is not None:
            cert, problem = found
            return ValidationResult(
                reason=problem.reason, path=path, failed_certificate=cert,
                message=f"{_who(cert)}: {problem.message}", revocation=problem.revocation,
                crl_needed=problem.crl_needed)
    return ValidationResult(reason=None, path=path, public_key=keys[0],
                            message=f"{_who(path[0])} validated to trust anchor "
                                    f"{_who(path[-1])}")
