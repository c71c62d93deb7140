"""An OCSP responder (RFC 6960) for one CA: it reads a DER request and signs the answer, as
the CA itself or as an authorized (delegated) responder the CA issued a certificate to.

Pure: the time and the CA's records (which serials it issued, which it revoked) are passed
in. The answer is the same bytes for the same request, records and time: producedAt is the
time given (cryptography would stamp the wall clock), and ECDSA and DSA signatures are
deterministic (RFC 6979), as every other object the simulator signs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from pki import der
from pki.certs import CertificateTemplate, ca_signature_hash, issue
from pki.crl import Revocation
from pki.keys import PrivateKey
from pki.parse_errors import PARSE_ERRORS
from pki.signing import sign_bytes

REQUEST_MAX_BYTES = 16 * 1024
_GENERALIZED_TIME = 0x18
_OCTET_STRING = 0x04


@dataclass(frozen=True, kw_only=True)
class Responder:
    """Who signs for CA `ca`: the CA's own key (`signer` is the CA's certificate), or a
    delegate's key and certificate (carried in every response). `validity` sets nextUpdate
    after thisUpdate; None leaves nextUpdate out."""

    ca: x509.Certificate
    signer: x509.Certificate
    key: PrivateKey
    validity: dt.timedelta | None = dt.timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.validity is not None and self.validity <= dt.timedelta(0):
            raise ValueError("an OCSP response's validity must be positive")

    @property
    def delegated(self) -> bool:
        return self.signer != self.ca


def delegate_certificate(*, ca: x509.Certificate, ca_key: PrivateKey, key: PrivateKey,
                         subject: x509.Name, serial: int, not_before: dt.datetime,
                         not_after: dt.datetime, ocsp_signing: bool = True,
                         nocheck: bool = False, digest: str | None = None,
                         crl_urls: tuple[str, ...] = ()) -> x509.Certificate:
    """A responder certificate issued by `ca`: id-kp-OCSPSigning (unless `ocsp_signing` is
    False, as a misissued one), id-pkix-ocsp-nocheck when `nocheck`, and the CA's CRL
    distribution points, where a client checks the responder itself."""
    extensions = []
    if ocsp_signing:
        extensions.append(x509.Extension(
            x509.oid.ExtensionOID.EXTENDED_KEY_USAGE, False,
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING])))
    if nocheck:
        extensions.append(x509.Extension(x509.oid.ExtensionOID.OCSP_NO_CHECK, False,
                                         x509.OCSPNoCheck()))
    template = CertificateTemplate(
        subject=subject, public_key=key.public_key(), serial=serial, not_before=not_before,
        not_after=not_after, extra_extensions=tuple(extensions), digest=digest,
        crl_urls=crl_urls)
    return issue(template, issuer_key=ca_key, issuer=ca)


Status = Callable[[int], Revocation | bool]  # serial -> its Revocation, True good, False unknown


def status_from(issued: frozenset[int], revoked: Mapping[int, Revocation], *,
                at: dt.datetime) -> Status:
    """The status a CA's records give a serial at `at`: revoked (on or before `at`), good
    when the CA issued it, unknown otherwise."""
    def status(serial: int) -> Revocation | bool:
        entry = revoked.get(serial)
        if entry is not None and entry.date <= at:
            return entry
        return serial in issued
    return status


def respond(request_der: bytes, responder: Responder, status: Status, *,
            at: dt.datetime) -> bytes:
    """The DER response to `request_der`: malformedRequest for bytes that are no request,
    else a signed response with one entry per certificate asked about (unknown for a
    certificate of another CA), the request's nonce echoed."""
    if len(request_der) > REQUEST_MAX_BYTES:
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    try:
        request = ocsp.load_der_ocsp_request(request_der)
        # cryptography reads requests for one certificate (as SRXs send them) and refuses
        # others: those are malformed here.
        asked = [(request.issuer_name_hash, request.issuer_key_hash, request.serial_number,
                  request.hash_algorithm)]
        nonce = _nonce_of(request)
    except PARSE_ERRORS:
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    builder = ocsp.OCSPResponseBuilder()
    for name_hash, key_hash, serial, algorithm in asked:
        ours = (name_hash, key_hash) == _issuer_hashes(responder.ca, algorithm)
        answer = status(serial) if ours else False
        revoked = isinstance(answer, Revocation)
        builder = builder.add_response_by_hash(
            name_hash, key_hash, serial, algorithm,
            ocsp.OCSPCertStatus.REVOKED if revoked
            else ocsp.OCSPCertStatus.GOOD if answer else ocsp.OCSPCertStatus.UNKNOWN,
            at, at + responder.validity if responder.validity else None,
            answer.date if revoked else None, answer.reason if revoked else None)
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder.signer)
    if responder.delegated:
        builder = builder.certificates([responder.signer])
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    draft = builder.sign(responder.key, ca_signature_hash(responder.key))
    return _stamped(draft.public_bytes(serialization.Encoding.DER), responder.key, at)


def _nonce_of(request: ocsp.OCSPRequest) -> bytes | None:
    try:
        return request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None


def _issuer_hashes(ca: x509.Certificate, algorithm: hashes.HashAlgorithm
                   ) -> tuple[bytes, bytes]:
    """The CertID issuer hashes of `ca` with `algorithm` (RFC 6960 4.1.1)."""
    name = hashes.Hash(algorithm)
    name.update(ca.subject.public_bytes())
    key_bits = der.read_one(ca.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    ).children()[1].content[1:]  # the BIT STRING's bits, after its unused-bits octet
    key = hashes.Hash(algorithm)
    key.update(key_bits)
    return name.finalize(), key.finalize()


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER)


def _stamped(response: bytes, key: PrivateKey, at: dt.datetime) -> bytes:
    """`response` with producedAt set to `at` and signed again (deterministically)."""
    at = at.astimezone(dt.UTC)
    status, wrapper = der.read_one(response).children()
    (body,) = wrapper.children()
    kind, octets = body.children()
    tbs, algorithm, _signature, *certs = der.read_one(octets.content).children()
    fields = [der.encode(_GENERALIZED_TIME, f"{at:%Y%m%d%H%M%S}Z".encode())
              if child.tag == _GENERALIZED_TIME else child.encoding
              for child in tbs.children()]
    tbs_der = der.encode(der.SEQUENCE, b"".join(fields))
    algorithm_used = ocsp.load_der_ocsp_response(response).signature_hash_algorithm
    signature = sign_bytes(key, tbs_der, algorithm_used)
    basic = der.encode(der.SEQUENCE, tbs_der + algorithm.encoding
                       + der.encode(der.BIT_STRING, b"\x00" + signature)
                       + b"".join(c.encoding for c in certs))
    body_der = der.encode(der.SEQUENCE, kind.encoding + der.encode(_OCTET_STRING, basic))
    return der.encode(der.SEQUENCE, status.encoding + der.encode(wrapper.tag, body_der))
