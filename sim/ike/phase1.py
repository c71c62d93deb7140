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

from cryptography import x509

from pki.keys import PublicKey
from sim.ike import crypto
from sim.ike.aggressive_mode import AggressiveModeHandlers
from sim.ike.exchange import Exchange, Failure
from sim.ike.ids import IkeId
from sim.ike.informational import delete_ike
from sim.ike.main_mode import MainModeHandlers
from sim.ike.natt import NatTraversal
from sim.ike.payloads import (
    ExchangeType,
    Header,
    NotificationPayload,
    NotifyType,
    PayloadMalformed,
    SAPayload,
    decode_message,
    encode_message,
)
from sim.ike.phase1_identity import PeerIdentity
from sim.ike.phase1_messages import Phase1Messages
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
from sim.ike.proposals import IkeProposal, NoProposalChosen
from sim.ike.quick_mode_wire import open_informational, seal_informational

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


class IkeSA(MainModeHandlers, AggressiveModeHandlers, PeerIdentity, Phase1Messages, Exchange):
    """One Phase-1 negotiation. Cookies, nonces and DH values come from `rng`. The handlers the
    table names, and the pieces they are made of, are mixed in from their own modules."""

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
                    self._clear(datagram).only(SAPayload, "message 1")
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

    def _done(self, certificate: x509.Certificate | None) -> None:
        self._events.append(Phase1Done(
            role=self.role, mode=self.mode, icookie=self.icookie, rcookie=self.rcookie,
            proposal=self.proposal, local_id=self._local_id_sent or self.config.local_id,
            remote_id=self.peer_id,
            keys=self.keys, last_iv=self._iv, peer_certificate=certificate,
            nat_t=self.natt.behind_nat, peer_vendor_ids=self.natt.peer_vendor_ids,
            initial_contact=self._initial_contact))

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

