"""The IKEv1 Phase-1 state machine (Main Mode and Aggressive Mode, signature or pre-shared-key
authentication), sans I/O: datagrams in, events out, no clock, no sockets.

Everything that decides the order of things is in the transition table just below. Per role
and mode, each state maps an input (START, MESSAGE, VERDICT) to the handler that consumes it
and the state that follows. Input with no entry is the peer's fault (RemoteProtocolError, the
datagram is dropped) or ours (LocalProtocolError). TIMEOUT and REJECT end any unfinished SA.

Main Mode (exchange 2)              Aggressive Mode (exchange 4)
  I -> R  1  SA                       I -> R  1  SA, KE, Ni, IDii [, CR]
  R -> I  2  SA                       R -> I  2  SA, KE, Nr, IDir, CERT*, [CR], SIG_R
  I -> R  3  KE, Ni [, CR]            I -> R  3  CERT*, SIG_I
  R -> I  4  KE, Nr [, CR]
  I -> R  5* IDii, CERT*, SIG_I       (* = encrypted)
  R -> I  6* IDir, CERT*, SIG_R

With pre-shared keys (RFC 2409 5.4) the same messages carry no CERT or CR payloads, HASH_I and
HASH_R travel in a HASH payload instead of SIG, and SKEYID = prf(pre-shared key, Ni_b | Nr_b).

When the peer's certificates arrive the machine emits PeerCertificatesReceived and waits
(WAIT_VERDICT): pkid validates the chain and the driver answers with certificate_verdict(public
key) or certificate_rejected(error). Only then are the signature and the ID-versus-certificate
match checked. With pre-shared keys there is nothing to ask: the SA passes WAIT_VERDICT at once
and checks the peer's HASH against its own.

A datagram that cannot be parsed or authenticated is dropped and leaves the SA as it was
(sim.ike.exchange), with one exception: the very same encrypted message 5/6 failing to decrypt
into a message twice. A copy damaged on the way differs from the genuine retransmission that
follows; an identical one failing again means the two sides hold different keys, with pre-shared
keys a key mismatch. QuickSec's decoder then fails the negotiation with "Incorrect pre-shared
key" and its error, INVALID-PAYLOAD-TYPE (1) or PAYLOAD-MALFORMED (16) (ike_decode_packet);
we do the same, one retransmission later. [I] No device sample of the resulting kmd line was
found: "Phase-1 [responder] failed with error(Invalid payload type)" is that error in the
guide's failure line.

Retransmission follows QuickSec's base timers (isakmp defaults: first resend
after 0.5 s, doubling up to 30 s, 10 resends); the driver owns the clock (timer/on_timer, shared
with Quick Mode in sim.ike.exchange), and calls timeout() for the overall expiry (300 s in
QuickSec) or a pkid that never answers.
"""

from __future__ import annotations

import enum
import random
from dataclasses import replace

from cryptography import x509

from pki.keys import PublicKey
from sim.ike import crypto
from sim.ike.exchange import Exchange, Failure
from sim.ike.ids import IkeId, id_matches_certificate
from sim.ike.informational import delete_ike, initial_contact
from sim.ike.natt import NatTraversal
from sim.ike.payloads import (
    HEADER_LEN,
    PROTO_ISAKMP,
    CertPayload,
    CRPayload,
    ExchangeType,
    HashPayload,
    Header,
    IDPayload,
    KEPayload,
    Message,
    NoncePayload,
    NotificationPayload,
    NotifyType,
    PayloadMalformed,
    SAPayload,
    SigPayload,
    VendorIDPayload,
    decode_message,
    encode_message,
)
from sim.ike.peer_auth import (
    UndecodableCertificate,
    certificate_with_key,
    chain_for_peer,
    hash_matches,
    peer_certificates,
    proof,
)
from sim.ike.phase1_types import (
    NEED_INPUT,
    Cause,
    Event,
    LocalProtocolError,
    Mode,
    NeedInput,
    PeerCertificatesReceived,
    Phase1Config,
    Phase1Done,
    Phase1Failed,
    RemoteProtocolError,
    RetransmitPolicy,
    Role,
    SendDatagram,
    Timer,
)
from sim.ike.proposals import (
    IkeProposal,
    NoProposalChosen,
    accepted,
    life_attributes,
    notified_lifetime,
    sa_offer,
    select,
    settle_lifetime,
)
from sim.ike.quick_mode_wire import open_informational, seal, seal_informational

