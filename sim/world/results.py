"""One record per negotiation, as results.json stores it and the plots read it.

kmd on both sides reports into the same record, found by the initiator's cookie: when it
started, each side's Phase-1 outcome, and the timed steps (pkid validation, CRL downloads).
The record's error is the first failure either side saw, as Junos words it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from sim.world.undelivered import undelivered

if TYPE_CHECKING:
    from sim.world.network import Sent


@dataclass
class Step:
    device: str
    what: str
    start: float
    end: float


@dataclass
class Message:
    """One datagram of the negotiation: `number` counts distinct messages across both sides
    (Main Mode 1-6); a retransmission repeats the number and says so."""

    time: float
    sender: str
    receiver: str
    exchange: str
    number: int
    encrypted: bool
    retransmission: bool
    size: int
    ip_packets: int = 1  # more than one: sent as IP fragments (the link's MTU)
    lost: str | None = None  # why the network never delivered this copy


@dataclass
class DpdEvent:
    """Dead peer detection on the negotiation's IKE SA: `event` is "peer-dead" after `probes`
    R-U-THERE went unanswered (sim.world.dpd)."""

    device: str
    event: str
    peer: str
    at_s: float
    probes: int


@dataclass
class Negotiation:
    icookie: str
    initiator: str
    responder: str | None
    peer_address: str
    gateway: str
    started: float
    finished: float | None = None
    phase1: str = "pending"  # done | failed | pending
    phase2: str = "not started"
    error: str | None = None
    error_detail: str | None = None
    failed_on: str | None = None
    outcomes: dict[str, str] = field(default_factory=dict)  # device -> done/failed
    steps: list[Step] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    # A failed negotiation whose message never got through: which, and what the path did.
    network_cause: str | None = None
    dpd: list[DpdEvent] = field(default_factory=list)
    reason: str = "initial"  # initial | rekey
    sa: str = "ike"  # ike: a Phase 1 (and the Quick Mode after it); ipsec: a Quick Mode alone
    _seen: dict[bytes, int] = field(default_factory=dict, repr=False)

    def to_json(self, start: dt.datetime) -> dict:
        def iso(seconds: float | None) -> str | None:
            if seconds is None:
                return None
            return (start + dt.timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")

        record = asdict(self)
        record.pop("_seen")
        record["started"] = iso(self.started)
        record["finished"] = iso(self.finished)
        record["duration_s"] = (None if self.finished is None
                                else round(self.finished - self.started, 6))
        record["started_s"] = round(self.started, 6)
        return record


class Results:
    def __init__(self) -> None:
        self.negotiations: dict[bytes, Negotiation] = {}

    def started(self, icookie: bytes, *, initiator: str, peer_address: str, gateway: str,
                at: float, reason: str = "initial", quick_mode: bool = True) -> None:
        """`quick_mode` False: a Phase 1 that no Quick Mode follows (the rekey of an IKE SA),
        whose Phase 2 is "-" rather than "not started"."""
        self.negotiations[icookie] = Negotiation(
            icookie=icookie.hex(), initiator=initiator, responder=None,
            peer_address=peer_address, gateway=gateway, started=at, reason=reason,
            phase2="not started" if quick_mode else "-")

    def quick_mode_rekey(self, key: bytes, *, icookie: bytes, initiator: str, responder: str,
                         peer_address: str, gateway: str, at: float) -> None:
        """A Quick Mode that rekeys an IPsec SA under an IKE SA that is up: a negotiation of
        its own (`key` = the IKE SA's initiator cookie and the Quick Mode's message ID)."""
        self.negotiations[key] = Negotiation(
            icookie=icookie.hex(), initiator=initiator, responder=responder,
            peer_address=peer_address, gateway=gateway, started=at, phase1="done",
            phase2="pending", reason="rekey", sa="ipsec")

    def responding(self, icookie: bytes, *, responder: str, at: float) -> None:
        record = self.negotiations.get(icookie)
        if record is not None:
            record.responder = responder

    def responding_rekey(self, key: bytes, *, responder: str) -> bool:
        """The responder's side of a Quick Mode rekey: True if the initiator opened its record."""
        record = self.negotiations.get(key)
        if record is None or record.sa != "ipsec":
            return False
        record.responder = responder
        return True

    def step(self, icookie: bytes, *, device: str, what: str, start: float, end: float) -> None:
        record = self.negotiations.get(icookie)
        if record is not None:
            record.steps.append(Step(device, what, start, end))

    def message(self, icookie: bytes, *, at: float, sender: str, receiver: str, exchange: str,
                encrypted: bool, data: bytes, sent: Sent | None = None) -> None:
        record = self.negotiations.get(icookie)
        if record is None:
            return
        number = record._seen.get(data)
        retransmission = number is not None
        if number is None:
            number = record._seen[data] = 1 + len(record._seen)
        record.messages.append(Message(
            at, sender, receiver, exchange, number, encrypted, retransmission, len(data),
            *(() if sent is None else (sent.packets, sent.loss and sent.loss.value))))

    def phase1(self, icookie: bytes, *, device: str, role: str, ok: bool, error: str | None,
               at: float, reason: str | None = None) -> None:
        record = self.negotiations.get(icookie)
        if record is None:
            return
        record.outcomes[device] = "done" if ok else "failed"
        if not ok and record.error is None:
            record.error, record.error_detail, record.failed_on = error, reason, device
        if not ok:
            record.network_cause = undelivered(record.messages)
            record.phase1 = "failed"
            record.finished = at if record.finished is None else record.finished
        elif role == "initiator" and record.phase1 != "failed":
            record.phase1 = "done"
            record.finished = at

    def phase2_started(self, icookie: bytes) -> None:
        record = self.negotiations.get(icookie)
        if record is not None and record.phase2 == "not started":
            record.phase2 = "pending"

    def phase2(self, icookie: bytes, *, device: str, role: str, ok: bool, error: str | None,
               at: float, reason: str | None = None) -> None:
        record = self.negotiations.get(icookie)
        if record is None:
            return
        if not ok:
            record.phase2 = "failed"
            if record.error is None:
                record.error, record.error_detail, record.failed_on = error, reason, device
        elif role == "initiator" and record.phase2 != "failed":
            record.phase2 = "done"
        record.finished = max(record.finished or at, at)

    def dpd(self, icookie: bytes, *, device: str, event: str, peer: str, at: float,
            probes: int) -> None:
        record = self.negotiations.get(icookie)
        if record is not None:
            record.dpd.append(DpdEvent(device, event, peer, round(at, 6), probes))

    def in_order(self) -> list[Negotiation]:
        return sorted(self.negotiations.values(), key=lambda n: (n.started, n.icookie))
