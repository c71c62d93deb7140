"""What `cryptography` raises for bytes it will not parse, as one tuple, and one policy for what
it only warns about.

Most refusals are ValueError, but not all: an unknown key type is UnsupportedAlgorithm, a bad
version InvalidVersion, a repeated extension DuplicateExtension, an unknown kind of name
UnsupportedGeneralNameType, none of them ValueErrors. Objects are parsed lazily, so these come
when a field is first read, long after loading: every place that reads a field of a certificate
or CRL it did not check catches PARSE_ERRORS.

What `cryptography` only warns about today (a serial number that is not positive, RFC 5280
4.1.2.2) it will refuse tomorrow; a warning would also print lines nobody asked for. Inside
`strict_parsing()` it is an error like the others, so a file and a peer's CERT payload are
judged alike.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.utils import CryptographyDeprecationWarning

PARSE_ERRORS: tuple[type[Exception], ...] = (
    ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion, x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType, CryptographyDeprecationWarning,
)


@contextmanager
def strict_parsing() -> Iterator[None]:
    """Parse inside this block: cryptography's deprecation warnings raise instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", CryptographyDeprecationWarning)
        yield