__all__ = [
    "AWAITING_REPLY", "NEED_INPUT", "TRANSITIONS", "ZERO_COOKIE", "Cause", "Event", "IkeSA",
    "Input",
    "LocalProtocolError", "Mode", "NeedInput", "PeerCertificatesReceived", "Phase1Config",
    "Phase1Done", "Phase1Failed", "RemoteProtocolError", "RetransmitPolicy", "Role",
    "SendDatagram", "State", "Timer", "opens_phase1",
]

ZERO_COOKIE = bytes(8)


class State(enum.Enum):
    IDLE = "idle"
    WAIT_SA = "wait-sa"            # initiator sent message 1
    WAIT_KE = "wait-ke"            # main: initiator sent 3, or responder sent 2
    WAIT_AUTH = "wait-auth"        # main: sent 5 or 4; aggressive responder sent 2
    WAIT_VERDICT = "wait-verdict"  # peer's certificates are with pkid
    ESTABLISHED = "established"
    FAILED = "failed"


class Input(enum.Enum):
    START = "start"
    MESSAGE = "message"
    VERDICT = "verdict"


_I, _R, _M, _A = Role.INITIATOR, Role.RESPONDER, Mode.MAIN, Mode.AGGRESSIVE
S = State
TRANSITIONS: dict[tuple[Role, Mode], dict[State, dict[Input, tuple[str, State]]]] = {
    (_I, _M): {
        S.IDLE: {Input.START: ("_main_send_1", S.WAIT_SA)},
        S.WAIT_SA: {Input.MESSAGE: ("_main_on_2", S.WAIT_KE)},
        S.WAIT_KE: {Input.MESSAGE: ("_main_on_4", S.WAIT_AUTH)},
        S.WAIT_AUTH: {Input.MESSAGE: ("_main_on_6", S.WAIT_VERDICT)},
        S.WAIT_VERDICT: {Input.VERDICT: ("_main_initiator_done", S.ESTABLISHED)},
    },
    (_R, _M): {
        S.IDLE: {Input.MESSAGE: ("_main_on_1", S.WAIT_KE)},
        S.WAIT_KE: {Input.MESSAGE: ("_main_on_3", S.WAIT_AUTH)},
        S.WAIT_AUTH: {Input.MESSAGE: ("_main_on_5", S.WAIT_VERDICT)},
        S.WAIT_VERDICT: {Input.VERDICT: ("_main_responder_done", S.ESTABLISHED)},
    },
    (_I, _A): {
        S.IDLE: {Input.START: ("_aggr_send_1", S.WAIT_SA)},
        S.WAIT_SA: {Input.MESSAGE: ("_aggr_on_2", S.WAIT_VERDICT)},
        S.WAIT_VERDICT: {Input.VERDICT: ("_aggr_initiator_done", S.ESTABLISHED)},
    },
    (_R, _A): {
        S.IDLE: {Input.MESSAGE: ("_aggr_on_1", S.WAIT_AUTH)},
        S.WAIT_AUTH: {Input.MESSAGE: ("_aggr_on_3", S.WAIT_VERDICT)},
        S.WAIT_VERDICT: {Input.VERDICT: ("_aggr_responder_done", S.ESTABLISHED)},
    },
}
# States in which we sent a message and retransmit it until the answer comes.
AWAITING_REPLY = frozenset({S.WAIT_SA, S.WAIT_KE, S.WAIT_AUTH})


def opens_phase1(datagram: bytes) -> bool:
    """Is this the first message of a new Phase-1 negotiation (zero responder cookie)?"""
    try:
        header = Header.decode(datagram)
    except PayloadMalformed:
        return False
    return header.rcookie == ZERO_COOKIE and header.exchange in (
        ExchangeType.IDENTITY_PROTECTION, ExchangeType.AGGRESSIVE)


# ---------------------------------------------------------------- the IKE SA


