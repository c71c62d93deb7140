"""A CA's SCEP service (RFC 8894), as a Microsoft-style CA behind mscep.dll answers it.

    GET  ?operation=GetCACert[&message=ID]   the CA certificate alone (application/
                                             x-x509-ca-cert) or, when it has issuers, a
                                             certificates-only PKCS#7 of all of them, the CA
                                             first (application/x-x509-ca-ra-cert)
    GET  ?operation=GetCACaps                what it can do, one keyword a line
    POST ?operation=PKIOperation             a pkiMessage (GET: base64 in `message`): PKCSReq,
                                             RenewalReq or CertPoll, answered with a CertRep

The CA checks the request's signature (by the transient certificate for its own key, or for
RenewalReq by a certificate this CA issued), the PKCS#10 signature, and the challenge password
when its policy has one (wrong or missing: FAILURE badRequest). The policy may answer PENDING
to the request and to a number of polls before it issues. What it issues keeps the request's
subject, subjectAltName and key (the guide: the CA returns the same DN).

Input is hostile: nothing raises out of `handle`. A message the CA cannot read or whose
signature fails is HTTP 400 with one line in the body; a readable request the CA refuses is a
CertRep FAILURE with failInfo. Pure: the caller passes `now` and carries the bytes.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AttributeOID

from pki import cms, cms_envelope, der, scep
from pki.certs import CertificateTemplate, issue
from pki.csr import request_signature_holds
from pki.escape import escape
from pki.keys import PrivateKey
from pki.parse_errors import PARSE_ERRORS
from pki.scep import FailInfo, MessageType, PkiMessage, PkiStatus
from pki.scep_http import (
    CA_CERT,
    CA_RA_CERT,
    PKI_MESSAGE,
    HttpRequest,
    HttpResponse,
    one_line,
)
from pki.signing import signature_is_valid

__all__ = ["CAPABILITIES", "MAX_PENDING_POLLS", "KeyIssuer", "ScepCa", "ScepPolicy",
           "ScepPolicyError"]

# A 2012 Microsoft CA (NDES): POST, renewal, SHA-1 and SHA-256, DES3 (no AES).
CAPABILITIES = ("POSTPKIOperation", "Renewal", "SHA-256", "SHA-1", "DES3")
MAX_PENDING_POLLS = 1000
_MAX_PASSWORD = 255
_MAX_QUERY = 4 * cms.MAX_MESSAGE // 3 + 1024  # a base64 pkiMessage and the rest


class ScepPolicyError(ValueError):
    """A SCEP policy that cannot be; str() says what, in one line."""


@dataclass(frozen=True, kw_only=True)
class ScepPolicy:
    url: str  # the enrollment URL it answers (the CA profile's `enrollment url`)
    challenge_password: str | None = None  # None: no password asked
    pending_polls: int = 0  # PENDING to the request and to this many - 1 polls, then SUCCESS
    validity: dt.timedelta | None = None  # of what it issues (None: to the CA's notAfter)

    def __post_init__(self) -> None:
        if not isinstance(self.url, str):
            raise ScepPolicyError("url must be a str")
        parts = urlsplit(self.url)
        if parts.scheme != "http" or not parts.hostname or parts.query or parts.fragment:
            raise ScepPolicyError(f"url {escape(self.url)!r}: an http URL without a query")
        password = self.challenge_password
        if password is not None and (not isinstance(password, str) or not password
                                     or len(password) > _MAX_PASSWORD
                                     or not password.isprintable()):
            raise ScepPolicyError("challenge-password: 1 to 255 printable characters")
        polls = self.pending_polls
        if isinstance(polls, bool) or not isinstance(polls, int) \
                or not 0 <= polls <= MAX_PENDING_POLLS:
            raise ScepPolicyError(f"pending-polls {polls!r}: 0 to {MAX_PENDING_POLLS}")
        if self.validity is not None and (not isinstance(self.validity, dt.timedelta)
                                          or self.validity <= dt.timedelta(0)):
            raise ScepPolicyError("validity must be a positive duration")


class _Refused(Exception):
    """A request the CA answers with HTTP 400 (`str`: the one line)."""


@dataclass
class _Pending:
    request: x509.CertificateSigningRequest
    polls_left: int
    sender: x509.Certificate  # whom to envelope the answer to


Issue = Callable[[x509.CertificateSigningRequest, dt.datetime], x509.Certificate]


class ScepCa:
    """The SCEP service of CA `name`. `issue(request, now)` signs a certificate for a request
    the CA accepted (the caller's: the hierarchy's, or the run folder's CA key). `issued`:
    what it issued, by transaction ID."""

    def __init__(self, *, name: str, certificate: x509.Certificate, key: PrivateKey,
                 chain: tuple[x509.Certificate, ...], policy: ScepPolicy, issue: Issue) -> None:
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ScepPolicyError(f"CA {name}: SCEP needs an RSA CA key")
        if not isinstance(policy, ScepPolicy):
            raise TypeError("policy must be a ScepPolicy")
        self.name = name
        self.certificate = certificate
        self.key = key
        self.chain = tuple(chain)
        self.policy = policy
        self.issue = issue
        self.issued: dict[str, x509.Certificate] = {}
        self._pending: dict[str, _Pending] = {}
        self._answered: dict[str, bytes] = {}  # by transaction ID: the message issued for

    # -- HTTP -------------------------------------------------------------------------------

    def handle(self, request: HttpRequest, *, now: dt.datetime) -> HttpResponse:
        """The CA's answer to one HTTP request. Never raises for what the request holds."""
        try:
            return self._route(request, now)
        except _Refused as refusal:
            return _text(400, str(refusal))
        except PARSE_ERRORS as error:
            # What a peer's certificate or key makes `cryptography` raise deep inside (lazy
            # parsing, a key too small to encrypt to): refused the same way, never raised.
            return _text(400, f"request not usable: {one_line(error)}")

    def _route(self, request: HttpRequest, now: dt.datetime) -> HttpResponse:
        if not isinstance(request, HttpRequest):
            raise _Refused("not an HTTP request")
        parts = urlsplit(request.url)
        if parts._replace(query="", fragment="").geturl() != self.policy.url:
            return _text(404, f"no SCEP service at {escape(request.url[:200])}")
        if len(parts.query) > _MAX_QUERY:
            raise _Refused(f"query of {len(parts.query)} characters, more than {_MAX_QUERY}")
        try:
            query = parse_qs(parts.query, strict_parsing=True, max_num_fields=4,
                             errors="strict")
        except (ValueError, UnicodeDecodeError):
            raise _Refused("query is not name=value pairs") from None
        if any(len(values) != 1 for values in query.values()):
            raise _Refused("a query parameter appears twice")
        operation = query.get("operation", [""])[0]
        if operation == "GetCACert":
            return self._ca_certificates()
        if operation == "GetCACaps":
            return _text(200, "\n".join(CAPABILITIES))
        if operation != "PKIOperation":
            raise _Refused(f"operation {escape(operation[:40])!r} is not one SCEP defines")
        if request.method == "POST":
            data = request.body
        else:
            try:
                data = base64.b64decode(query.get("message", [""])[0], validate=True)
            except (binascii.Error, ValueError):
                raise _Refused("PKIOperation message is not base64") from None
        return self._operation(data, now)

    def _ca_certificates(self) -> HttpResponse:
        if not self.chain:
            return HttpResponse(status=200, content_type=CA_CERT,
                                body=self.certificate.public_bytes(Encoding.DER))
        return HttpResponse(status=200, content_type=CA_RA_CERT,
                            body=cms.certs_only((self.certificate, *self.chain)))

    # -- PKIOperation -----------------------------------------------------------------------

    def _operation(self, data: bytes, now: dt.datetime) -> HttpResponse:
        if len(data) > cms.MAX_MESSAGE:
            raise _Refused(f"pkiMessage of {len(data)} bytes, more than {cms.MAX_MESSAGE}")
        try:
            message, signed = scep.read_message(data, certificate=self.certificate,
                                                key=self.key)
        except (cms.CmsError, scep.ScepError, der.DerError) as error:
            raise _Refused(str(error)) from None
        if message.message_type is MessageType.CERT_REP:
            raise _Refused("pkiMessage is a CertRep, not a request")
        if message.message_type is MessageType.CERT_POLL:
            status, fail, certificate = self._poll(message, signed.signer, now)
        else:
            status, fail, certificate = self._request(message, signed.signer, now)
        return self._reply(message, signed.signer, status, fail, certificate)

    def _request(self, message: PkiMessage, signer: x509.Certificate, now: dt.datetime
                 ) -> tuple[PkiStatus, FailInfo | None, x509.Certificate | None]:
        tid = message.transaction_id
        if tid in self._pending:  # the same request again: RFC 8894 3.3.3, as a poll
            return self._poll(message, signer, now)
        if self._answered.get(tid) == _fingerprint(message):
            # The very message again (its answer was lost): the same certificate, once only.
            return PkiStatus.SUCCESS, None, self.issued[tid]
        try:
            request = x509.load_der_x509_csr(message.content or b"")
            subject_ok = bool(request.subject.rfc4514_string())
        except PARSE_ERRORS:
            return PkiStatus.FAILURE, FailInfo.BAD_REQUEST, None
        if not subject_ok or not request_signature_holds(request):
            return PkiStatus.FAILURE, FailInfo.BAD_MESSAGE_CHECK, None
        renewal = message.message_type is MessageType.RENEWAL_REQ
        if renewal and not self._issued_here(signer):
            return PkiStatus.FAILURE, FailInfo.BAD_MESSAGE_CHECK, None
        if not renewal and signer.public_key().public_numbers() \
                != request.public_key().public_numbers():
            return PkiStatus.FAILURE, FailInfo.BAD_MESSAGE_CHECK, None
        if not self._password_holds(request, renewal=renewal):
            return PkiStatus.FAILURE, FailInfo.BAD_REQUEST, None
        if self.policy.pending_polls:
            self._pending[tid] = _Pending(request=request, polls_left=self.policy.pending_polls,
                                          sender=signer)
            return PkiStatus.PENDING, None, None
        return self._issue(tid, _fingerprint(message), request, now)

    def _poll(self, message: PkiMessage, signer: x509.Certificate, now: dt.datetime
              ) -> tuple[PkiStatus, FailInfo | None, x509.Certificate | None]:
        tid = message.transaction_id
        pending = self._pending.get(tid)
        if pending is None:
            if tid in self.issued:  # the answer was lost: send the certificate again
                return PkiStatus.SUCCESS, None, self.issued[tid]
            return PkiStatus.FAILURE, FailInfo.BAD_CERT_ID, None
        if signer.public_key().public_numbers() != pending.sender.public_key().public_numbers():
            return PkiStatus.FAILURE, FailInfo.BAD_MESSAGE_CHECK, None
        if message.message_type is MessageType.CERT_POLL and not self._names_pending(
                message.content or b"", pending.request):
            return PkiStatus.FAILURE, FailInfo.BAD_CERT_ID, None
        pending.polls_left -= 1
        if pending.polls_left > 0:
            return PkiStatus.PENDING, None, None
        del self._pending[tid]
        return self._issue(tid, _fingerprint(message), pending.request, now)

    def _names_pending(self, content: bytes, request: x509.CertificateSigningRequest) -> bool:
        """Whether CertPoll's IssuerAndSubject names this CA and the pending subject."""
        return content == scep.issuer_and_subject(self.certificate.subject, request.subject)

    def _issue(self, tid: str, fingerprint: bytes, request: x509.CertificateSigningRequest,
               now: dt.datetime) -> tuple[PkiStatus, FailInfo | None, x509.Certificate | None]:
        ca = self.certificate
        if not ca.not_valid_before_utc <= now < ca.not_valid_after_utc:
            return PkiStatus.FAILURE, FailInfo.BAD_TIME, None  # the CA cannot sign now
        try:
            certificate = self.issue(request, now)
        except ValueError:
            return PkiStatus.FAILURE, FailInfo.BAD_REQUEST, None
        self.issued[tid] = certificate
        self._answered[tid] = fingerprint
        return PkiStatus.SUCCESS, None, certificate

    def _issued_here(self, certificate: x509.Certificate) -> bool:
        if certificate.issuer != self.certificate.subject:
            return False
        try:
            return signature_is_valid(certificate, self.certificate.public_key())
        except PARSE_ERRORS:
            return False

    def _password_holds(self, request: x509.CertificateSigningRequest, *,
                        renewal: bool) -> bool:
        try:
            given: bytes | None = request.attributes.get_attribute_for_oid(
                AttributeOID.CHALLENGE_PASSWORD).value
        except x509.AttributeNotFound:
            given = None
        except PARSE_ERRORS:
            return False
        wanted = self.policy.challenge_password
        if wanted is None or (renewal and given is None):
            return True  # a renewal is vouched for by the certificate it renews
        return given == wanted.encode("utf-8")

    def _reply(self, message: PkiMessage, recipient: x509.Certificate, status: PkiStatus,
               fail: FailInfo | None, certificate: x509.Certificate | None) -> HttpResponse:
        seed = hashlib.sha256(
            f"scep-ca/{self.name}/{message.transaction_id}/{message.sender_nonce.hex()}"
            .encode()).digest()
        reply = PkiMessage(
            message_type=MessageType.CERT_REP, transaction_id=message.transaction_id,
            sender_nonce=seed[:scep.NONCE_SIZE], recipient_nonce=message.sender_nonce,
            status=status, fail_info=fail,
            content=None if certificate is None else cms.certs_only((certificate,)),
        )
        body = scep.build_message(reply, certificate=self.certificate, key=self.key,
                                  recipient=recipient, cipher=cms_envelope.DES_EDE3_CBC,
                                  algorithm=hashes.SHA256(), seed=seed)
        return HttpResponse(status=200, content_type=PKI_MESSAGE, body=body)


class KeyIssuer:
    """An `issue` for ScepCa that signs with the CA's key alone (no hierarchy at hand: the run
    folder's CA in `ikesim cli`). Serial numbers derive from `serial_seed` and a count that
    the caller keeps between sessions, so they never repeat; the certificate keeps the
    request's subject, subjectAltName and key, names the CA's CRL distribution points, and
    lasts `validity` (None: to the CA's notAfter)."""

    def __init__(self, *, certificate: x509.Certificate, key: PrivateKey,
                 crl_urls: tuple[str, ...], validity: dt.timedelta | None,
                 digest: str | None, serial_seed: str, count: int = 0) -> None:
        self.certificate = certificate
        self.key = key
        self.crl_urls = crl_urls
        self.validity = validity
        self.digest = digest
        self.serial_seed = serial_seed
        self.count = count

    def __call__(self, request: x509.CertificateSigningRequest, now: dt.datetime
                 ) -> x509.Certificate:
        try:
            sans = tuple(request.extensions.get_extension_for_class(
                x509.SubjectAlternativeName).value)
        except x509.ExtensionNotFound:
            sans = ()
        end = self.certificate.not_valid_after_utc
        if self.validity is not None:
            end = min(end, now + self.validity)
        self.count += 1
        digest = hashlib.sha256(f"{self.serial_seed}/{self.count}".encode()).digest()
        # 63 bits with the top one set, as pki.hierarchy's serials: positive, eight octets.
        serial = int.from_bytes(digest[:8], "big") >> 1 | 1 << 62
        template = CertificateTemplate(
            subject=request.subject, public_key=request.public_key(), serial=serial,
            not_before=now, not_after=end, subject_alt_names=sans, crl_urls=self.crl_urls,
            digest=self.digest)
        return issue(template, issuer_key=self.key, issuer=self.certificate)


def _fingerprint(message: PkiMessage) -> bytes:
    """What tells a message sent again from a new one: its nonce and what it carries."""
    return hashlib.sha256(message.sender_nonce + (message.content or b"")).digest()


def _text(status: int, text: str) -> HttpResponse:
    return HttpResponse(status=status, content_type="text/plain", body=text.encode() + b"\n")
