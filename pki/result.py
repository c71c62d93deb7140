"""What path validation answers: a verdict with its reason, the path judged, and what is missing.

Errors carry data, not only text: a caller (pkid) reads `reason`, `failed_certificate`,
`revocation` and `crl_needed`, and never parses `message`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from cryptography import x509

from pki.crl import Revocation
from pki.keys import PublicKey


class ValidationFailure(enum.Enum):
    """Why a certificate path was rejected. The value is the phrase used in messages."""

    SIGNATURE_INVALID = "signature does not verify"
    UNSUPPORTED_ALGORITHM = "unsupported signature or key algorithm"
    MALFORMED = "malformed certificate"
    NOT_YET_VALID = "not yet valid"
    EXPIRED = "expired"
    ISSUER_NOT_FOUND = "issuer not found"
    ISSUER_NOT_CA = "issuer is not a CA"
    PATH_LENGTH_EXCEEDED = "path length constraint exceeded"
    CHAIN_TOO_LONG = "certificate chain too long"
    CHAIN_LOOP = "certificate chain loops"
    KEY_USAGE = "key usage does not allow it"
    UNKNOWN_CRITICAL_EXTENSION = "unknown critical extension"
    NAME_CONSTRAINTS = "name constraints violated"
    POLICY = "certificate policy check failed"
    REVOKED = "revoked"
    CRL_MISSING = "CRL missing"
    CRL_EXPIRED = "CRL expired"
    CRL_NOT_YET_VALID = "CRL not yet valid"
    CRL_SIGNATURE_INVALID = "CRL signature does not verify"
    OCSP_FAILED = "OCSP check failed"


@dataclass(frozen=True, kw_only=True)
class CrlNeeded:
    """The CRL validation is waiting for: whose, and the URLs to try, in the guide's order.

    Chapter 5: the CDP URLs of the certificate being checked first, then the URL configured
    in the CA profile.
    """

    ca_certificate: x509.Certificate
    urls: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.ca_certificate, x509.Certificate):
            raise TypeError("ca_certificate must be an x509.Certificate")
        if not all(isinstance(url, str) for url in self.urls):
            raise TypeError("urls must be strings")

    @property
    def ca_subject(self) -> x509.Name:
        return self.ca_certificate.subject


@dataclass(frozen=True, kw_only=True)
class ValidationResult:
    """The verdict on one leaf certificate.

    `path` runs from the leaf to the trust anchor: the valid path, or the best failing
    candidate (for ISSUER_NOT_FOUND, as far as it could be built). `public_key` is the leaf's
    key on a valid path (RFC 5280 6.1.6's working_public_key: DSA parameters the leaf
    inherits are in it), None otherwise.
    """

    reason: ValidationFailure | None
    message: str
    path: tuple[x509.Certificate, ...]
    failed_certificate: x509.Certificate | None = None
    revocation: Revocation | None = None
    crl_needed: CrlNeeded | None = None
    public_key: PublicKey | None = None

    def __post_init__(self) -> None:
        if self.reason is not None and not isinstance(self.reason, ValidationFailure):
            raise TypeError("reason must be a ValidationFailure or None")
        if self.reason is None and (self.failed_certificate or self.revocation
                                    or self.crl_needed):
            raise ValueError("a valid path has no failed certificate, revocation or CRL need")
        if self.revocation is not None and self.reason is not ValidationFailure.REVOKED:
            raise ValueError("only a REVOKED result carries a revocation")
        object.__setattr__(self, "path", tuple(self.path))

    @property
    def ok(self) -> bool:
        return self.reason is None

    def __bool__(self) -> bool:
        return self.ok
