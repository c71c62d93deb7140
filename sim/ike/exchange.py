"""What a Phase-1 negotiation (sim.ike.phase1.IkeSA) and a Quick Mode (sim.ike.phase2.QuickModeSA)
share, sans I/O: the event queue, answering a repeated datagram with our last one, the
retransmission contract (timer/on_timer/retransmit/timeout), and running one entry of the SA's
transition table (_drive).

A handler ends in one of three ways, and which one is a protocol decision:
- it returns: the SA moves to the table's next state;
- it raises Failure (or NoProposalChosen): the message is well formed and says something we
  refuse (a proposal we do not have, an identity, certificate or signature that does not
  hold): the negotiation fails with that error, and the peer is told if it is waiting;
- it raises PayloadMalformed, InvalidKeyExchange or RemoteProtocolError: the datagram could
  not be parsed or authenticated, so anyone could have sent it. It is dropped (RFC 2408
  section 5: "the message is discarded"), the SA is put back exactly as it was (state, keys,
  IVs, even its random stream) and RemoteProtocolError tells the driver, so the genuine
  message, or its retransmission, still completes the negotiation. The rollback restores a
  shallow copy of the SA's attributes: handlers rebind attributes (self._iv = ...), never
  change in place an object the SA holds, or a dropped datagram would leave its mark.

Each SA keeps its own states, inputs and transition table at the top of its own module; this
class only knows the states by the class attributes an SA sets (FAILED, FINISHED,
AWAITING_REPLY) and the table by the SA's _table().
"""

from __future__ import annotations

import enum
import random
from collections import deque
from typing import Any, ClassVar

from sim.ike import crypto
from sim.ike.payloads import Header, NotificationPayload, NotifyType, PayloadMalformed
from sim.ike.phase1_types import (
    NEED_INPUT,
    LocalProtocolError,
    NeedInput,
    RemoteProtocolError,
    Role,
    SendDatagram,
    Timer,
)
from sim.ike.proposals import NoProposalChosen


class Failure(Exception):
    """A handler's reason to end the negotiation; `cause` is the SA's own classification (Quick
    Mode's Cause), `tell_peer` asks for a notification first."""

    def __init__(self, error: NotifyType, reason: str, cause: enum.Enum | None = None, *,
                 tell_peer: bool = False) -> None:
        super().__init__(reason)
        self.error, self.reason, self.cause, self.tell_peer = error, reason, cause, tell_peer


