"""The HTTP that SCEP rides on, as values: what pkid sends a SCEP server and what it gets back,
and how the device's side reads an answer that is no answer (EnrollmentError, one line).

Sans I/O: whoever carries them (SimPy in a run, the cli's transport) moves these values; the
SCEP CA (pki.scep_ca) and pkid's enrollment (pki.enrollment) only make and read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from pki.escape import escape

__all__ = ["CA_CERT", "CA_RA_CERT", "PKI_MESSAGE", "EnrollmentError", "HttpRequest",
           "HttpResponse", "one_line", "operation_url", "refusal_of"]

# RFC 8894's content types: one CA certificate (DER), a CA with its RA or issuers (a
# certificates-only PKCS#7), and a pkiMessage.
CA_CERT = "application/x-x509-ca-cert"
CA_RA_CERT = "application/x-x509-ca-ra-cert"
PKI_MESSAGE = "application/x-pki-message"
_METHODS = ("GET", "POST")
_MAX_URL = 8192


@dataclass(frozen=True, kw_only=True)
class HttpRequest:
    method: str
    url: str  # with its query: ?operation=...
    body: bytes = b""

    def __post_init__(self) -> None:
        if self.method not in _METHODS:
            raise ValueError(f"HTTP method {self.method!r}: GET or POST")
        if not isinstance(self.url, str) or not self.url or len(self.url) > _MAX_URL:
            raise ValueError(f"an HTTP request needs a URL of at most {_MAX_URL} characters")
        if not isinstance(self.body, bytes):
            raise TypeError("an HTTP body is bytes")


@dataclass(frozen=True, kw_only=True)
class HttpResponse:
    status: int
    content_type: str
    body: bytes

    def __post_init__(self) -> None:
        if isinstance(self.status, bool) or not isinstance(self.status, int) \
                or not 100 <= self.status <= 599:
            raise ValueError(f"HTTP status {self.status!r} is not one")
        if not isinstance(self.content_type, str) or not isinstance(self.body, bytes):
            raise TypeError("an HTTP response has a str content type and a bytes body")


class EnrollmentError(ValueError):
    """An enrollment that cannot go on; str() says what went wrong, in one line."""


def operation_url(url: str, operation: str, message: str | None = None) -> str:
    """The enrollment URL with SCEP's query: ?operation=OP[&message=M]."""
    if urlsplit(url).query:
        raise EnrollmentError(f"enrollment URL {escape(url)} already has a query")
    query = f"operation={operation}"
    if message is not None:
        query += f"&message={quote(message, safe='')}"
    return f"{url}?{query}"


def refusal_of(response: HttpResponse, url: str) -> str | None:
    """Why `response` is no answer to a request for `url`, or None when it is one."""
    if not isinstance(response, HttpResponse):
        return "no HTTP response"
    if response.status != 200:
        first = response.body[:200].decode("ascii", errors="replace").splitlines()
        detail = f": {escape(first[0])}" if first else ""
        return f"HTTP {response.status} from {escape(url)}{detail}"
    return None


def one_line(error: Exception) -> str:
    """An error's text as one escaped line (ours are; a library's may not be)."""
    lines = str(error).splitlines()
    return escape(lines[0][:300]) if lines else type(error).__name__
