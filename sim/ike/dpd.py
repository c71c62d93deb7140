"""Dead peer detection (RFC 3706), sans I/O: the vendor ID both peers send in the first
messages of Phase 1, the R-U-THERE / R-U-THERE-ACK notifications, and DpdMonitor, which decides
from the traffic it is told about when to probe the peer and when the peer is dead.

On the wire (RFC 3706 section 5): an encrypted Informational exchange protected by HASH(1),
carrying one Notification payload: protocol ISAKMP, SPI = CKY-I | CKY-R (16 bytes), type
36136 (R-U-THERE) or 36137 (R-U-THERE-ACK), data = a 32-bit sequence number. The ACK echoes the
sequence number of the R-U-THERE it answers. Each R-U-THERE takes the next number, its
retransmissions included.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sim.ike.payloads import NotificationPayload, NotifyType, PayloadMalformed
from sim.ike.quick_mode_wire import KeyedSA, open_informational, seal_informational
from sim.ike.vendor_ids import DPD

DPD_VENDOR_ID = DPD.data  # RFC 3706 section 3

_SEQUENCE_MAX = 0xFFFFFFFF


def peer_supports_dpd(vendor_ids: tuple[bytes, ...]) -> bool:
    """Did the peer say it takes part in DPD? Without its vendor ID, no R-U-THERE is sent
    (RFC 3706 section 5.1)."""
    return DPD_VENDOR_ID in vendor_ids


class DpdMalformed(PayloadMalformed):
    """An authenticated Informational whose DPD notification is malformed: the peer's, and
    dropped as such (a PayloadMalformed that is not this one may be another reader's)."""


class DpdKind(enum.Enum):
    R_U_THERE = NotifyType.R_U_THERE
    R_U_THERE_ACK = NotifyType.R_U_THERE_ACK


@dataclass(frozen=True, kw_only=True)
class DpdMessage:
    kind: DpdKind
    sequence: int

    def __post_init__(self) -> None:
        if not isinstance(self.kind, DpdKind):
            raise TypeError(f"kind must be a DpdKind, not {type(self.kind).__name__}")
        if isinstance(self.sequence, bool) or not isinstance(self.sequence, int):
            raise TypeError("sequence must be an int")
        if not 0 <= self.sequence <= _SEQUENCE_MAX:
            raise ValueError(f"sequence {self.sequence}: a 32-bit number")


def seal_dpd(phase1: KeyedSA, message_id: int, message: DpdMessage) -> bytes:
    """The datagram carrying `message` under the Phase-1 SA."""
    notify = NotificationPayload(notify_type=message.kind.value,
                                 spi=phase1.icookie + phase1.rcookie,
                                 data=message.sequence.to_bytes(4, "big"))
    return seal_informational(phase1, message_id, notify)


def open_dpd(phase1: KeyedSA, datagram: bytes) -> DpdMessage | None:
    """The DPD notification an encrypted Informational carries, or None when it carries none
    (another notification, or a DELETE, is not ours to read). PayloadMalformed when it does
    not decrypt or authenticate; DpdMalformed when it does, but its DPD notification is
    malformed."""
    message = open_informational(phase1, datagram)
    for notify in message.all(NotificationPayload):
        if notify.notify_type not in (NotifyType.R_U_THERE, NotifyType.R_U_THERE_ACK):
            continue
        if notify.spi != phase1.icookie + phase1.rcookie:
            raise DpdMalformed("DPD notification names another IKE SA", NotifyType.INVALID_SPI)
        if len(notify.data) != 4:
            raise DpdMalformed(f"DPD notification with {len(notify.data)} bytes of data, not a "
                               "4-byte sequence number")
        return DpdMessage(kind=DpdKind(NotifyType(notify.notify_type)),
                          sequence=int.from_bytes(notify.data, "big"))
    return None


# ---------------------------------------------------------------- when to probe


class DpdMode(enum.Enum):
    """When to probe (Junos's words): `optimized` when we sent the peer something and heard
    nothing back for an interval; `always-send` every interval; `probe-idle-tunnel` when
    nothing went either way for an interval."""

    OPTIMIZED = "optimized"
    ALWAYS_SEND = "always-send"
    PROBE_IDLE_TUNNEL = "probe-idle-tunnel"


class Verdict(enum.Enum):
    QUIET = "quiet"      # nothing to do this interval
    PROBE = "probe"      # send R-U-THERE with `DpdMonitor.sequence`
    DEAD = "dead"        # `threshold` probes went unanswered


class DpdMonitor:
    """One IKE SA's dead peer detection. The driver calls `tick` every interval and reports
    traffic with `heard` (anything authenticated from the peer: IKE or, later, ESP) and `sent`
    (traffic to the peer, not counting DPD itself); time is passed in, in seconds.

    While probes are outstanding the monitor probes every interval, whatever the mode, and
    declares the peer dead at the tick after the `threshold`-th unanswered probe: a probe is
    given one interval to be answered."""

    def __init__(self, *, mode: DpdMode, interval: float, threshold: int,
                 first_sequence: int, now: float) -> None:
        if not isinstance(mode, DpdMode):
            raise TypeError(f"mode must be a DpdMode, not {type(mode).__name__}")
        if not interval > 0 or isinstance(threshold, bool) or not isinstance(threshold, int) \
                or threshold < 1:
            raise ValueError(f"interval {interval} and threshold {threshold} must be positive")
        self.mode, self.interval, self.threshold = mode, interval, threshold
        self.sequence = first_sequence & _SEQUENCE_MAX  # of the latest probe
        self._next = self.sequence
        self.unanswered = 0
        self._last_heard = now
        self._last_sent = now
        self._sent_since_heard = False
        self._unanswered_since = now  # our first datagram after we last heard the peer

    def heard(self, now: float) -> None:
        self._last_heard = now
        self._sent_since_heard = False
        self.unanswered = 0  # any authenticated traffic proves the peer alive

    def sent(self, now: float) -> None:
        if not self._sent_since_heard:
            self._unanswered_since = now
        self._last_sent = now
        self._sent_since_heard = True

    def acknowledged(self, sequence: int, now: float) -> bool:
        """An R-U-THERE-ACK: True when it answers our latest probe (an older number is a late
        answer to a probe already replaced, and proves nothing new)."""
        if self.unanswered == 0 or sequence != self.sequence:
            return False
        self.heard(now)
        return True

    def tick(self, now: float) -> Verdict:
        if self.unanswered >= self.threshold:
            return Verdict.DEAD
        if self.unanswered or self.mode is DpdMode.ALWAYS_SEND:
            probe = True
        elif self.mode is DpdMode.OPTIMIZED:  # what we sent has had an interval's silence
            probe = self._sent_since_heard and now - self._unanswered_since >= self.interval
        else:  # probe-idle-tunnel
            probe = (now - self._last_heard >= self.interval
                     and now - self._last_sent >= self.interval)
        if not probe:
            return Verdict.QUIET
        self.sequence, self._next = self._next, (self._next + 1) & _SEQUENCE_MAX
        self.unanswered += 1
        return Verdict.PROBE
