"""OCSP (RFC 6960) as an SRX's pkid uses it: the request for one certificate, and the check of
the answer. Pure: the time is passed in, the bytes come and go through the caller.

Junos behaviour followed (Junos OS 12.1X46-D20 documentation, "Understanding Online
Certificate Status Protocol", and the `ocsp` statement):
- The request names the certificate by a SHA-1 CertID (the hash 2012-era clients use) and
  carries a nonce unless `nonce-payload disable`: a nonce is sent by default, and when one is
  sent the response must echo it, or the revocation check fails.
- Only signed responses are accepted, signed by the CA itself or by a responder certificate
  the CA issued (an authorized responder, RFC 6960 4.2.2.2: issued directly by the CA, with
  id-kp-OCSPSigning) that the response carries.
- The answer must be for the certificate asked about (CertID) and current at the device's
  time: thisUpdate not in the future, nextUpdate (when given) not in the past.

Every refusal is an `OcspRefused` with one line saying what is wrong; nothing raises for bytes
a responder sent.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from pki.name_match import names_match
from pki.names import render_oneline
from pki.parse_errors import PARSE_ERRORS
from pki.signing import signature_is_valid
from pki.working_key import UnusableKey, working_public_key

# A response for one certificate is a few kilobytes; a responder's certificate chain adds a
# few more. Anything far past that is refused before it is parsed.
RESPONSE_MAX_BYTES = 64 * 1024
NONCE_BYTES = 16  # as OpenSSL's clients send
AIA_URLS_MAX = 4  # responders pkid tries from one certificate
URL_MAX = 255


class OcspStatus(enum.Enum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


_STATUS = {
    ocsp.OCSPCertStatus.GOOD: OcspStatus.GOOD,
    ocsp.OCSPCertStatus.REVOKED: OcspStatus.REVOKED,
    ocsp.OCSPCertStatus.UNKNOWN: OcspStatus.UNKNOWN,
}


class OcspRefused(ValueError):
    """A response that cannot be used; str() is one line, free of what the responder sent
    beyond names and numbers already escaped."""


@dataclass(frozen=True, kw_only=True)
class OcspRequest:
    """A request pkid sends, kept to check the answer against."""

    certificate: x509.Certificate  # the certificate whose status is asked
    issuer: x509.Certificate  # its CA
    nonce: bytes | None
    der: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.der, bytes) or not self.der:
            raise TypeError("der must be the request's DER bytes")
        if self.nonce is not None and not isinstance(self.nonce, bytes):
            raise TypeError("nonce must be bytes or None")

    @property
    def serial(self) -> int:
        return self.certificate.serial_number


def build_request(certificate: x509.Certificate, issuer: x509.Certificate, *,
                  nonce: bytes | None) -> OcspRequest:
    """The DER request for `certificate` (SHA-1 CertID), with `nonce` when one is sent."""
    builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA1())
    if nonce is not None:
        if not nonce:
            raise ValueError("a nonce must not be empty")
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    der = builder.build().public_bytes(serialization.Encoding.DER)
    return OcspRequest(certificate=certificate, issuer=issuer, nonce=nonce, der=der)


@dataclass(frozen=True, kw_only=True)
class OcspAnswer:
    """A checked response: what the responder said about the certificate, and who said it."""

    status: OcspStatus
    responder: str  # the signer's name, one line
    this_update: dt.datetime
    next_update: dt.datetime | None
    revocation_time: dt.datetime | None = None
    revocation_reason: x509.ReasonFlags | None = None
    # The authorized responder's certificate when a delegate signed (None: the CA itself), and
    # whether it says its own revocation need not be checked (id-pkix-ocsp-nocheck).
    delegate: x509.Certificate | None = None
    nocheck: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.status, OcspStatus):
            raise TypeError("status must be an OcspStatus")
        if (self.status is OcspStatus.REVOKED) != (self.revocation_time is not None):
            raise ValueError("a revocation time goes with the revoked status, and only there")


def check_response(data: bytes, request: OcspRequest, *, at: dt.datetime) -> OcspAnswer:
    """The answer `data` gives to `request` at the device's time `at`, or OcspRefused."""
    if len(data) > RESPONSE_MAX_BYTES:
        raise OcspRefused(f"OCSP response of {len(data):,} bytes is over the "
                          f"{RESPONSE_MAX_BYTES:,}-byte limit")
    try:
        response = ocsp.load_der_ocsp_response(data)
        status = response.response_status
    except PARSE_ERRORS as exc:
        raise OcspRefused(f"OCSP response cannot be parsed ({_first_line(exc)})") from None
    if status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise OcspRefused(f"OCSP responder answered {status.name.lower()}")
    try:
        return _check_basic(response, request, at)
    except PARSE_ERRORS as exc:
        if isinstance(exc, OcspRefused):
            raise
        raise OcspRefused(f"OCSP response cannot be read ({_first_line(exc)})") from None


