"""SCEP pkiMessages (RFC 8894 section 3): a SignedData whose content is an EnvelopedData.

    PKCSReq (19) / RenewalReq (17)   the PKCS#10 request, enveloped to the CA
    CertPoll (20)                    IssuerAndSubject, enveloped to the CA (GetCertInitial)
    CertRep (3)                      SUCCESS: a certificates-only SignedData enveloped to the
                                     requester; PENDING and FAILURE (with failInfo): no content

Signed attributes: messageType, transactionID, senderNonce and, in a CertRep, pkiStatus,
failInfo and recipientNonce (the request's senderNonce). The requester signs with a transient
self-signed certificate for its key (RFC 8894 2.3), or for RenewalReq with the certificate it
renews; the CA signs with its own. transactionID: the hex SHA-256 of the request's
subjectPublicKeyInfo (RFC 8894 3.2.1.1: "a hash of the public key"), so a poll or a resent
request names the same transaction.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pki import cms, cms_envelope, der

__all__ = [
    "NONCE_SIZE",
    "FailInfo",
    "MessageType",
    "PkiMessage",
    "PkiStatus",
    "ScepError",
    "build_message",
    "issuer_and_subject",
    "read_message",
    "transaction_id_for",
]

NONCE_SIZE = 16
_MAX_TRANSACTION_ID = 128

_SCEP = "2.16.840.1.113733.1.9."
MESSAGE_TYPE = der.encode_oid(_SCEP + "2")
PKI_STATUS = der.encode_oid(_SCEP + "3")
FAIL_INFO = der.encode_oid(_SCEP + "4")
SENDER_NONCE = der.encode_oid(_SCEP + "5")
RECIPIENT_NONCE = der.encode_oid(_SCEP + "6")
TRANSACTION_ID = der.encode_oid(_SCEP + "7")


class ScepError(ValueError):
    """A pkiMessage that is not what SCEP allows; str() says what, in one line."""


class MessageType(enum.Enum):
    CERT_REP = "3"
    RENEWAL_REQ = "17"
    PKCS_REQ = "19"
    CERT_POLL = "20"

    @property
    def label(self) -> str:
        return {"3": "CertRep", "17": "RenewalReq", "19": "PKCSReq", "20": "CertPoll"}[self.value]


class PkiStatus(enum.Enum):
    SUCCESS = "0"
    FAILURE = "2"
    PENDING = "3"


class FailInfo(enum.Enum):
    BAD_ALG = "0"
    BAD_MESSAGE_CHECK = "1"
    BAD_REQUEST = "2"
    BAD_TIME = "3"
    BAD_CERT_ID = "4"

    @property
    def label(self) -> str:
        """The RFC's name: badAlg, badMessageCheck, badRequest, badTime, badCertId."""
        head, *rest = self.name.lower().split("_")
        return head + "".join(word.capitalize() for word in rest)


@dataclass(frozen=True, kw_only=True)
class PkiMessage:
    """What a pkiMessage says, once its signature held and its envelope opened."""

    message_type: MessageType
    transaction_id: str
    sender_nonce: bytes
    recipient_nonce: bytes | None = None
    status: PkiStatus | None = None
    fail_info: FailInfo | None = None
    content: bytes | None = None  # the envelope's content (request, IssuerAndSubject, certs)

    def __post_init__(self) -> None:
        if not isinstance(self.message_type, MessageType):
            raise TypeError("message_type must be a MessageType")
        tid = self.transaction_id
        if not isinstance(tid, str) or not 0 < len(tid) <= _MAX_TRANSACTION_ID \
                or not tid.isascii() or not tid.isalnum():
            raise ScepError("transactionID is not 1 to 128 letters and digits")
        for nonce in (self.sender_nonce, self.recipient_nonce):
            if nonce is not None and (not isinstance(nonce, bytes) or len(nonce) != NONCE_SIZE):
                raise ScepError(f"a nonce is not {NONCE_SIZE} bytes")
        reply = self.message_type is MessageType.CERT_REP
        if reply != (self.status is not None) or reply != (self.recipient_nonce is not None):
            raise ScepError("pkiStatus and recipientNonce belong to a CertRep, and only there")
        if (self.status is PkiStatus.FAILURE) != (self.fail_info is not None):
            raise ScepError("failInfo belongs to a FAILURE, and only there")
        if (self.content is not None) != (not reply or self.status is PkiStatus.SUCCESS):
            raise ScepError(f"{self.message_type.label} "
                            + (f"{self.status.name} " if self.status else "")
                            + ("without" if self.content is None else "with") + " content")


