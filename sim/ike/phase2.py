"""IKEv1 Quick Mode (Phase 2, RFC 2409 section 5.5), sans I/O: one QuickModeSA per negotiation,
run under an established Phase-1 SA (its Phase1Done), datagrams in, events out, no clock.

  I -> R  1* HASH(1), SA, Ni [, KE], IDci, IDcr
  R -> I  2* HASH(2), SA, Nr [, KE], IDci, IDcr [, N(RESPONDER-LIFETIME)]
  I -> R  3* HASH(3)                                   (* = encrypted with the Phase-1 keys)

HASH(1) = prf(SKEYID_a, M-ID | everything after HASH(1)), HASH(2) = prf(SKEYID_a, M-ID | Ni_b |
everything after HASH(2)), HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b). The first IV is
hash(last Phase-1 CBC block | M-ID), then the CBC chain runs through the exchange. KEYMAT per
direction = prf(SKEYID_d, [g(qm)^xy |] ESP | SPI | Ni_b | Nr_b), extended by feeding back the
previous block; the SPI is the receiving side's.

Junos always sends proxy IDs (IDci/IDcr). The responder looks up its policy by the peer's IDs
swapped (IDcr is its local, IDci its remote) before it looks at proposals: no match is "Failed
to match the peer proxy ids" and NO-PROPOSAL-CHOSEN (the guide, chapter 11). A failed responder
tells the initiator with an encrypted, HASH(1)-protected Informational NO-PROPOSAL-CHOSEN notify
naming the initiator's ESP SPI, so the initiator fails with 14 too. Retransmission and timeouts
follow the contract both SAs share (sim.ike.exchange: timer/on_timer/timeout) and a
RetransmitPolicy.
"""

from __future__ import annotations

import enum
import hmac
import random
from dataclasses import dataclass, field, replace

from sim.ike import crypto
from sim.ike.crypto import DHGroup
from sim.ike.exchange import Exchange, Failure
from sim.ike.ids import IkeId, render
from sim.ike.ipsec_proposals import (
    ENCAPSULATION_TUNNEL,
    ENCAPSULATION_UDP_TUNNEL,
    KILOBYTES_RANGE,
    LIFE_KILOBYTES,
    LIFETIME_RANGE,
    PROTO_IPSEC_ESP,
    Chosen,
    IpsecProposal,
    Suite,
    accepted,
    sa_offer,
    select,
)
from sim.ike.payloads import (
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
    encode_payloads,
)
from sim.ike.phase1_types import (
    NEED_INPUT,
    Phase1Done,
    RemoteProtocolError,
    RetransmitPolicy,
    Role,
    SendDatagram,
)
from sim.ike.proposals import NoProposalChosen
from sim.ike.quick_mode_wire import (
    ProxyIds,
    first_iv,
    keymat,
    lifetime_of,
    open_encrypted,
    open_informational,
    responder_lifetime,
    seal,
    seal_informational,
)

__all__ = [
    "NEED_INPUT", "Cause", "EspKeys", "Phase2Config", "ProxyIds", "QuickModeDone",
    "QuickModeFailed", "QuickModeSA", "SendDatagram", "State", "first_iv", "is_quick_mode",
    "keymat", "open_encrypted", "proxy_id_mismatch_message", "seal",
]


class State(enum.Enum):
    IDLE = "idle"
    WAIT_REPLY = "wait-reply"    # initiator sent message 1
    WAIT_HASH3 = "wait-hash3"    # responder sent message 2
    DONE = "done"
    FAILED = "failed"


class Input(enum.Enum):
    START = "start"
    MESSAGE = "message"


class Cause(enum.Enum):
    """Why a Quick Mode failed, so a driver picks its log lines without parsing text."""

    PROXY_ID_MISMATCH = "proxy-id-mismatch"
    PROPOSAL_MISMATCH = "proposal-mismatch"
    MALFORMED = "malformed"  # authenticated, but IDs we cannot use
    PEER_NOTIFICATION = "peer-notification"
    TIMEOUT = "timeout"