def _check_basic(response: ocsp.OCSPResponse, request: OcspRequest,
                 at: dt.datetime) -> OcspAnswer:
    ca = request.issuer
    signer, delegate = _signer(response, ca, at)
    if not _signed_by(response, signer):
        raise OcspRefused(f"OCSP response signature does not verify with the key of "
                          f"{_name(signer)}")
    if request.nonce is not None:
        echoed = _nonce_of(response)
        if echoed is None:
            raise OcspRefused("OCSP response carries no nonce (nonce-payload is enabled)")
        if echoed != request.nonce:
            raise OcspRefused("OCSP response nonce does not match the request's")
    single = _single_for(response, request)
    this_update, next_update = single.this_update_utc, single.next_update_utc
    if this_update > at:
        raise OcspRefused(f"OCSP response is not valid before {this_update:%Y-%m-%d %H:%M:%S} "
                          "UTC (thisUpdate)")
    if next_update is not None and next_update < at:
        raise OcspRefused(f"OCSP response expired at {next_update:%Y-%m-%d %H:%M:%S} UTC "
                          "(nextUpdate)")
    status = _STATUS[single.certificate_status]
    revoked = status is OcspStatus.REVOKED
    return OcspAnswer(
        status=status, responder=_name(signer), this_update=this_update,
        next_update=next_update,
        revocation_time=single.revocation_time_utc if revoked else None,
        revocation_reason=single.revocation_reason if revoked else None,
        delegate=delegate, nocheck=delegate is not None and _has_nocheck(delegate))


def _signer(response: ocsp.OCSPResponse, ca: x509.Certificate, at: dt.datetime
            ) -> tuple[x509.Certificate, x509.Certificate | None]:
    """The certificate whose key must have signed: the CA's, or an authorized responder's
    the response carries (RFC 6960 4.2.2.2). The delegate is returned second."""
    if _identifies(response, ca):
        return ca, None
    candidates = [c for c in response.certificates if _identifies(response, c)]
    if not candidates:
        raise OcspRefused(f"OCSP response is signed by {_responder_id(response)}, neither the "
                          f"CA {_name(ca)} nor a responder certificate it carries")
    delegate = candidates[0]
    if not names_match(delegate.issuer, ca.subject) or not _issued_by(delegate, ca):
        raise OcspRefused(f"OCSP responder certificate {_name(delegate)} is not issued by the "
                          f"CA {_name(ca)}")
    if not _ocsp_signing(delegate):
        raise OcspRefused(f"OCSP responder certificate {_name(delegate)} lacks extended key "
                          "usage OCSPSigning")
    if not delegate.not_valid_before_utc <= at <= delegate.not_valid_after_utc:
        raise OcspRefused(f"OCSP responder certificate {_name(delegate)} is not valid at "
                          f"{at:%Y-%m-%d %H:%M:%S} UTC")
    return delegate, delegate