class IkeSA(Exchange):
    """One Phase-1 negotiation. Cookies, nonces and DH values come from `rng`."""

    KIND = "IKE SA"
    FAILED = State.FAILED
    FINISHED = frozenset({State.ESTABLISHED, State.FAILED})
    AWAITING_REPLY = AWAITING_REPLY

    def __init__(self, role: Role, config: Phase1Config, *, rng: random.Random) -> None:
        if not isinstance(config, Phase1Config):
            raise TypeError(f"config must be a Phase1Config, not {type(config).__name__}")
        super().__init__(role, rng=rng)
        self.config = config
        self.mode = config.mode
        self.state = State.IDLE
        self.icookie = self._random(8) if role is Role.INITIATOR else ZERO_COOKIE
        self.rcookie = ZERO_COOKIE
        self.proposal: IkeProposal | None = None
        self.peer_id: IkeId | None = None
        self.keys: crypto.Phase1Keys | None = None
        self._dh: crypto.DHPrivate | None = None
        self._sai_b = self._idii_b = self._idir_b = b""
        self._nonce_i = self._nonce_r = self._gxi = self._gxr = b""
        self._iv = b""
        self._peer_certs: tuple[x509.Certificate, ...] = ()
        self._peer_crs: tuple[bytes, ...] = ()
        self._peer_proof = b""  # SIG_I/SIG_R, or HASH_I/HASH_R with pre-shared keys
        self._local_id_sent: IkeId | None = None  # as its ID payload went out
        self._verdict: tuple[PublicKey, x509.Certificate | None] | None = None
        self.natt = NatTraversal(config.vendor_ids)  # RFC 3947; the driver observes ports
        self._initial_contact = False  # the peer's message 5 said INITIAL-CONTACT

    @classmethod
    def initiator(cls, config: Phase1Config, *, rng: random.Random) -> IkeSA:
        return cls(Role.INITIATOR, config, rng=rng)

    @classmethod
    def responder(cls, config: Phase1Config, *, rng: random.Random) -> IkeSA:
        return cls(Role.RESPONDER, config, rng=rng)

    # ------------------------------------------------------------ public surface

    def start(self) -> None:
        """Initiator: queue message 1."""
        self._drive(Input.START, None)

    def receive(self, datagram: bytes) -> None:
        """Feed one datagram addressed to this SA."""
        header = self._header_of_new(datagram)
        if header is None:
            return
        self._check_cookies(header)
        if header.exchange is ExchangeType.INFORMATIONAL:
            self._informational(header, datagram)
            return
        if self.state is State.IDLE and self.role is Role.RESPONDER:
            if header.exchange is not self.mode.value:
                try:  # refused as a message only if it is one
                    self._require(self._clear(datagram), SAPayload, "message 1")
                except PayloadMalformed as exc:
                    raise RemoteProtocolError(str(exc), exc.notify) from None
                self.icookie = header.icookie
                self._last_received = datagram
                self._fail(Failure(NotifyType.NO_PROPOSAL_CHOSEN,  # Junos's word; unverified
                                   f"peer uses {header.exchange.name}, policy says mode "
                                   f"{self.mode.name.lower()}", tell_peer=True))
                return
        elif header.exchange is not self.mode.value:
            raise RemoteProtocolError(f"exchange {header.exchange.name} in a {self.mode.name} "
                                      "negotiation", NotifyType.INVALID_EXCHANGE_TYPE)
        self._expect(Input.MESSAGE)
        self._take(Input.MESSAGE, datagram)
        if self.state is State.WAIT_VERDICT and self._pre_shared_key:
            self._drive(Input.VERDICT, None)  # the key is configured: nothing to wait for

    @property
    def last_iv(self) -> bytes:
        """The last CBC block so far: what an Informational's IV is derived from."""
        return self._iv

    def certificate_verdict(self, public_key: PublicKey,
                            certificate: x509.Certificate | None = None) -> None:
        """pkid accepted the peer's chain; `public_key` is its end-entity key. `certificate`
        defaults to the received certificate holding that key."""
        self._verdict = (public_key, certificate)
        self._drive(Input.VERDICT, None)

    def certificate_rejected(self, error: NotifyType = NotifyType.AUTHENTICATION_FAILED,
                             reason: str = "peer certificate rejected") -> None:
        if self.state is not State.WAIT_VERDICT:
            raise LocalProtocolError(f"no certificate verdict pending (state {self.state.value})")
        self._fail(Failure(error, reason, tell_peer=self._peer_waits()))

    # ------------------------------------------------------------ the machinery

    def _table(self) -> dict[Input, tuple[str, State]]:
        return TRANSITIONS[(self.role, self.mode)].get(self.state, {})

    def _failure_from(self, exc: Exception, error: NotifyType) -> Failure:
        tell_peer = (self.role is Role.RESPONDER if isinstance(exc, NoProposalChosen)
                     else self._peer_waits())
        return Failure(error, str(exc), tell_peer=tell_peer)

    def _failed_event(self, failure: Failure) -> Phase1Failed:
        return Phase1Failed(
            role=self.role, error=failure.error, reason=failure.reason,
            local_id=self._local_id_sent,
            remote_id=self.peer_id, cause=failure.cause)

    @property
    def _pre_shared_key(self) -> bool:
        """Is the chosen proposal's authentication method pre-shared keys?"""
        return (self.proposal is not None
                and self.proposal.authentication_method is crypto.AuthMethod.PRE_SHARED_KEY)

    def _peer_waits(self) -> bool:
        """Is the peer waiting for our next message (so a notification can reach it)?"""
        return self.role is Role.RESPONDER and (
            self.mode is Mode.MAIN or self.state is State.IDLE)

    def _check_cookies(self, header: Header) -> None:
        if self.role is Role.RESPONDER and self.state is State.IDLE:
            if header.rcookie != ZERO_COOKIE:
                raise RemoteProtocolError("first message with a responder cookie",
                                          NotifyType.INVALID_COOKIE)
            return
        if header.icookie != self.icookie:
            raise RemoteProtocolError("initiator cookie of another SA", NotifyType.INVALID_COOKIE)
        waiting_for_rcookie = self.role is Role.INITIATOR and self.state is State.WAIT_SA
        if header.rcookie != self.rcookie and not waiting_for_rcookie:
            raise RemoteProtocolError("responder cookie of another SA", NotifyType.INVALID_COOKIE)

    def _header(self, *, flags: int = 0, message_id: int = 0,
                exchange: ExchangeType | None = None) -> Header:
        return Header(icookie=self.icookie, rcookie=self.rcookie, next_payload=0,
                      exchange=exchange or self.mode.value, flags=flags, message_id=message_id)

    def _send_clear(self, payloads: list) -> None:
        self._transmit(encode_message(self._header(), payloads))

    def _send_encrypted(self, payloads: list) -> None:
        data, self._iv = seal(self, 0, self._iv, payloads, exchange=self.mode.value)
        self._transmit(data)

    def _decrypt(self, datagram: bytes) -> Message:
        header = Header.decode(datagram)
        if not header.encrypted:
            raise PayloadMalformed("message 5/6 is not encrypted", NotifyType.INVALID_FLAGS)
        cipher = self.proposal.encryption_algorithm
        ciphertext = datagram[HEADER_LEN:]
        try:
            body = crypto.decrypt(cipher, self.keys.enc_key, self._iv, ciphertext)
        except ValueError as exc:
            raise PayloadMalformed(str(exc)) from None
        try:
            message = decode_message(datagram, body=body)
        except PayloadMalformed as exc:
            if datagram != self._last_dropped:
                raise
            # The peer sent this very message before and it failed the same way: our keys
            # differ from the peer's, and no retransmission will change that.
            reason = (f"Incorrect pre-shared key ({exc})" if self._pre_shared_key
                      else f"message does not decrypt under the negotiated keys ({exc})")
            raise Failure(exc.notify, reason, tell_peer=self._peer_waits()) from None
        self._iv = ciphertext[-cipher.block_size:]
        return message

    @staticmethod
    def _clear(datagram: bytes) -> Message:
        return decode_message(datagram)  # the encryption flag there is malformed input

    @staticmethod
    def _require(message: Message, cls: type, what: str):  # noqa: ANN205
        found = message.all(cls)
        if len(found) != 1:
            raise PayloadMalformed(f"{what}: {len(found)} {cls.__name__}s")
        return found[0]

    def _cert_and_cr_payloads(self, *, certs: bool, crs: bool) -> list:
        out: list = [CertPayload(data=c) for c in chain_for_peer(
            self.config.certificates, self._peer_crs)] if certs else []
        if crs:
            out += [CRPayload(authority=dn) for dn in self.config.ca_dns]
        return out

    def _new_dh_and_nonce(self, group: crypto.DHGroup) -> tuple[bytes, bytes]:
        self._dh = crypto.DHPrivate(group, rng=self._rng)
        return self._dh.public, self._random(self.config.nonce_size)

    def _derive(self, peer_ke: bytes) -> None:
        gxy = self._dh.shared_secret(peer_ke)
        self.keys = crypto.derive_keys(
            hash_alg=self.proposal.authentication_algorithm,
            cipher=self.proposal.encryption_algorithm, ni_b=self._nonce_i, nr_b=self._nonce_r,
            gxy=gxy, gxi=self._gxi, gxr=self._gxr, cky_i=self.icookie, cky_r=self.rcookie,
            pre_shared_key=self.config.pre_shared_key if self._pre_shared_key else None)
        self._iv = self.keys.iv

    def _auth_hash(self, of: Role) -> bytes:
        args = dict(gxi=self._gxi, gxr=self._gxr, cky_i=self.icookie, cky_r=self.rcookie,
                    sai_b=self._sai_b)
        alg = self.proposal.authentication_algorithm
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
        payload = self._require(message, IDPayload, "peer identity")
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
            self._peer_proof = self._require(message, HashPayload, "peer hash").data
            return
        self._peer_proof = self._require(message, SigPayload, "peer signature").data
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

    def _done(self, certificate: x509.Certificate | None) -> None:
        self._events.append(Phase1Done(
            role=self.role, mode=self.mode, icookie=self.icookie, rcookie=self.rcookie,
            proposal=self.proposal, local_id=self._local_id_sent or self.config.local_id,
            remote_id=self.peer_id,
            keys=self.keys, last_iv=self._iv, peer_certificate=certificate,
            nat_t=self.natt.behind_nat, peer_vendor_ids=self.natt.peer_vendor_ids,
            initial_contact=self._initial_contact))

    def _vendor_ids(self) -> list[VendorIDPayload]:
        return [VendorIDPayload(data=v) for v in self.config.vendor_ids]

    def _read_vendor_ids(self, message: Message) -> None:
        self._events.append(self.natt.read_vendor_ids(message))

    def _nat_d(self) -> list:
        """NAT-D payloads (RFC 3947), when both sides announced NAT-T."""
        return self.natt.nat_d_payloads(self.proposal.authentication_algorithm, self.icookie,
                                        self.rcookie)

    def _read_nat_d(self, message: Message) -> None:
        found = self.natt.read_nat_d(message, self.proposal.authentication_algorithm,
                                     self.icookie, self.rcookie)
        if found is not None:
            self._events.append(found)

    def _fail(self, failure: Failure) -> None:
        """A Main Mode initiator that refuses message 6 (the responder's certificate, identity
        or signature) leaves a responder that is done: it tells it why and deletes the SA
        (an encrypted notification and DELETE), or the responder would keep a dead SA for its
        whole lifetime."""
        if (self.role is Role.INITIATOR and self.mode is Mode.MAIN
                and self.state is State.WAIT_VERDICT and self.keys is not None
                and self.config.send_notifications):
            message_id = self._rng.getrandbits(32) | 1
            self._events.append(SendDatagram(data=delete_ike(self, message_id,
                                                             notify=failure.error)))
        super()._fail(failure)

    def _responder_lifetime(self) -> list:
        """Responder, as it chooses: keep its own lifetime if shorter than the offer and say
        so in message 2 (RESPONDER-LIFETIME), so both sides expire the SA together."""
        settled = settle_lifetime(self.proposal, self.config.proposals)
        if settled.lifetime_seconds == self.proposal.lifetime_seconds:
            return []
        self.proposal = settled
        return [NotificationPayload(notify_type=NotifyType.RESPONDER_LIFETIME,
                                    spi=self.icookie + self.rcookie,
                                    data=life_attributes(settled.lifetime_seconds))]

    def _take_responder_lifetime(self, message: Message) -> None:
        for notify in message.all(NotificationPayload):
            if notify.notify_type == NotifyType.RESPONDER_LIFETIME \
                    and notify.protocol_id == PROTO_ISAKMP:
                seconds = notified_lifetime(notify.data, self.proposal.lifetime_seconds)
                if seconds is not None:
                    self.proposal = replace(self.proposal, lifetime_seconds=seconds)

    # ------------------------------------------------------------ Main Mode handlers

    def _main_send_1(self, _: None) -> None:
        sa = sa_offer(self.config.proposals)
        self._sai_b = sa.encode_body()
        self._send_clear([sa, *self._vendor_ids()])

    def _main_on_1(self, datagram: bytes) -> None:
        message = self._clear(datagram)
        self.icookie = message.header.icookie
        self._sai_b = message.raw_body_of(SAPayload) or b""
        offer = self._require(message, SAPayload, "message 1")
        self.rcookie = self._random(8)
        reply, self.proposal = select(offer, self.config.proposals)
        self._read_vendor_ids(message)
        self._send_clear([reply, *self._responder_lifetime(), *self._vendor_ids()])

    def _main_on_2(self, datagram: bytes) -> None:
        message = self._clear(datagram)
        self.proposal = accepted(self._require(message, SAPayload, "message 2"),
                                 self.config.proposals)
        self.rcookie = message.header.rcookie
        self._read_vendor_ids(message)
        self._take_responder_lifetime(message)
        self._gxi, self._nonce_i = self._new_dh_and_nonce(self.proposal.dh_group)
        self._send_clear([KEPayload(data=self._gxi), NoncePayload(data=self._nonce_i),
                          *self._cert_and_cr_payloads(
                              certs=False, crs=self._sends_crs and self.config.cr_message == 3),
                          *self._nat_d()])

    def _main_on_3(self, datagram: bytes) -> None:
        message = self._clear(datagram)
        peer_ke = self._require(message, KEPayload, "message 3").data
        self._nonce_i = self._require(message, NoncePayload, "message 3").data
        self._take_crs(message)
        self._gxi = peer_ke
        self._gxr, self._nonce_r = self._new_dh_and_nonce(self.proposal.dh_group)
        self._derive(peer_ke)
        self._read_nat_d(message)
        self._send_clear([KEPayload(data=self._gxr), NoncePayload(data=self._nonce_r),
                          *self._cert_and_cr_payloads(certs=False,
                                                      crs=not self._pre_shared_key),
                          *self._nat_d()])

    def _main_on_4(self, datagram: bytes) -> None:
        message = self._clear(datagram)
        self._gxr = self._require(message, KEPayload, "message 4").data
        self._nonce_r = self._require(message, NoncePayload, "message 4").data
        self._take_crs(message)
        self._derive(self._gxr)
        self._read_nat_d(message)  # a NAT found here moves message 5 to port 4500
        self._send_encrypted(self._identity_payloads())

    def _main_on_5(self, datagram: bytes) -> None:
        message = self._decrypt(datagram)
        # CR payloads may come with the identity too (RFC 2409 5.1 allows them in any
        # message after the SA): they choose the chain we send in message 6, as in message 3.
        self._take_crs(message)
        self._take_peer_id(message)
        self._initial_contact = any(
            n.notify_type == NotifyType.INITIAL_CONTACT and n.spi == self.icookie + self.rcookie
            for n in message.all(NotificationPayload))
        self._take_peer_auth(message)

    def _main_on_6(self, datagram: bytes) -> None:
        message = self._decrypt(datagram)
        self._take_peer_id(message)
        self._take_peer_auth(message)

    def _main_initiator_done(self, _: None) -> None:
        self._done(self._check_peer())

    def _main_responder_done(self, _: None) -> None:
        certificate = self._check_peer()
        self._send_encrypted(self._identity_payloads())
        self._done(certificate)

    # ------------------------------------------------------------ Aggressive Mode handlers

    def _aggr_send_1(self, _: None) -> None:
        sa = sa_offer(self.config.proposals)
        self._sai_b = sa.encode_body()
        self._gxi, self._nonce_i = self._new_dh_and_nonce(self.config.proposals[0].dh_group)
        id_payload = self._send_local_id()
        self._idii_b = id_payload.encode_body()
        crs = self.config.uses_certificates  # the proposal is not chosen yet
        self._send_clear([sa, KEPayload(data=self._gxi), NoncePayload(data=self._nonce_i),
                          id_payload, *self._cert_and_cr_payloads(certs=False, crs=crs),
                          *self._vendor_ids()])

    def _aggr_on_1(self, datagram: bytes) -> None:
        message = self._clear(datagram)
        self.icookie = message.header.icookie
        self._sai_b = message.raw_body_of(SAPayload) or b""
        offer = self._require(message, SAPayload, "message 1")
        self._gxi = self._require(message, KEPayload, "message 1").data
        self._nonce_i = self._require(message, NoncePayload, "message 1").data
        self._take_crs(message)
        self._take_peer_id(message)
        self.rcookie = self._random(8)
        reply, self.proposal = select(offer, self.config.proposals)
        self._read_vendor_ids(message)
        notify = self._responder_lifetime()
        self._gxr, self._nonce_r = self._new_dh_and_nonce(self.proposal.dh_group)
        self._derive(self._gxi)
        *identity, signed = self._identity_payloads()
        self._send_clear([reply, KEPayload(data=self._gxr), NoncePayload(data=self._nonce_r),
                          *identity, *self._cert_and_cr_payloads(
                              certs=False, crs=not self._pre_shared_key), *notify, signed,
                          *self._vendor_ids(), *self._nat_d()])

    def _aggr_on_2(self, datagram: bytes) -> None:
        message = self._clear(datagram)
        self.proposal = accepted(self._require(message, SAPayload, "message 2"),
                                 self.config.proposals)
        self.rcookie = message.header.rcookie
        self._take_responder_lifetime(message)
        self._gxr = self._require(message, KEPayload, "message 2").data
        self._nonce_r = self._require(message, NoncePayload, "message 2").data
        self._take_crs(message)
        self._derive(self._gxr)
        self._read_vendor_ids(message)
        self._read_nat_d(message)  # a NAT found here moves message 3 to port 4500
        self._take_peer_id(message)
        self._take_peer_auth(message)

    def _aggr_initiator_done(self, _: None) -> None:
        certificate = self._check_peer()
        payloads = self._identity_payloads()[1:]  # the ID went in message 1
        self._send_clear([*payloads, *self._nat_d()])
        self._done(certificate)

    def _aggr_on_3(self, datagram: bytes) -> None:
        message = self._clear(datagram)
        self._read_nat_d(message)
        self._take_peer_auth(message)

    def _aggr_responder_done(self, _: None) -> None:
        self._done(self._check_peer())

    # ------------------------------------------------------------ Informational exchange

    def _send_notify(self, error: NotifyType) -> None:
        """Tell the peer why we stop: in the clear before keys exist, else protected by HASH(1)
        and encrypted (RFC 2409 5.7)."""
        notify = NotificationPayload(notify_type=error, spi=self.icookie + self.rcookie)
        if self.keys is None:
            data = encode_message(self._header(exchange=ExchangeType.INFORMATIONAL), [notify])
            self._events.append(SendDatagram(data=data))
            return
        message_id = self._rng.getrandbits(32) | 1
        self._events.append(SendDatagram(data=seal_informational(self, message_id, notify)))

    def _informational(self, header: Header, datagram: bytes) -> None:
        """A notification: in the clear before keys exist (RFC 2408 allows nothing better
        then, and it is how a refused proposal ends at once on both sides), HASH(1)-protected
        after. Anything else is dropped."""
        self._expect_notification()
        try:
            if header.encrypted != (self.keys is not None):
                raise PayloadMalformed("notification " + (
                    "encrypted before keys exist" if header.encrypted
                    else "in the clear after keys exist"), NotifyType.INVALID_FLAGS)
            message = (decode_message(datagram) if self.keys is None
                       else open_informational(self, datagram))
        except PayloadMalformed as exc:
            raise RemoteProtocolError(f"bad informational message: {exc}", exc.notify) from None
        for notify in message.all(NotificationPayload):
            if self._fail_on_peer_error(notify):
                return