class Exchange:
    """Base of the two SA classes. A subclass sets the class attributes below and provides
    _table(), _failure_from(), _failed_event() and _send_notify(); its `config` carries
    `retransmit` (a RetransmitPolicy) and `send_notifications`."""

    KIND: ClassVar[str]                          # "IKE SA", "Quick Mode": for error messages
    FAILED: ClassVar[enum.Enum]
    FINISHED: ClassVar[frozenset[enum.Enum]]     # past the end: nothing to time out
    AWAITING_REPLY: ClassVar[frozenset[enum.Enum]]  # we sent a message and resend it
    TIMEOUT_CAUSE: ClassVar[enum.Enum | None] = None

    config: Any
    state: enum.Enum

    def __init__(self, role: Role, *, rng: random.Random) -> None:
        self.role, self._rng = role, rng
        self.last_sent: bytes | None = None
        self.retransmissions = 0
        self._events: deque[Any] = deque()
        self._generation = 0
        self._last_received: bytes | None = None
        self._reply_to_last_received = False
        self._last_dropped: bytes | None = None  # survives the rollback of a drop

    # ------------------------------------------------------------ public surface

    def next_event(self) -> Any | NeedInput:
        return self._events.popleft() if self._events else NEED_INPUT

    def timer(self) -> Timer | None:
        """When to call on_timer() next, or None when nothing is outstanding."""
        if self.state not in self.AWAITING_REPLY:
            return None
        return Timer(delay=self.config.retransmit.delay(self.retransmissions),
                     generation=self._generation)

    def on_timer(self, generation: int) -> None:
        """The timer from timer() fired: resend, or fail with Timeout after the last resend."""
        if generation != self._generation or self.state not in self.AWAITING_REPLY:
            return
        if self.retransmissions >= self.config.retransmit.limit:
            self.timeout()
            return
        self._events.append(SendDatagram(data=self.retransmit()))

    def retransmit(self) -> bytes:
        """The last datagram sent, again; counts as one resend."""
        if self.last_sent is None or self.state is self.FAILED:
            raise LocalProtocolError("nothing to retransmit")
        self.retransmissions += 1
        self._generation += 1
        return self.last_sent

    def timeout(self) -> None:
        """End an unfinished negotiation with Timeout (8197)."""
        if self.state in self.FINISHED:
            raise LocalProtocolError(f"cannot time out in state {self.state.value}")
        self._fail(Failure(NotifyType.TIMEOUT, f"no answer in state {self.state.value}",
                           self.TIMEOUT_CAUSE))

    # ------------------------------------------------------------ receiving

    def _header_of_new(self, datagram: bytes) -> Header | None:
        """The header of a datagram to act on, or None for a repeat of the last one taken: the
        peer missed our answer and sent again, so it is answered again. (Checked before
        anything else: a repeated Phase-1 message 1 has no responder cookie.)"""
        if self.state is self.FAILED:
            raise LocalProtocolError(f"this {self.KIND} has failed; it takes no more datagrams")
        if datagram == self._last_received:
            if self._reply_to_last_received and self.last_sent is not None:
                self.retransmissions += 1
                self._events.append(SendDatagram(data=self.last_sent))
            return None
        try:
            return Header.decode(datagram)
        except PayloadMalformed as exc:
            raise RemoteProtocolError(f"undecodable datagram: {exc}", exc.notify) from None

    def _expect(self, what: enum.Enum) -> None:
        if what not in self._table():
            raise RemoteProtocolError(f"no message expected in state {self.state.value}",
                                      NotifyType.STATE_NOT_MATCHED)

    def _take(self, what: enum.Enum, datagram: bytes) -> None:
        """Run the handler for a new datagram; a repeat of it will get our answer again. A
        datagram the handler drops leaves no trace in the SA but `_last_dropped`."""
        saved, events, rng = dict(self.__dict__), list(self._events), self._rng.getstate()
        self._last_received = datagram
        self._reply_to_last_received = False
        try:
            self._drive(what, datagram)
        except RemoteProtocolError:
            self.__dict__.clear()
            self.__dict__.update(saved)
            self._events = deque(events)
            self._rng.setstate(rng)
            self._last_dropped = datagram
            raise

    def _expect_notification(self) -> None:
        if self.state not in self.AWAITING_REPLY:
            raise RemoteProtocolError(f"notification in state {self.state.value}",
                                      NotifyType.STATE_NOT_MATCHED)

    def _fail_on_peer_error(self, notify: NotificationPayload,
                            cause: enum.Enum | None = None) -> bool:
        """An error notification (a type below CONNECTED) ends the negotiation: True if so."""
        if notify.notify_type >= NotifyType.CONNECTED:
            return False
        try:
            error = NotifyType(notify.notify_type)
        except ValueError:
            error = NotifyType.ABORTED_NOTIFICATION
        self._fail(Failure(error, f"peer sent notification {error.text}", cause))
        return True

    # ------------------------------------------------------------ the machinery

    def _table(self) -> dict:
        raise NotImplementedError

    def _drive(self, what: enum.Enum, datagram: bytes | None) -> None:
        try:
            handler, target = self._table()[what]
        except KeyError:
            raise LocalProtocolError(f"{what.value} not allowed for a {self.role.value} "
                                     f"in state {self.state.value}") from None
        try:
            getattr(self, handler)(datagram)
        except Failure as failure:
            self._fail(failure)
            return
        except NoProposalChosen as exc:
            self._fail(self._failure_from(exc, NotifyType.NO_PROPOSAL_CHOSEN))
            return
        except PayloadMalformed as exc:
            if datagram is None:
                raise LocalProtocolError(f"{handler}: {exc}") from None
            raise RemoteProtocolError(str(exc), exc.notify) from None
        except crypto.InvalidKeyExchange as exc:
            if datagram is None:
                raise LocalProtocolError(f"{handler}: {exc}") from None
            raise RemoteProtocolError(str(exc), NotifyType.INVALID_KEY_INFORMATION) from None
        self.state = target

    def _failure_from(self, exc: Exception, error: NotifyType) -> Failure:
        """The failure a handler's NoProposalChosen means for this SA (whom to tell, which
        cause)."""
        raise NotImplementedError

    def _fail(self, failure: Failure) -> None:
        if failure.tell_peer and self.config.send_notifications:
            self._send_notify(failure.error)
        self.state = self.FAILED
        self._events.append(self._failed_event(failure))

    def _failed_event(self, failure: Failure) -> Any:
        raise NotImplementedError

    def _send_notify(self, error: NotifyType) -> None:
        raise NotImplementedError

    def _transmit(self, data: bytes) -> None:
        """Send a new message: it is what we resend from now on."""
        self.last_sent = data
        self.retransmissions = 0
        self._generation += 1
        self._reply_to_last_received = self._last_received is not None
        self._events.append(SendDatagram(data=data))

    def _random(self, n: int) -> bytes:
        return self._rng.getrandbits(8 * n).to_bytes(n, "big")
