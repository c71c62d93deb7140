"""What the writers of a run folder read of the run that ends (sim.scenario.Scenario is one):
the world's Run, the CRLs its CAs published, its traffic, and its results. A Protocol, so
that sim/report names no layer above it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sim.world.run import Run

if TYPE_CHECKING:
    from sim.report.crl_history import CrlHistory
    from sim.world.traffic_results import TrafficResults


class FinishedRun(Run, Protocol):
    crl_history: CrlHistory
    traffic: TrafficResults

    def results_json(self) -> dict: ...
