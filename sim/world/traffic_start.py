"""The topology's traffic events in a running scenario: a `ping` or `flow` event starts its
process on the sending device's data plane (sim.world.traffic) and opens its record in the
run's TrafficResults (what results.json's "traffic" section reports, sim.report.traffic_events).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from sim.world.traffic_results import FlowRecord, PingRecord

if TYPE_CHECKING:
    from sim.world.run import Run
    from sim.world.traffic_results import TrafficResults

    class TrafficRun(Run, Protocol):
        """The run a traffic event starts in: the world's Run, with its traffic records."""

        traffic: TrafficResults


def ping(scenario: TrafficRun, args: Mapping[str, object]) -> None:
    device = scenario.devices[str(args["from"])]
    record = PingRecord(device=device.name, source=args["source"], destination=args["to"],
                        at=scenario.world.env.now, count=args["count"], size=args["size"],
                        ident=scenario.traffic.next_ident())
    scenario.traffic.add_ping(record)
    scenario.world.env.process(device.traffic.ping(record, interval=args["interval"]))


def flow(scenario: TrafficRun, args: Mapping[str, object]) -> None:
    device = scenario.devices[str(args["from"])]
    record = FlowRecord(device=device.name, source=args["source"], destination=args["to"],
                        at=scenario.world.env.now, rate=args["rate"],
                        duration=args["duration"], size=args["size"],
                        ident=scenario.traffic.next_ident())
    scenario.traffic.add_flow(record)
    scenario.world.env.process(device.traffic.flow(record))


# The scenario's event actions (sim.scenario.Scenario._ACTIONS).
TRAFFIC_ACTIONS = {"ping": ping, "flow": flow}
