"""results.json of a live peer: only one side of each negotiation lives in this process.

In a simulation the initiator opens the record and both sides report into it; here the device
may be the responder alone, so it opens the record itself, and its own outcome is the
record's (the other side's verdict is the real peer's, and only its notifications reach us).
"""

from __future__ import annotations

from sim.world.results import Negotiation, Results


class LiveResults(Results):
    def __init__(self) -> None:
        super().__init__()
        # The peer's datagram kmd is handling: the one that opens a negotiation is recorded
        # once kmd opened the record (one slot, so garbage never accumulates).
        self._opening: tuple[bytes, dict] | None = None

    def heard(self, icookie: bytes, **message) -> None:
        """A message from the peer, told before kmd handles it, so it is numbered before the
        answer kmd sends."""
        if icookie in self.negotiations:
            self.message(icookie, **message)
        else:
            self._opening = (icookie, message)

    def responding(self, icookie: bytes, *, responder: str, at: float) -> None:
        if icookie not in self.negotiations:
            # The initiator is the real peer: sim.live.driver names it once kmd's SA says who.
            self.negotiations[icookie] = Negotiation(
                icookie=icookie.hex(), initiator="", responder=responder, peer_address="",
                gateway="", started=at)
            if self._opening is not None and self._opening[0] == icookie:
                self.message(icookie, **self._opening[1])
        self._opening = None
        super().responding(icookie, responder=responder, at=at)

    def phase1(self, icookie: bytes, *, device: str, role: str, ok: bool, error: str | None,
               at: float, reason: str | None = None) -> None:
        super().phase1(icookie, device=device, role=role, ok=ok, error=error, at=at,
                       reason=reason)
        _settled(self.negotiations.get(icookie), "phase1", ok=ok, at=at)

    def phase2(self, icookie: bytes, *, device: str, role: str, ok: bool, error: str | None,
               at: float, reason: str | None = None) -> None:
        super().phase2(icookie, device=device, role=role, ok=ok, error=error, at=at,
                       reason=reason)
        _settled(self.negotiations.get(icookie), "phase2", ok=ok, at=at)


def _settled(record: Negotiation | None, phase: str, *, ok: bool, at: float) -> None:
    """A responder's success is the record's too (the simulation waits for the initiator's)."""
    if record is not None and ok and getattr(record, phase) != "failed":
        setattr(record, phase, "done")
        record.finished = max(record.finished or at, at)