_I, _R, S = Role.INITIATOR, Role.RESPONDER, State
TRANSITIONS: dict[Role, dict[State, dict[Input, tuple[str, State]]]] = {
    _I: {
        S.IDLE: {Input.START: ("_send_1", S.WAIT_REPLY)},
        S.WAIT_REPLY: {Input.MESSAGE: ("_on_2", S.DONE)},
    },
    _R: {
        S.IDLE: {Input.MESSAGE: ("_on_1", S.WAIT_HASH3)},
        S.WAIT_HASH3: {Input.MESSAGE: ("_on_3", S.DONE)},
    },
}
AWAITING_REPLY = frozenset({S.WAIT_REPLY, S.WAIT_HASH3})


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True, kw_only=True)
class Phase2Config:
    """One side's IPsec policy and VPN: proposals (in order), `perfect-forward-secrecy keys`,
    the proxy IDs it sends, and (responder) the (local, remote) pairs it accepts; by default
    only its own `proxy_ids`."""

    proposals: tuple[IpsecProposal, ...]
    proxy_ids: ProxyIds = field(default_factory=ProxyIds.route_based)
    pfs_group: DHGroup | None = None
    accepted_proxy_ids: tuple[ProxyIds, ...] = ()
    nonce_size: int = 32
    send_notifications: bool = True
    retransmit: RetransmitPolicy = field(default_factory=RetransmitPolicy)

    def __post_init__(self) -> None:
        if not isinstance(self.proposals, tuple) or not self.proposals:
            raise ValueError("proposals: a non-empty tuple of IpsecProposal is required")
        if not all(isinstance(p, IpsecProposal) for p in self.proposals):
            raise TypeError("proposals must be IpsecProposal values")
        if self.pfs_group is not None and not isinstance(self.pfs_group, DHGroup):
            raise TypeError(f"pfs_group must be a DHGroup, not {type(self.pfs_group).__name__}")
        if not all(isinstance(p, ProxyIds) for p in (self.proxy_ids, *self.accepted_proxy_ids)):
            raise TypeError("proxy_ids and accepted_proxy_ids must be ProxyIds")
        if len({s.group for s in self.suites()}) != 1:
            raise ValueError("perfect-forward-secrecy: every proposal must use the same group "
                             "(one KE payload serves them all)")
        if not 8 <= self.nonce_size <= 256:
            raise ValueError(f"nonce_size {self.nonce_size}: RFC 2409 allows 8..256 bytes")

    def suites(self) -> tuple[Suite, ...]:
        """What we offer or accept. The policy's PFS group wins over a proposal-set member's
        own group (our inference; Junos configs set both to the same group)."""
        return tuple(Suite(proposal=p, group=self.pfs_group if self.pfs_group is not None
                           else p.pfs_group) for p in self.proposals)

    @property
    def group(self) -> DHGroup | None:
        return self.suites()[0].group

    @property
    def acceptable(self) -> tuple[ProxyIds, ...]:
        return self.accepted_proxy_ids or (self.proxy_ids,)


# ---------------------------------------------------------------- events


@dataclass(frozen=True, kw_only=True)
class EspKeys:
    """One direction's ESP SA: its SPI (the receiver's) and keys cut from KEYMAT."""

    spi: int
    encryption_key: bytes
    authentication_key: bytes

    def __post_init__(self) -> None:
        if not 256 <= self.spi <= 0xFFFFFFFF:
            raise ValueError(f"ESP SPI {self.spi:#x}: 0..255 are reserved, 32 bits at most")


@dataclass(frozen=True, kw_only=True)
class QuickModeDone:
    role: Role
    message_id: int
    proposal: IpsecProposal      # ours, named as configured, with the negotiated lifetime
    local_proxy_id: IkeId
    remote_proxy_id: IkeId
    inbound_keys: EspKeys
    outbound_keys: EspKeys
    pfs_group: DHGroup | None

    @property
    def inbound_spi(self) -> int:
        return self.inbound_keys.spi

    @property
    def outbound_spi(self) -> int:
        return self.outbound_keys.spi

    @property
    def lifetime_seconds(self) -> int:
        return self.proposal.lifetime_seconds


@dataclass(frozen=True, kw_only=True)
class QuickModeFailed:
    """`error.text` is what Junos prints; the received proxy IDs are in this side's view
    (p2_local = the peer's IDcr, p2_remote = its IDci), when a message 1 carried them."""

    role: Role
    error: NotifyType
    reason: str
    cause: Cause
    message_id: int
    received_local_proxy_id: IkeId | None = None
    received_remote_proxy_id: IkeId | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.error, NotifyType) or not isinstance(self.cause, Cause):
            raise TypeError("error must be a NotifyType and cause a Cause")

    @property
    def text(self) -> str:
        return self.error.text