def transaction_id_for(request: x509.CertificateSigningRequest) -> str:
    """The hex SHA-256 of the request's subjectPublicKeyInfo."""
    spki = request.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest().upper()


def issuer_and_subject(issuer: x509.Name, subject: x509.Name) -> bytes:
    """CertPoll's content: the CA's name and the requested subject."""
    return der.encode(der.SEQUENCE, issuer.public_bytes() + subject.public_bytes())


def _printable(value: str) -> bytes:
    return der.encode(der.PRINTABLE_STRING, value.encode("ascii"))


def build_message(message: PkiMessage, *, certificate: x509.Certificate,
                  key: rsa.RSAPrivateKey, recipient: x509.Certificate | None, cipher: str,
                  algorithm: hashes.HashAlgorithm, seed: bytes) -> bytes:
    """The DER pkiMessage for `message`, signed with `key` (whose certificate is
    `certificate`), its content enveloped to `recipient` in `cipher`."""
    attributes = [
        cms.attribute(MESSAGE_TYPE, _printable(message.message_type.value)),
        cms.attribute(TRANSACTION_ID, _printable(message.transaction_id)),
        cms.attribute(SENDER_NONCE, der.encode(der.OCTET_STRING, message.sender_nonce)),
    ]
    if message.recipient_nonce is not None:
        attributes.append(cms.attribute(RECIPIENT_NONCE,
                                        der.encode(der.OCTET_STRING, message.recipient_nonce)))
    if message.status is not None:
        attributes.append(cms.attribute(PKI_STATUS, _printable(message.status.value)))
    if message.fail_info is not None:
        attributes.append(cms.attribute(FAIL_INFO, _printable(message.fail_info.value)))
    content = None
    if message.content is not None:
        if recipient is None:
            raise ScepError("content to envelope needs a recipient")
        content = cms_envelope.envelope(message.content, recipient=recipient, cipher=cipher,
                                        seed=seed)
    return cms.sign(content=content, attributes=attributes, certificate=certificate, key=key,
                    algorithm=algorithm)


def _string(attributes: dict[bytes, der.Element], oid: bytes, name: str) -> str | None:
    value = attributes.get(oid)
    if value is None:
        return None
    if value.tag != der.PRINTABLE_STRING or len(value.content) > _MAX_TRANSACTION_ID:
        raise ScepError(f"{name} is not a short PrintableString")
    return value.content.decode("ascii", errors="replace")


def _nonce(attributes: dict[bytes, der.Element], oid: bytes, name: str) -> bytes | None:
    value = attributes.get(oid)
    if value is None:
        return None
    if value.tag != der.OCTET_STRING or len(value.content) != NONCE_SIZE:
        raise ScepError(f"{name} is not a {NONCE_SIZE}-byte OCTET STRING")
    return value.content


def _enum(kind: type[enum.Enum], value: str | None, name: str):
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        raise ScepError(f"{name} {value!r} is not one SCEP defines") from None


def read_message(data: bytes, *, certificate: x509.Certificate, key: rsa.RSAPrivateKey,
                 signer: x509.Certificate | None = None
                 ) -> tuple[PkiMessage, cms.Signed]:
    """The pkiMessage in `data` (its envelope opened with `key`, addressed to `certificate`),
    and the SignedData it came in (its signer: `signer` when given, see cms.read_signed).
    Every failure is a ScepError or a cms.CmsError, one line."""
    signed = cms.read_signed(data, what="pkiMessage", signer=signer)
    attributes = signed.attributes
    message_type = _enum(MessageType, _string(attributes, MESSAGE_TYPE, "messageType"),
                         "messageType")
    transaction_id = _string(attributes, TRANSACTION_ID, "transactionID")
    sender_nonce = _nonce(attributes, SENDER_NONCE, "senderNonce")
    if message_type is None or transaction_id is None or sender_nonce is None:
        raise ScepError("pkiMessage without messageType, transactionID or senderNonce")
    content = None
    if signed.content:
        content = cms_envelope.open_envelope(signed.content, certificate=certificate, key=key)
    message = PkiMessage(
        message_type=message_type, transaction_id=transaction_id, sender_nonce=sender_nonce,
        recipient_nonce=_nonce(attributes, RECIPIENT_NONCE, "recipientNonce"),
        status=_enum(PkiStatus, _string(attributes, PKI_STATUS, "pkiStatus"), "pkiStatus"),
        fail_info=_enum(FailInfo, _string(attributes, FAIL_INFO, "failInfo"), "failInfo"),
        content=content,
    )
    return message, signed
