"""Who the peer of an IKE SA is, sans I/O: the identity payloads we send (ID, CERT, CR, and SIG
or HASH), the peer's ID checked against the gateway's remote identity, its certificates handed to
pkid (PeerCertificatesReceived), and after pkid's verdict its proof: the ID must be in the
certificate and the signature verify, or with pre-shared keys its HASH must be ours. The
certificate decoding and the proof themselves are sim.ike.peer_auth's.
"""

from __future__ import annotations

from cryptography import x509

from sim.ike import crypto
from sim.ike.exchange import Failure
from sim.ike.ids import IkeId, id_matches_certificate
from sim.ike.informational import initial_contact
from sim.ike.payloads import (
    CertPayload,
    CRPayload,
    HashPayload,
    IDPayload,
    Message,
    NotifyType,
    PayloadMalformed,
    SigPayload,
)
from sim.ike.peer_auth import (
    UndecodableCertificate,
    certificate_with_key,
    chain_for_peer,
    hash_matches,
    peer_certificates,
    proof,
)
from sim.ike.phase1_types import Cause, Mode, PeerCertificatesReceived, Role


class PeerIdentity:
    """Mixed into IkeSA (sim.ike.phase1), whose attributes it uses."""

    def _cert_and_cr_payloads(self, *, certs: bool, crs: bool) -> list:
        out: list = [CertPayload(data=c) for c in chain_for_peer(
            self.config.certificates, self._peer_crs)] if certs else []
        if crs:
            out += [CRPayload(authority=dn) for dn in self.config.ca_dns]
        return out

    def _auth_hash(self, of: Role) -> bytes:
        args = dict(gxi=self._gxi, gxr=self._gxr, cky_i=self.icookie, cky_r=self.rcookie,
                    sai_b=self._sai_b)
        alg = crypto.auth_prf(self.proposal.authentication_method,
                              self.proposal.authentication_algorithm)
        if of is Role.INITIATOR:
            return crypto.hash_i(alg, self.keys.skeyid, idii_b=self._idii_b, **args)
        return crypto.hash_r(alg, self.keys.skeyid, idir_b=self._idir_b, **args)

    def _identity_payloads(self) -> list:
        """Our ID, certificates and signature, or ID and HASH with pre-shared keys (messages
        5/6, aggressive 2/3)."""
        id_payload = self._send_local_id()
        if self.role is Role.INITIATOR:
            self._idii_b = id_payload.encode_body()
        else:
            self._idir_b = id_payload.encode_body()
        signed = proof(self.proposal.authentication_method, self.config.private_key,
                       self._auth_hash(self.role))
        main_initiator = self.role is Role.INITIATOR and self.mode is Mode.MAIN
        crs = main_initiator and self._sends_crs and self.config.cr_message == 5
        notify = ([initial_contact(self.icookie, self.rcookie)]
                  if main_initiator and self.config.initial_contact else [])
        return [id_payload, *self._cert_and_cr_payloads(certs=not self._pre_shared_key,
                                                        crs=crs), *notify, signed]

    @property
    def _sends_crs(self) -> bool:
        return not self._pre_shared_key

    def _send_local_id(self) -> IDPayload:
        """Our ID payload; its port is the one the IKE SA runs on (4500 once NAT-T moved it,
        which kmd's "udp:500" then shows as "udp:4500"). Sent once: Aggressive Mode's
        message 3 signs the ID message 1 carried."""
        if self._local_id_sent is None:
            self._local_id_sent = self.natt.local_id(self.config.local_id)
        return self._local_id_sent.to_payload()

    def _take_peer_id(self, message: Message) -> None:
        payload = message.only(IDPayload, "peer identity")
        raw = message.raw_body_of(IDPayload)
        if self.role is Role.RESPONDER:
            self._idii_b = raw
        else:
            self._idir_b = raw
        try:
            self.peer_id = IkeId.from_payload(payload)
        except ValueError as exc:
            raise Failure(NotifyType.INVALID_ID_INFORMATION, str(exc),
                          tell_peer=self._peer_waits()) from None
        expected = self.config.remote_id
        if expected is not None and not expected.same_identity(self.peer_id):
            raise Failure(NotifyType.AUTHENTICATION_FAILED,
                          f"remote ID mismatch: expected {expected}, got {self.peer_id}",
                          Cause.REMOTE_ID_MISMATCH, tell_peer=self._peer_waits())

    def _take_peer_auth(self, message: Message) -> None:
        """Keep the peer's proof (SIG, or HASH with pre-shared keys) and its certificates, and
        hand the certificates to pkid."""
        if self._pre_shared_key:
            self._peer_proof = message.only(HashPayload, "peer hash").data
            return
        self._peer_proof = message.only(SigPayload, "peer signature").data
        ders = tuple(c.data for c in message.all(CertPayload) if c.encoding == 4)
        try:
            decoded = peer_certificates(ders)
        except UndecodableCertificate as exc:
            if self._peer_resends() and self._last_received != self._last_dropped:
                # A copy damaged on its way (nothing in IKEv1 authenticates the bytes before
                # the certificate is read): dropped, and the peer's retransmission decides.
                raise PayloadMalformed(f"peer certificate: {exc}",
                                       NotifyType.INVALID_CERT_ENCODING) from None
            # The same bytes again, or a message no retransmission follows: QuickSec's policy
            # manager finds no public key for the peer (ike_st_i_sig).
            raise Failure(NotifyType.AUTHENTICATION_FAILED, f"No public key found: {exc}",
                          tell_peer=self._peer_waits()) from None
        self._peer_certs = tuple(cert for _, cert in decoded)
        self._events.append(PeerCertificatesReceived(
            certificates=tuple(der for der, _ in decoded), peer_id=self.peer_id,
            certificate_requests=self._peer_crs, decoded=self._peer_certs))

    def _peer_resends(self) -> bool:
        """Whether the message being read will come again if we drop it: all but Aggressive
        Mode's message 3, after which the initiator waits for nothing."""
        return not (self.mode is Mode.AGGRESSIVE and self.role is Role.RESPONDER)

    def _take_crs(self, message: Message) -> None:
        self._peer_crs += tuple(cr.authority for cr in message.all(CRPayload))

    def _check_peer(self) -> x509.Certificate | None:
        """The peer's proof. Pre-shared keys: its HASH must be ours (QuickSec's ike_st_i_hash:
        "Hash value mismatch", AUTHENTICATION-FAILED). Signatures, after pkid's verdict: the
        certificate must vouch for the ID and the signature verify."""
        peer = Role.RESPONDER if self.role is Role.INITIATOR else Role.INITIATOR
        if self._pre_shared_key:
            if not hash_matches(self._auth_hash(peer), self._peer_proof):
                raise Failure(NotifyType.AUTHENTICATION_FAILED, "Hash value mismatch",
                              tell_peer=self._peer_waits())
            return None
        public_key, certificate = self._verdict
        if certificate is None:
            certificate = certificate_with_key(self._peer_certs, public_key)
            if certificate is None:
                raise Failure(NotifyType.AUTHENTICATION_FAILED, "No public key found",
                              tell_peer=self._peer_waits())
        if not id_matches_certificate(self.peer_id, certificate):
            raise Failure(NotifyType.AUTHENTICATION_FAILED,
                          f"peer ID {self.peer_id} is not in its certificate",
                          tell_peer=self._peer_waits())
        if not crypto.verify_hash(self.proposal.authentication_method, public_key,
                                  self._auth_hash(peer), self._peer_proof):
            raise Failure(NotifyType.INVALID_SIGNATURE, "Signature check failed",
                          tell_peer=self._peer_waits())
        return certificate
