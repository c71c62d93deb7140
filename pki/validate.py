"""`validate_path`: build every candidate path for a leaf, judge each, give one verdict.

The first valid candidate wins. When none is valid, the verdict is the best failing one:
a path that failed only on revocation (its CRL is missing or says revoked) beats one that
failed a structural check, which beats an over-long path, which beats a path that reached no
trust anchor; among equals, the shortest, then the first built.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from cryptography import x509

from pki.context import (
    CertificateInput,
    CrlInput,
    CrlUrlSource,
    RevocationCache,
    ValidationContext,
    load_certificates,
)
from pki.paths import build_paths
from pki.policy_tree import PolicySettings
from pki.processing import check_path
from pki.result import ValidationFailure, ValidationResult

_REVOCATION_STAGE = frozenset({
    ValidationFailure.REVOKED, ValidationFailure.CRL_MISSING, ValidationFailure.CRL_EXPIRED,
    ValidationFailure.CRL_NOT_YET_VALID, ValidationFailure.CRL_SIGNATURE_INVALID,
})


def _rank(result: ValidationResult) -> int:
    if result.reason in _REVOCATION_STAGE or result.crl_needed is not None:
        return 0
    if result.reason is ValidationFailure.CHAIN_TOO_LONG:
        return 2
    return 1


def validate_path(leaf: CertificateInput, *, trust_anchors: Iterable[CertificateInput],
                  at: dt.datetime | None = None, intermediates: Iterable[CertificateInput] = (),
                  crls: Iterable[CrlInput] = (), check_revocation: bool = True,
                  max_chain_length: int = 10,
                  ca_profile_crl_urls: CrlUrlSource | None = None,
                  revocation_exempt: Iterable[x509.Name] = (),
                  policy: PolicySettings | None = None,
                  revocation_cache: RevocationCache | None = None) -> ValidationResult:
    """Validate `leaf` at time `at` against `trust_anchors`.

    `intermediates` is the unordered pool of other certificates (the peer's and the store's
    CA certificates); `crls` the CRLs at hand. `at` is timezone-aware; None means now, read here
    once at the entry point (a simulation always passes its device's clock: the checks below
    never read the clock). When a CRL is missing or stale the result names the CA whose CRL is
    needed and the URLs to try (`crl_needed`); fetch it and call again with it in `crls`.
    `ca_profile_crl_urls` maps a CA subject name to the URLs its CA profile configures (a
    mapping or a callable). Certificates issued by a CA named in `revocation_exempt` are not
    checked for revocation (its CA profile says revocation-check disable). `policy` sets the
    RFC 5280 policy inputs (default: any policy); `revocation_cache` keeps CRL indexes between
    calls.
    """
    if at is None:
        at = dt.datetime.now(dt.UTC)
    certs = load_certificates(leaf)
    if len(certs) != 1:
        raise ValueError(f"leaf must be one certificate, got {len(certs)}")
    options: dict[str, object] = {}
    if policy is not None:
        options["policy"] = policy
    if revocation_cache is not None:
        options["revocation_cache"] = revocation_cache
    ctx = ValidationContext.from_inputs(
        at=at, trust_anchors=trust_anchors, intermediates=intermediates, crls=crls,
        check_revocation=check_revocation, max_chain_length=max_chain_length,
        ca_profile_crl_urls=ca_profile_crl_urls, revocation_exempt=tuple(revocation_exempt),
        **options)
    return validate_in_context(certs[0], ctx)


def validate_in_context(leaf: x509.Certificate, ctx: ValidationContext,
                        _busy: frozenset[x509.Certificate] = frozenset()) -> ValidationResult:
    """The verdict on `leaf` with an already built context."""
    busy = _busy | {leaf}

    def validate_signer(cert: x509.Certificate) -> bool:
        # A CRL signed by another key of the CA: that key's certificate must validate too.
        if cert in busy:
            return False
        return validate_in_context(cert, ctx, busy).ok

    candidates = build_paths(leaf, ctx)
    best: ValidationResult | None = None
    for path in candidates.paths:
        result = check_path(path, ctx, validate_signer)
        if result.ok:
            return result
        if best is None or _rank(result) < _rank(best):
            best = result
    if best is not None:
        return best
    dead_end = candidates.dead_end
    top = dead_end.path[-1]
    if dead_end.reason is ValidationFailure.CHAIN_LOOP:
        message = (f"the issuers of {top.subject.rfc4514_string()} lead back into the chain "
                   f"without reaching a trust anchor")
    else:
        message = (f"no trust anchor or CA certificate for issuer "
                   f"{top.issuer.rfc4514_string()} of {top.subject.rfc4514_string()}")
    return ValidationResult(reason=dead_end.reason, message=message, path=dead_end.path,
                            failed_certificate=top)
