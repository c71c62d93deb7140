"""Run a Quick Mode initiator against a responder under one real Phase-1 SA, with no network
and no SimPy: datagrams go straight across, optionally through a tamper function."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

from sim.ike.phase1 import Phase1Done
from sim.ike.phase2 import Phase2Config, QuickModeDone, QuickModeFailed, QuickModeSA
from tests.sim.ike.ike_pair import SaPair, Tamper


@dataclass(kw_only=True)
class QmPair(SaPair):
    results: ClassVar[tuple[type, ...]] = (QuickModeDone, QuickModeFailed)

    @classmethod
    def of(cls, phase1: tuple[Phase1Done, Phase1Done], init: Phase2Config,
           resp: Phase2Config, *, seed: int = 1, tamper: Tamper | None = None) -> QmPair:
        p1_i, p1_r = phase1
        return cls(initiator=QuickModeSA.initiator(p1_i, init, rng=random.Random(seed)),
                   responder=QuickModeSA.responder(p1_r, resp, rng=random.Random(seed + 10_000)),
                   tamper=tamper)
