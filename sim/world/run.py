"""What the world's handlers of topology events (SCEP enrollment, manual enrollment, OCSP
responders) read of the run that calls them. sim.scenario.Scenario is one; naming it here as a
Protocol keeps sim/world from naming the layer above it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pki.hierarchy import CAHierarchy
    from pki.ocsp_responder import Responder
    from sim.topology import Topology
    from sim.world.device import Device
    from sim.world.servers import CrlServer
    from sim.world.world import World


class Run(Protocol):
    topology: Topology
    world: World
    hierarchy: CAHierarchy
    servers: dict[str, CrlServer]
    devices: dict[str, Device]
    out: Path
    ocsp_responders: dict[str, Responder]  # by CA
