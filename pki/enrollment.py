"""pkid's side of SCEP (guide, Chapter 4 and Chapter 11): the client state machines.

- CaCertificateEnrollment: `request security pki ca-certificate enroll ca-profile NAME`, a
  GetCACert and the certificate(s) it returns.
- LocalCertificateEnrollment: `request security pki local-certificate enroll ...` and
  auto-re-enrollment: a PKCSReq (or a RenewalReq signed with the certificate it renews), then
  CertPolls every `retry-interval` while the CA answers PENDING, at most `retry` of them (the CA
  profile's `enrollment retry`; 0 means no polling: PENDING fails at once).

Sans I/O: no clock, no socket. The caller sends each HttpRequest, hands back the HttpResponse
(or says there was none), and writes the pkid log lines each step returns, after its own
timestamp. Junos's own pkid enrollment lines are not documented: these are ikesim's, in the
style of pkid's CRL lines ("Start downloading CRL for CA profile ...").
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AttributeOID

from pki import cms, cms_envelope, scep
from pki.certs import CertificateTemplate, issue
from pki.enrollment_ca import (
    CaCertificateEnrollment,
    capabilities_request,
    cipher_for,
    read_capabilities,
)
from pki.escape import escape
from pki.keys import PrivateKey
from pki.names import render_subject_string
from pki.parse_errors import PARSE_ERRORS
from pki.scep import FailInfo, MessageType, PkiMessage, PkiStatus
from pki.scep_http import (
    CA_CERT,
    CA_RA_CERT,
    PKI_MESSAGE,
    EnrollmentError,
    HttpRequest,
    HttpResponse,
    one_line,
    operation_url,
    refusal_of,
)
from pki.signing import sign, signature_is_valid

__all__ = [
    "CA_CERT",
    "CA_RA_CERT",
    "DEFAULT_RETRY",
    "DEFAULT_RETRY_INTERVAL",
    "PKI_MESSAGE",
    "CaCertificateEnrollment",
    "EnrollmentError",
    "Failed",
    "HttpRequest",
    "HttpResponse",
    "Issued",
    "LocalCertificateEnrollment",
    "Poll",
    "State",
    "Step",
    "capabilities_request",
    "cipher_for",
    "operation_url",
    "read_capabilities",
    "with_challenge_password",
]

# The guide: `enrollment retry` and `retry-interval` default to 10 and 900 seconds.
DEFAULT_RETRY = 10
DEFAULT_RETRY_INTERVAL = 900.0
# The transient self-signed certificate a requester signs with (RFC 8894 2.3): short-lived.
_TRANSIENT_VALIDITY = dt.timedelta(days=1)


# --- PKCSReq / RenewalReq and CertPoll ------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Issued:
    certificate: x509.Certificate
    lines: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Poll:
    after: float  # seconds: then send `request`
    request: HttpRequest
    lines: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Failed:
    reason: str
    lines: tuple[str, ...]


Step = Issued | Poll | Failed


class State(enum.Enum):
    NEW = "not started"
    WAITING = "waiting for the CA"  # a request out (or to send again after a Poll)
    DONE = "over"  # Issued or Failed


# What each state accepts: start once, then answers (or their absence) until Issued or Failed.
_CALLS: dict[State, frozenset[str]] = {
    State.NEW: frozenset({"start"}),
    State.WAITING: frozenset({"receive", "no_answer"}),
    State.DONE: frozenset(),
}


def with_challenge_password(request: x509.CertificateSigningRequest, key: PrivateKey,
                            password: str) -> x509.CertificateSigningRequest:
    """`request` again, with the PKCS#9 challengePassword the CA asks for (signed by `key`
    with the request's own hash)."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(request.subject)
    for extension in request.extensions:
        builder = builder.add_extension(extension.value, critical=extension.critical)
    builder = builder.add_attribute(AttributeOID.CHALLENGE_PASSWORD, password.encode("utf-8"))
    return sign(builder, key, request.signature_hash_algorithm)


