"""`request security pki ca-certificate enroll ca-profile NAME`: pkid's GetCACert, and the
GetCACaps that says which cipher the CA takes. Sans I/O, like pki.enrollment (which re-exports
these names)."""

from __future__ import annotations

from cryptography import x509

from pki import cms, cms_envelope
from pki.escape import escape
from pki.parse_errors import PARSE_ERRORS
from pki.scep_http import (
    CA_CERT,
    CA_RA_CERT,
    EnrollmentError,
    HttpRequest,
    HttpResponse,
    operation_url,
    refusal_of,
)

__all__ = ["CaCertificateEnrollment", "capabilities_request", "cipher_for",
           "read_capabilities"]


# --- GetCACert -----------------------------------------------------------------------------

class CaCertificateEnrollment:
    """`request security pki ca-certificate enroll ca-profile NAME`: one GetCACert."""

    def __init__(self, *, ca_profile: str, url: str, ca_identity: str | None) -> None:
        self.ca_profile = ca_profile
        self.url = url
        self.ca_identity = ca_identity

    def request(self) -> HttpRequest:
        return HttpRequest(method="GET",
                           url=operation_url(self.url, "GetCACert", self.ca_identity))

    def receive(self, response: HttpResponse) -> tuple[x509.Certificate, ...]:
        """The CA certificate(s) received, in the order the CA sent them (the guide's sample:
        the RA certificates, then the CA); EnrollmentError for anything else."""
        why = refusal_of(response, self.url)
        if why is not None:
            raise EnrollmentError(f"CA profile {self.ca_profile}: {why}")
        if len(response.body) > cms.MAX_MESSAGE:
            raise EnrollmentError(f"CA profile {self.ca_profile}: GetCACert answer of "
                                  f"{len(response.body)} bytes, more than {cms.MAX_MESSAGE}")
        kind = response.content_type.split(";")[0].strip().lower()
        try:
            if kind == CA_CERT:
                return (x509.load_der_x509_certificate(response.body),)
            if kind == CA_RA_CERT:
                return cms.read_certs_only(response.body)
        except cms.CmsError as error:
            raise EnrollmentError(f"CA profile {self.ca_profile}: {error}") from None
        except PARSE_ERRORS:
            raise EnrollmentError(f"CA profile {self.ca_profile}: GetCACert answer is not "
                                  "a DER certificate") from None
        raise EnrollmentError(f"CA profile {self.ca_profile}: GetCACert answer of type "
                              f"{escape(kind[:80])}, not a CA certificate")


# --- GetCACaps -----------------------------------------------------------------------------

_MAX_CAPABILITIES = 4096


def capabilities_request(url: str) -> HttpRequest:
    """GetCACaps: what the CA at `url` can do."""
    return HttpRequest(method="GET", url=operation_url(url, "GetCACaps"))


def read_capabilities(response: HttpResponse, url: str) -> frozenset[str]:
    """The CA's capability keywords (RFC 8894 3.5.2: one a line, case-insensitive); an
    unusable answer is EnrollmentError."""
    why = refusal_of(response, url)
    if why is not None:
        raise EnrollmentError(why)
    if len(response.body) > _MAX_CAPABILITIES:
        raise EnrollmentError(f"GetCACaps answer of {len(response.body)} bytes, more than "
                              f"{_MAX_CAPABILITIES}")
    text = response.body.decode("ascii", errors="replace")
    return frozenset(word.strip().upper() for word in text.splitlines() if word.strip())


def cipher_for(capabilities: frozenset[str]) -> str:
    """AES-128-CBC when the CA offers AES, else DES-EDE3-CBC (SCEP's default)."""
    return cms_envelope.AES_128_CBC if "AES" in capabilities else cms_envelope.DES_EDE3_CBC


