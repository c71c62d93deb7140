"""What `cryptography` raises for bytes it will not parse, as one tuple.

Most refusals are ValueError, but not all: an unknown key type is UnsupportedAlgorithm, a bad
version InvalidVersion, a repeated extension DuplicateExtension, an unknown kind of name
UnsupportedGeneralNameType, none of them ValueErrors. Objects are parsed lazily, so these come
when a field is first read, long after loading: every place that reads a field of a certificate
or CRL it did not check catches PARSE_ERRORS.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

PARSE_ERRORS: tuple[type[Exception], ...] = (
    ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion, x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
)