class LocalCertificateEnrollment:
    """One enrollment of a local certificate over SCEP, from the first request to the end."""

    def __init__(self, *, certificate_id: str, ca_profile: str, url: str, key: PrivateKey,
                 request: x509.CertificateSigningRequest, ca_certificate: x509.Certificate,
                 retry: int, retry_interval: float, seed: str,
                 renewal_of: x509.Certificate | None = None,
                 renewal_key: PrivateKey | None = None,
                 challenge_password: str | None = None,
                 cipher: str = cms_envelope.DES_EDE3_CBC) -> None:
        """`challenge_password`: put in the request as its PKCS#9 challengePassword (the
        request is signed again with `key`); None: the request goes as it is.
        `renewal_key`: the key of `renewal_of` when the renewal has a new key pair
        (re-generate-keypair; default: `key`). `cipher`: DES-EDE3-CBC, SCEP's default, or
        AES-128-CBC when the CA's GetCACaps offers AES."""
        if not isinstance(key, rsa.RSAPrivateKey):
            raise EnrollmentError(f"certificate-id {certificate_id}: SCEP supports RSA "
                                  "certificates only")
        if request.public_key().public_numbers() != key.public_key().public_numbers():
            raise EnrollmentError(f"certificate-id {certificate_id}: the certificate request "
                                  "is not for this key pair")
        if not isinstance(ca_certificate.public_key(), rsa.RSAPublicKey):
            raise EnrollmentError(f"CA profile {ca_profile}: the CA certificate's key is not "
                                  "RSA, and SCEP encrypts to it")
        operation_url(url, "PKIOperation")  # a URL SCEP can use, or EnrollmentError now
        if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
            raise EnrollmentError(f"CA profile {ca_profile}: enrollment retry {retry!r} is "
                                  "not a count")
        if not retry_interval > 0:
            raise EnrollmentError(f"CA profile {ca_profile}: retry-interval must be positive")
        signer_key = renewal_key if renewal_key is not None else key
        if renewal_of is not None and (
                not isinstance(signer_key, rsa.RSAPrivateKey)
                or renewal_of.public_key().public_numbers()
                != signer_key.public_key().public_numbers()):
            raise EnrollmentError(f"certificate-id {certificate_id}: the certificate to renew "
                                  "is not for the renewal's signing key")
        if challenge_password is not None:
            request = with_challenge_password(request, key, challenge_password)
        self.certificate_id = certificate_id
        self.ca_profile = ca_profile
        self.url = url
        self.key = key
        self.request = request
        self.ca_certificate = ca_certificate
        self.retry = retry
        self.retry_interval = float(retry_interval)
        self.seed = seed
        self.renewal_of = renewal_of
        self._signer_key: rsa.RSAPrivateKey = signer_key
        self.cipher = cipher
        self.transaction_id = scep.transaction_id_for(request)
        self.messages: list[tuple[str, bytes]] = []
        self._signer: x509.Certificate | None = renewal_of
        self._sent: HttpRequest | None = None
        self._sent_kind = ""
        self._started = ""
        self._nonce: bytes = b""
        self._polls = 0
        self.state = State.NEW

    # -- what goes out ----------------------------------------------------------------------

    def _derived(self, what: str) -> bytes:
        # The start time too: a re-enrollment with the same seed and key sends new nonces.
        return hashlib.sha256(
            f"scep/{self.seed}/{self._started}/{what}/{len(self.messages)}".encode()).digest()

    def _transient_certificate(self, now: dt.datetime) -> x509.Certificate:
        """RFC 8894 2.3: a self-signed certificate for the request's key and subject."""
        serial = int.from_bytes(self._derived("serial")[:8], "big") >> 1 | 1 << 62
        template = CertificateTemplate(
            subject=self.request.subject, public_key=self.key.public_key(), serial=serial,
            not_before=now - dt.timedelta(minutes=5), not_after=now + _TRANSIENT_VALIDITY)
        return issue(template, issuer_key=self.key)

    def _send(self, message_type: MessageType, content: bytes) -> HttpRequest:
        assert self._signer is not None
        self._nonce = self._derived("nonce")[:scep.NONCE_SIZE]
        message = PkiMessage(message_type=message_type, transaction_id=self.transaction_id,
                             sender_nonce=self._nonce, content=content)
        body = scep.build_message(message, certificate=self._signer, key=self._signer_key,
                                  recipient=self.ca_certificate, cipher=self.cipher,
                                  algorithm=hashes.SHA256(), seed=self._derived("envelope"))
        self.messages.append((message_type.label, body))
        self._sent_kind = message_type.label
        self._sent = HttpRequest(method="POST", url=operation_url(self.url, "PKIOperation"),
                                 body=body)
        return self._sent

    def start(self, now: dt.datetime) -> tuple[HttpRequest, tuple[str, ...]]:
        """The PKCSReq (RenewalReq when renewing) to send, and pkid's lines for it."""
        self._enter("start")
        self.state = State.WAITING
        self._started = now.isoformat()
        if self._signer is None:
            self._signer = self._transient_certificate(now)
        kind = MessageType.PKCS_REQ if self.renewal_of is None else MessageType.RENEWAL_REQ
        sent = self._send(kind, self.request.public_bytes(Encoding.DER))
        verb = "enrollment" if self.renewal_of is None else "re-enrollment"
        return sent, (
            f"Start {verb} of local certificate {self.certificate_id} from CA profile "
            f"{self.ca_profile} at {escape(self.url)}",
            f"Sent {kind.label} for {self.certificate_id} to CA profile {self.ca_profile}, "
            f"transaction ID {self.transaction_id}",
        )

    def _poll(self, lines: tuple[str, ...], now: dt.datetime, *, resend: bool) -> Step:
        """Another try after retry-interval, or Failed once `retry` tries are spent."""
        if self._polls >= self.retry:
            tries = "no retry configured" if self.retry == 0 else f"{self.retry} retries done"
            return self._fail(f"gave up, {tries}", lines)
        self._polls += 1
        if resend:
            assert self._sent is not None
            request = self._sent
            self.messages.append((self._sent_kind, request.body))
            what = "resend the request"
        else:
            content = scep.issuer_and_subject(self.ca_certificate.subject, self.request.subject)
            request = self._send(MessageType.CERT_POLL, content)
            what = "poll"
        at = now + dt.timedelta(seconds=self.retry_interval)
        line = (f"Enrollment of {self.certificate_id} from CA profile {self.ca_profile}: "
                f"{what} {self._polls} of {self.retry} in {self.retry_interval:g} seconds, "
                f"at {at:%Y-%m-%d %H:%M:%S}")
        return Poll(after=self.retry_interval, request=request, lines=(*lines, line))

    def _fail(self, reason: str, lines: tuple[str, ...] = ()) -> Failed:
        self.state = State.DONE
        line = (f"Enrollment of local certificate {self.certificate_id} from CA profile "
                f"{self.ca_profile} failed: {reason}")
        return Failed(reason=reason, lines=(*lines, line))

    # -- what comes back --------------------------------------------------------------------

    def no_answer(self, reason: str, now: dt.datetime) -> Step:
        """The CA did not answer (unreachable, timed out): try again like a poll."""
        self._enter("no_answer")
        line = (f"No answer from CA profile {self.ca_profile} at {escape(self.url)} for "
                f"{self.certificate_id}: {escape(reason)}")
        return self._poll((line,), now, resend=True)

    def _enter(self, call: str) -> None:
        """Refuse `call` unless the state allows it (see _CALLS)."""
        if call not in _CALLS[self.state]:
            raise EnrollmentError(f"certificate-id {self.certificate_id}: {call} refused, the "
                                  f"enrollment is {self.state.value}")

    def receive(self, response: HttpResponse, now: dt.datetime) -> Step:
        """The next step after the CA's answer. Never raises for what the CA sent: an
        unreadable, forged or misdirected answer is Failed, with its reason."""
        self._enter("receive")
        try:
            reply = self._read(response)
        except PARSE_ERRORS as error:  # ours (one line each) and cryptography's, on a peer's
            return self._fail(one_line(error))
        if reply.status is PkiStatus.FAILURE:
            assert reply.fail_info is not None
            return self._fail(f"CA refused the request ({reply.fail_info.label}"
                              + (", wrong challenge password?" if reply.fail_info
                                 is FailInfo.BAD_REQUEST else "") + ")")
        if reply.status is PkiStatus.PENDING:
            line = (f"CA profile {self.ca_profile} answered PENDING for {self.certificate_id}, "
                    f"transaction ID {self.transaction_id}")
            return self._poll((line,), now, resend=False)
        try:
            certificate = self._issued(reply.content or b"")
        except PARSE_ERRORS as error:
            return self._fail(one_line(error))
        self.state = State.DONE
        return Issued(certificate=certificate, lines=(
            f"Received local certificate {self.certificate_id} from CA profile "
            f"{self.ca_profile}: subject {escape(render_subject_string(certificate.subject))}, "
            f"serial {certificate.serial_number:X}",))

    def _read(self, response: HttpResponse) -> PkiMessage:
        why = refusal_of(response, self.url)
        if why is not None:
            raise EnrollmentError(why)
        kind = response.content_type.split(";")[0].strip().lower()
        if kind != PKI_MESSAGE:
            raise EnrollmentError(f"answer of type {escape(kind[:80])}, not {PKI_MESSAGE}")
        if len(response.body) > cms.MAX_MESSAGE:  # not kept either: the run folder holds it
            raise EnrollmentError(f"CertRep of {len(response.body)} bytes, more than "
                                  f"{cms.MAX_MESSAGE}")
        self.messages.append(("CertRep", response.body))
        assert self._signer is not None
        reply, _ = scep.read_message(response.body, certificate=self._signer,
                                     key=self._signer_key, signer=self.ca_certificate)
        if reply.message_type is not MessageType.CERT_REP:
            raise EnrollmentError(f"answer is a {reply.message_type.label}, not a CertRep")
        if reply.transaction_id != self.transaction_id:
            raise EnrollmentError("CertRep for another transaction ID")
        if reply.recipient_nonce != self._nonce:
            raise EnrollmentError("CertRep's recipientNonce is not the request's senderNonce")
        return reply

    def _issued(self, content: bytes) -> x509.Certificate:
        """The certificate for our key in a SUCCESS's certificates, checked."""
        try:
            certificates = cms.read_certs_only(content)
        except cms.CmsError as error:
            raise EnrollmentError(str(error)) from None
        mine = self.key.public_key().public_numbers()
        for certificate in certificates:
            try:
                if certificate.public_key().public_numbers() == mine:
                    break
            except PARSE_ERRORS:
                continue
        else:
            raise EnrollmentError("CertRep holds no certificate for this key pair")
        try:
            signed = signature_is_valid(certificate, self.ca_certificate.public_key())
        except PARSE_ERRORS:
            signed = False
        if not signed or certificate.issuer != self.ca_certificate.subject:
            raise EnrollmentError("issued certificate is not signed by the CA")
        if certificate.subject != self.request.subject:
            raise EnrollmentError("issued certificate's subject is not the one requested")
        return certificate