def _identifies(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    """Whether the response's ResponderID names `cert` (byName, or byKey: the SHA-1 of the
    subjectPublicKey bits)."""
    if response.responder_name is not None:
        return names_match(response.responder_name, cert.subject)
    try:
        key_hash = x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest
    except PARSE_ERRORS:
        return False
    return response.responder_key_hash == key_hash


def _signed_by(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    try:
        key = working_public_key(cert, None)
        algorithm = response.signature_hash_algorithm
        data, signature = response.tbs_response_bytes, response.signature
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, data, algorithm)
        else:
            return False
    except (InvalidSignature, UnusableKey, *PARSE_ERRORS):
        return False
    return True


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        return signature_is_valid(cert, working_public_key(ca, None))
    except (UnusableKey, *PARSE_ERRORS):
        return False


def _ocsp_signing(cert: x509.Certificate) -> bool:
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return ExtendedKeyUsageOID.OCSP_SIGNING in usage


def _has_nocheck(cert: x509.Certificate) -> bool:
    try:
        cert.extensions.get_extension_for_class(x509.OCSPNoCheck)
    except x509.ExtensionNotFound:
        return False
    return True


def _nonce_of(response: ocsp.OCSPResponse) -> bytes | None:
    try:
        return response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None


def _single_for(response: ocsp.OCSPResponse, request: OcspRequest
                ) -> ocsp.OCSPSingleResponse:
    """The response's entry for the requested certificate: same serial, same issuer hashes."""
    asked = ocsp.load_der_ocsp_request(request.der)
    for single in response.responses:
        if (single.serial_number == asked.serial_number
                and single.issuer_name_hash == asked.issuer_name_hash
                and single.issuer_key_hash == asked.issuer_key_hash
                and single.hash_algorithm.name == asked.hash_algorithm.name):
            return single
    raise OcspRefused(f"OCSP response has no status for certificate serial "
                      f"{request.serial:X} of {_name(request.issuer)} (CertID mismatch)")


def _responder_id(response: ocsp.OCSPResponse) -> str:
    if response.responder_name is not None:
        return _render(response.responder_name)
    return f"key hash {response.responder_key_hash.hex()}"


def _name(cert: x509.Certificate) -> str:
    return _render(cert.subject)


def _render(name: x509.Name) -> str:
    try:
        return render_oneline(name)
    except PARSE_ERRORS:
        return name.rfc4514_string()


def _first_line(exc: Exception) -> str:
    text = str(exc).splitlines()
    return text[0][:120] if text else type(exc).__name__


def ocsp_urls_of(cert: x509.Certificate) -> tuple[str, ...]:
    """The OCSP responder URLs of a certificate's AuthorityInfoAccess extension, in order:
    the http ones with a host (Junos asks responders over HTTP), at most AIA_URLS_MAX of them,
    since the certificate may be a peer's."""
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except (x509.ExtensionNotFound, *PARSE_ERRORS):
        return ()
    urls = [d.access_location.value for d in aia
            if d.access_method == x509.oid.AuthorityInformationAccessOID.OCSP
            and isinstance(d.access_location, x509.UniformResourceIdentifier)]
    return tuple(url for url in urls if _http_with_host(url))[:AIA_URLS_MAX]


def _http_with_host(url: str) -> bool:
    if len(url) > URL_MAX or not url.isascii() or not url.isprintable():
        return False
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() == "http" and bool(parts.hostname)
    except ValueError:  # an unbalanced IPv6 bracket, a bad port
        return False


def ocsp_access(urls: tuple[str, ...]) -> x509.AuthorityInformationAccess:
    """The AuthorityInfoAccess a CA puts in the certificates it issues to name its responder."""
    return x509.AuthorityInformationAccess([
        x509.AccessDescription(x509.oid.AuthorityInformationAccessOID.OCSP,
                               x509.UniformResourceIdentifier(url)) for url in urls])
