"""Run a Quick Mode initiator against a responder under one real Phase-1 SA, with no network
and no SimPy: datagrams go straight across, optionally through a tamper function."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sim.ike.phase1 import NEED_INPUT, Phase1Done, RemoteProtocolError, SendDatagram
from sim.ike.phase2 import Phase2Config, QuickModeDone, QuickModeFailed, QuickModeSA, State
from tests.sim.ike.ike_pair import Tamper


@dataclass
class QmPair:
    initiator: QuickModeSA
    responder: QuickModeSA
    tamper: Tamper | None = None
    datagrams: list[tuple[str, bytes]] = field(default_factory=list)
    events: dict[str, list] = field(default_factory=lambda: {"initiator": [], "responder": []})
    dropped: list[RemoteProtocolError] = field(default_factory=list)

    @classmethod
    def of(cls, phase1: tuple[Phase1Done, Phase1Done], init: Phase2Config,
           resp: Phase2Config, *, seed: int = 1, tamper: Tamper | None = None) -> QmPair:
        p1_i, p1_r = phase1
        return cls(initiator=QuickModeSA.initiator(p1_i, init, rng=random.Random(seed)),
                   responder=QuickModeSA.responder(p1_r, resp, rng=random.Random(seed + 10_000)),
                   tamper=tamper)

    def run(self, max_rounds: int = 20) -> QmPair:
        self.initiator.start()
        return self.settle(max_rounds)

    def settle(self, max_rounds: int = 20) -> QmPair:
        for _ in range(max_rounds):
            moved = self._pump(self.initiator, self.responder)
            moved |= self._pump(self.responder, self.initiator)
            if not moved:
                break
        return self

    def _pump(self, sa: QuickModeSA, peer: QuickModeSA) -> bool:
        moved = False
        while (event := sa.next_event()) is not NEED_INPUT:
            moved = True
            self.events[sa.role.value].append(event)
            if not isinstance(event, SendDatagram):
                continue
            data = event.data
            if self.tamper is not None:
                data = self.tamper(len(self.datagrams), sa.role.value, data)
            self.datagrams.append((sa.role.value, event.data))
            if data is None or peer.state is State.FAILED:
                continue
            try:
                peer.receive(data)
            except RemoteProtocolError as exc:
                self.dropped.append(exc)
        return moved

    def outcome(self, role: str) -> QuickModeDone | QuickModeFailed | None:
        return next((e for e in self.events[role]
                     if isinstance(e, QuickModeDone | QuickModeFailed)), None)
