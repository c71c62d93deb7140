"""Building candidate certification paths from an unordered pool of certificates.

From the leaf upward, every certificate of the pool (trust anchors first, then the other CA
certificates) whose subject matches the current certificate's issuer is tried, so crossed
certificates (the guide's Figure 3) give several paths. Candidates whose subject key
identifier matches the authority key identifier come first. A path stops at the first trust
anchor; a CA (subject and key) may appear only once in a path, which breaks cross-certification
loops. Nothing is verified here: pki.validate judges each candidate.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from pki import proven
from pki.context import ValidationContext
from pki.name_match import name_key
from pki.parse_errors import PARSE_ERRORS
from pki.result import ValidationFailure
from pki.working_key import spki_of

Path = tuple[x509.Certificate, ...]

# Beyond this many certificates nothing is built: a path longer than max_chain_length is only
# looked for so that it can be reported as CHAIN_TOO_LONG rather than ISSUER_NOT_FOUND.
_EXTRA_DEPTH = 10
# Bound on the certificates visited, against pathological cross-certification meshes.
_MAX_STEPS = 20_000


@dataclass(frozen=True, kw_only=True)
class DeadEnd:
    """The longest path that reached no trust anchor, and why it stopped."""

    path: Path
    reason: ValidationFailure  # ISSUER_NOT_FOUND or CHAIN_LOOP


@dataclass(frozen=True, kw_only=True)
class Candidates:
    paths: tuple[Path, ...]  # leaf .. trust anchor, shortest first
    dead_end: DeadEnd | None


def _identity(cert: x509.Certificate) -> tuple[object, bytes]:
    # The key as encoded, never parsed: a key of an unknown algorithm is still a key here.
    try:
        key = spki_of(cert).encoding
    except PARSE_ERRORS:
        key = cert.fingerprint(hashes.SHA256())  # not even DER we read: the cert stands for it
    return name_key(cert.subject), key


def _key_id(cert: x509.Certificate, kind: type) -> bytes | None:
    try:
        value = cert.extensions.get_extension_for_class(kind).value
    except (x509.ExtensionNotFound, *PARSE_ERRORS):
        return None
    return value.key_identifier if kind is x509.AuthorityKeyIdentifier else value.digest


def _ranked_issuers(cert: x509.Certificate, ctx: ValidationContext) -> list[x509.Certificate]:
    aki = _key_id(cert, x509.AuthorityKeyIdentifier)
    seen: set[x509.Certificate] = set()
    ranked = []
    for order, candidate in enumerate(ctx.certificates_named(cert.issuer)):
        if candidate in seen:
            continue
        seen.add(candidate)
        ski = _key_id(candidate, x509.SubjectKeyIdentifier)
        match = 1 if aki is None or ski is None else (0 if aki == ski else 2)
        ranked.append((match, not ctx.is_anchor(candidate), order, candidate))
    ranked.sort(key=lambda item: item[:3])
    return [item[3] for item in ranked]


# Candidates by everything path building reads: the leaf, the anchors and the pool in order,
# and the length limit. Paths hold the certificates of the call that built them, equal (same
# DER) to the ones of a later call.
_BUILT: proven.Memo[tuple[object, ...], Candidates] = proven.Memo(4096)


def build_paths(leaf: x509.Certificate, ctx: ValidationContext) -> Candidates:
    key = (leaf, ctx.trust_anchors, ctx.intermediates, ctx.max_chain_length)
    found = _BUILT.get(key)
    if found is None:
        found = _build_paths(leaf, ctx)
        _BUILT.put(key, found)
    return found


def _build_paths(leaf: x509.Certificate, ctx: ValidationContext) -> Candidates:
    depth_limit = ctx.max_chain_length + _EXTRA_DEPTH
    found: list[Path] = []
    dead_end: DeadEnd | None = None
    steps = 0

    def note_dead_end(path: Path, reason: ValidationFailure) -> None:
        nonlocal dead_end
        if dead_end is None or len(path) > len(dead_end.path) or (
                len(path) == len(dead_end.path) and reason is ValidationFailure.ISSUER_NOT_FOUND
                and dead_end.reason is ValidationFailure.CHAIN_LOOP):
            dead_end = DeadEnd(path=path, reason=reason)

    def extend(path: Path, identities: frozenset) -> None:
        nonlocal steps
        steps += 1
        top = path[-1]
        if ctx.is_anchor(top):
            found.append(path)
            return
        if len(path) >= depth_limit or steps > _MAX_STEPS:
            note_dead_end(path, ValidationFailure.ISSUER_NOT_FOUND)
            return
        extended = looped = False
        for issuer in _ranked_issuers(top, ctx):
            if issuer == top:
                continue  # a self-signed certificate that is not trusted: no issuer above it
            identity = _identity(issuer)
            if identity in identities:
                looped = True
                continue
            extended = True
            extend(path + (issuer,), identities | {identity})
        if not extended:
            reason = ValidationFailure.CHAIN_LOOP if looped else ValidationFailure.ISSUER_NOT_FOUND
            note_dead_end(path, reason)

    extend((leaf,), frozenset({_identity(leaf)}))
    found.sort(key=len)  # stable: among equal lengths, the AKI-preferred order stays
    return Candidates(paths=tuple(found), dead_end=dead_end)