Event = SendDatagram | QuickModeDone | QuickModeFailed


def proxy_id_mismatch_message(failure: QuickModeFailed, remote_peer: IkeId) -> str:
    """The kmd line for a responder that found no policy for the peer's proxy IDs."""
    if failure.cause is not Cause.PROXY_ID_MISMATCH:
        raise ValueError(f"not a proxy-ID mismatch: {failure.cause.value}")
    return (f"Failed to match the peer proxy ids "
            f"p2_remote={render(failure.received_remote_proxy_id)} "
            f"p2_local={render(failure.received_local_proxy_id)} "
            f"for the remote peer:{render(remote_peer)}")


def is_quick_mode(datagram: bytes, phase1: Phase1Done | None = None) -> bool:
    """Is this a Quick Mode datagram (exchange 32), under `phase1`'s cookies when given?"""
    try:
        header = Header.decode(datagram)
    except PayloadMalformed:
        return False
    if header.exchange is not ExchangeType.QUICK_MODE:
        return False
    return phase1 is None or (header.icookie, header.rcookie) == (phase1.icookie,
                                                                   phase1.rcookie)


# ---------------------------------------------------------------- the Quick Mode SA


class QuickModeSA(Exchange):
    """One Quick Mode negotiation. Message ID, SPI, nonce and DH value come from `rng`."""

    KIND = "Quick Mode"
    FAILED = State.FAILED
    FINISHED = frozenset({State.DONE, State.FAILED})
    AWAITING_REPLY = AWAITING_REPLY
    TIMEOUT_CAUSE = Cause.TIMEOUT

    def __init__(self, role: Role, phase1: Phase1Done, config: Phase2Config, *,
                 rng: random.Random) -> None:
        if not isinstance(phase1, Phase1Done):
            raise TypeError(f"phase1 must be a Phase1Done, not {type(phase1).__name__}")
        if not isinstance(config, Phase2Config):
            raise TypeError(f"config must be a Phase2Config, not {type(config).__name__}")
        super().__init__(role, rng=rng)
        self.phase1, self.config = phase1, config
        self.state = State.IDLE
        self.message_id = 0
        self.spi = b""            # our inbound SPI
        self.peer_spi = b""       # the peer's inbound SPI (our outbound)
        self.chosen: Chosen | None = None
        self.received_ids: ProxyIds | None = None   # responder: the peer's, swapped
        self._iv = b""
        self._nonce_i = self._nonce_r = b""
        self._dh: crypto.DHPrivate | None = None
        self._peer_ke = self._gxy = b""
        self._lifetime_cap: int | None = None
        self._kilobytes_cap: int | None = None

    @classmethod
    def initiator(cls, phase1: Phase1Done, config: Phase2Config, *,
                  rng: random.Random) -> QuickModeSA:
        return cls(Role.INITIATOR, phase1, config, rng=rng)

    @classmethod
    def responder(cls, phase1: Phase1Done, config: Phase2Config, *,
                  rng: random.Random) -> QuickModeSA:
        return cls(Role.RESPONDER, phase1, config, rng=rng)

    # ------------------------------------------------------------ public surface

    def start(self) -> None:
        """Initiator: queue message 1."""
        self._drive(Input.START, None)

    def receive(self, datagram: bytes) -> None:
        """Feed a Quick Mode datagram of this negotiation, or an Informational under the same
        Phase-1 SA (one that names another negotiation raises RemoteProtocolError)."""
        header = self._header_of_new(datagram)
        if header is None:
            return
        if (header.icookie, header.rcookie) != (self.phase1.icookie, self.phase1.rcookie):
            raise RemoteProtocolError("cookies of another IKE SA", NotifyType.INVALID_COOKIE)
        if header.exchange is ExchangeType.INFORMATIONAL:
            self._informational(header, datagram)
            return
        if header.exchange is not ExchangeType.QUICK_MODE:
            raise RemoteProtocolError(f"exchange {header.exchange.name} is not Quick Mode",
                                      NotifyType.INVALID_EXCHANGE_TYPE)
        if not header.encrypted:
            raise RemoteProtocolError("Quick Mode message in the clear", NotifyType.INVALID_FLAGS)
        if header.message_id == 0 or (self.state is not State.IDLE
                                      and header.message_id != self.message_id):
            raise RemoteProtocolError(f"message ID {header.message_id:#010x} is not this "
                                      "negotiation's", NotifyType.INVALID_MESSAGE_ID)
        self._expect(Input.MESSAGE)
        self._take(Input.MESSAGE, datagram)

    # ------------------------------------------------------------ the machinery

    def _table(self) -> dict[Input, tuple[str, State]]:
        return TRANSITIONS[self.role].get(self.state, {})

    def _peer_waits(self) -> bool:
        """Is the peer waiting for our next message (so a notification can reach it)?"""
        return (self.role, self.state) in ((Role.RESPONDER, State.IDLE),
                                           (Role.INITIATOR, State.WAIT_REPLY))

    def _failure_from(self, exc: Exception, error: NotifyType) -> Failure:
        cause = (Cause.PROPOSAL_MISMATCH if isinstance(exc, NoProposalChosen)
                 else Cause.MALFORMED)
        return Failure(error, str(exc), cause, tell_peer=self._peer_waits())

    def _failed_event(self, failure: Failure) -> QuickModeFailed:
        ids = self.received_ids
        return QuickModeFailed(
            role=self.role, error=failure.error, reason=failure.reason, cause=failure.cause,
            message_id=self.message_id,
            received_local_proxy_id=ids.local if ids else None,
            received_remote_proxy_id=ids.remote if ids else None)

    @property
    def _encapsulation(self) -> int:
        """Tunnel mode, UDP-encapsulated when Phase 1 found a NAT (RFC 3947 5.1)."""
        return ENCAPSULATION_UDP_TUNNEL if self.phase1.nat_t else ENCAPSULATION_TUNNEL

    def _new_spi(self) -> bytes:
        while True:  # SPIs 0..255 are reserved (RFC 2406 2.1)
            spi = self._rng.getrandbits(32)
            if spi > 255:
                return spi.to_bytes(4, "big")

    def _send(self, payloads: list) -> None:
        data, self._iv = seal(self.phase1, self.message_id, self._iv, payloads,
                              exchange=ExchangeType.QUICK_MODE)
        self._transmit(data)

    def _open(self, datagram: bytes) -> tuple[Message, bytes]:
        """Decrypt: (message, the bytes its leading HASH covers after the prefix). A message
        that does not decrypt into payloads is dropped (PayloadMalformed)."""
        message, after_hash, self._iv = open_encrypted(self.phase1, self._iv, datagram)
        return message, after_hash

    def _check_hash(self, message: Message, data: bytes) -> None:
        """Every Quick Mode message is authenticated by its HASH: one that does not match was
        not sent by the peer as it is (damaged or forged), so it is dropped, and the peer's
        genuine retransmission can still complete the exchange. (QuickSec's words for it,
        ike_st_i_qm_hash_*: "Hash value mismatch", AUTHENTICATION-FAILED.)"""
        alg = self.phase1.proposal.authentication_algorithm
        expected = crypto.prf(alg, self.phase1.keys.skeyid_a, data)
        first = message.payloads[0] if message.payloads else None
        if not isinstance(first, HashPayload) or not hmac.compare_digest(first.data, expected):
            raise RemoteProtocolError("Hash value mismatch", NotifyType.AUTHENTICATION_FAILED)

    def _hash(self, prefix: bytes, payloads: list) -> HashPayload:
        alg = self.phase1.proposal.authentication_algorithm
        rest = encode_payloads(payloads)[1] if payloads else b""
        return HashPayload(data=crypto.prf(alg, self.phase1.keys.skeyid_a, prefix + rest))

    @property
    def _mid(self) -> bytes:
        return self.message_id.to_bytes(4, "big")

    def _ke_payload(self) -> list:
        group = self.chosen.group if self.chosen is not None else self.config.group
        if group is None:
            return []
        self._dh = crypto.DHPrivate(group, rng=self._rng)
        return [KEPayload(data=self._dh.public)]

    def _take_peer_ke(self, message: Message, group: DHGroup | None) -> None:
        kes = message.all(KEPayload)
        if group is None and kes:
            raise Failure(NotifyType.NO_PROPOSAL_CHOSEN, "KE payload but no PFS group chosen",
                          Cause.PROPOSAL_MISMATCH, tell_peer=self._peer_waits())
        if group is not None and len(kes) != 1:
            raise Failure(NotifyType.NO_PROPOSAL_CHOSEN, f"PFS group {group.value} but "
                          f"{len(kes)} KE payloads", Cause.PROPOSAL_MISMATCH,
                          tell_peer=self._peer_waits())
        self._peer_ke = kes[0].data if kes else b""

    def _derive(self) -> tuple[EspKeys, EspKeys]:
        """(inbound, outbound): each direction keyed with its receiver's SPI."""
        chosen = self.chosen
        alg = self.phase1.proposal.authentication_algorithm
        proposal = chosen.proposal
        out = []
        for spi in (self.spi, self.peer_spi):
            km = keymat(alg, self.phase1.keys.skeyid_d, gxy=self._gxy, protocol=PROTO_IPSEC_ESP,
                        spi=spi, ni_b=self._nonce_i, nr_b=self._nonce_r, length=proposal.key_size)
            cut = proposal.encryption_algorithm.key_size
            out.append(EspKeys(spi=int.from_bytes(spi, "big"), encryption_key=km[:cut],
                               authentication_key=km[cut:]))
        return out[0], out[1]

    def _done(self, local: IkeId, remote: IkeId) -> None:
        inbound, outbound = self._derive()
        proposal = self.chosen.proposal
        if self._lifetime_cap is not None and self._lifetime_cap < proposal.lifetime_seconds:
            proposal = replace(proposal, lifetime_seconds=self._lifetime_cap)
        cap, own = self._kilobytes_cap, proposal.lifetime_kilobytes
        if cap is not None and (own is None or cap < own):
            proposal = replace(proposal, lifetime_kilobytes=cap)
        self._events.append(QuickModeDone(
            role=self.role, message_id=self.message_id, proposal=proposal,
            local_proxy_id=local, remote_proxy_id=remote, inbound_keys=inbound,
            outbound_keys=outbound, pfs_group=self.chosen.group))

    # ------------------------------------------------------------ handlers

    def _send_1(self, _: None) -> None:
        self.message_id = self._rng.getrandbits(32) or 1
        self._iv = first_iv(self.phase1, self.message_id)
        self.spi = self._new_spi()
        self._nonce_i = self._random(self.config.nonce_size)
        ids = self.config.proxy_ids
        payloads = [sa_offer(self.config.suites(), self.spi, self._encapsulation),
                    NoncePayload(data=self._nonce_i),
                    *self._ke_payload(), ids.local.to_payload(), ids.remote.to_payload()]
        self._send([self._hash(self._mid, payloads), *payloads])

    def _on_1(self, datagram: bytes) -> None:
        self.message_id = Header.decode(datagram).message_id  # the initiator's choice
        self._iv = first_iv(self.phase1, self.message_id)
        message, after_hash = self._open(datagram)
        offer = message.first(SAPayload)
        esp = [p for p in offer.proposals if p.protocol_id == PROTO_IPSEC_ESP] if offer else []
        self.peer_spi = esp[0].spi if esp else b""  # names the negotiation in a notify
        self._check_hash(message, self._mid + after_hash)
        offer = message.only(SAPayload, "message 1")
        self._nonce_i = message.only(NoncePayload, "message 1").data
        idci, idcr = self._peer_proxy_ids(message)
        # Policy lookup first, by the peer's IDs seen from our side; proposals come after.
        self.received_ids = ProxyIds(local=idcr, remote=idci)
        if not any(self.received_ids.same_traffic(pair) for pair in self.config.acceptable):
            raise Failure(NotifyType.NO_PROPOSAL_CHOSEN, "Failed to match the peer proxy ids",
                          Cause.PROXY_ID_MISMATCH, tell_peer=True)
        self.spi = self._new_spi()
        self.chosen = select(offer, self.config.suites(), self.spi, self._encapsulation)
        self.peer_spi = self.chosen.peer_spi
        self._take_peer_ke(message, self.chosen.group)
        self._nonce_r = self._random(self.config.nonce_size)
        payloads = [self.chosen.reply, NoncePayload(data=self._nonce_r), *self._ke_payload(),
                    idci.to_payload(), idcr.to_payload()]
        if self.chosen.shortened:
            chosen = self.chosen.proposal
            payloads.append(responder_lifetime(self.spi, chosen.lifetime_seconds,
                                               chosen.lifetime_kilobytes))
        if self._dh is not None:
            self._gxy = self._dh.shared_secret(self._peer_ke)
        self._send([self._hash(self._mid + self._nonce_i, payloads), *payloads])

    def _on_2(self, datagram: bytes) -> None:
        message, after_hash = self._open(datagram)
        self._check_hash(message, self._mid + self._nonce_i + after_hash)
        self.chosen = accepted(message.only(SAPayload, "message 2"), self.config.suites(),
                               self._encapsulation)
        self.peer_spi = self.chosen.peer_spi
        self._nonce_r = message.only(NoncePayload, "message 2").data
        self._take_peer_ke(message, self.chosen.group)
        sent = self.config.proxy_ids
        if [(i.id_type, i.protocol, i.port, i.data) for i in message.all(IDPayload)] not in (
                [], [_wire(sent.local), _wire(sent.remote)]):
            raise Failure(NotifyType.INVALID_ID_INFORMATION, "responder changed the proxy ids",
                          Cause.MALFORMED, tell_peer=self._peer_waits())
        for notify in message.all(NotificationPayload):
            if notify.notify_type == NotifyType.RESPONDER_LIFETIME:
                seconds = lifetime_of(notify.data)
                # A peer's number: below the shortest lifetime Junos configures it is raised.
                self._lifetime_cap = (None if seconds is None
                                      else max(seconds, LIFETIME_RANGE[0]))
                kilobytes = lifetime_of(notify.data, LIFE_KILOBYTES)
                self._kilobytes_cap = (None if kilobytes is None
                                       else max(kilobytes, KILOBYTES_RANGE[0]))
        if self._dh is not None:
            self._gxy = self._dh.shared_secret(self._peer_ke)
        self._send([HashPayload(data=crypto.prf(
            self.phase1.proposal.authentication_algorithm, self.phase1.keys.skeyid_a,
            b"\x00" + self._mid + self._nonce_i + self._nonce_r))])
        self._done(sent.local, sent.remote)

    def _on_3(self, datagram: bytes) -> None:
        message, _ = self._open(datagram)
        self._check_hash(message, b"\x00" + self._mid + self._nonce_i + self._nonce_r)
        self._done(self.received_ids.local, self.received_ids.remote)

    def _peer_proxy_ids(self, message: Message) -> tuple[IkeId, IkeId]:
        ids = message.all(IDPayload)
        if len(ids) != 2:
            # Junos always sends both; the RFC's "no IDs = the peers' addresses" is not modelled.
            raise Failure(NotifyType.INVALID_ID_INFORMATION, f"{len(ids)} ID payloads, 2 needed",
                          Cause.MALFORMED, tell_peer=True)
        try:
            return IkeId.from_payload(ids[0]), IkeId.from_payload(ids[1])
        except ValueError as exc:
            raise Failure(NotifyType.INVALID_ID_INFORMATION, str(exc), Cause.MALFORMED,
                          tell_peer=True) from None

    # ------------------------------------------------------------ Informational exchange

    def _send_notify(self, error: NotifyType) -> None:
        """An encrypted Informational, HASH(1)-protected (RFC 2409 5.7), with a fresh M-ID."""
        spi = self.peer_spi or self.spi  # either SPI names this negotiation to the peer
        if spi:
            notify = NotificationPayload(notify_type=error, protocol_id=PROTO_IPSEC_ESP, spi=spi)
        else:  # no SPI to name: the notification goes to the IKE SA
            notify = NotificationPayload(notify_type=error,
                                         spi=self.phase1.icookie + self.phase1.rcookie)
        message_id = self._rng.getrandbits(32) or 1
        data = seal_informational(self.phase1, message_id, notify)
        self._events.append(SendDatagram(data=data))

    def _informational(self, header: Header, datagram: bytes) -> None:
        self._expect_notification()
        if not header.encrypted:
            raise RemoteProtocolError("cleartext notification after Phase 1",
                                      NotifyType.INVALID_FLAGS)
        try:
            message = open_informational(self.phase1, datagram)
        except PayloadMalformed as exc:
            raise RemoteProtocolError(f"bad informational message: {exc}", exc.notify) from None
        ours = {self.spi, self.peer_spi} - {b""}
        for notify in message.all(NotificationPayload):
            if (notify.protocol_id == PROTO_IPSEC_ESP and notify.spi in ours
                    and self._fail_on_peer_error(notify, Cause.PEER_NOTIFICATION)):
                return
        raise RemoteProtocolError("notification for another negotiation", NotifyType.INVALID_SPI)


def _wire(ike_id: IkeId) -> tuple:
    return (ike_id.id_type, ike_id.protocol, ike_id.port, ike_id.data)
