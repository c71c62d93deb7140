"""The NAT-T tunnel under a stream of garbage on its new paths: UDP 4500 (random bytes, NAT
keepalives, the non-ESP marker before garbage, ESP in UDP with random and real SPIs, damaged
copies of the real datagrams) and raw ESP (protocol 50). The hub keeps its tunnel: Phase 1 and
Phase 2 complete, every echo is answered, nothing a stranger sends is logged unescaped, and the
hub keeps no state for it."""

from __future__ import annotations

import random
import re
from pathlib import Path

from sim.scenario import Scenario
from sim.topology import load_topology
from sim.world.network import Datagram
from tests.sim.fuzz.test_scenario_garbage import damage

TOPOLOGY = Path(__file__).parents[3] / "topologies" / "nat-t.yaml"
HUB, PUBLIC, STRANGER = "203.0.113.1", "198.51.100.7", "192.0.2.66"
PING = "  - {at: 30s, ping: {from: Spoke, source: 10.1.0.1, to: 10.2.0.1, count: 8}}\n"
MARKER = bytes(4)


def _garbage(rng: random.Random, real: list[Datagram]) -> Datagram:
    """One datagram for the hub: to UDP 4500 or raw ESP, from a stranger or spoofed as the
    NAT's public address and port."""
    source, sport = rng.choice(((STRANGER, 4500), (PUBLIC, 49153), (PUBLIC, 4500)))
    kind = rng.randrange(6)
    if kind == 0:
        payload = rng.randbytes(rng.randrange(400))
    elif kind == 1:
        payload = b"\xff"  # a NAT keepalive, from anyone
    elif kind == 2:
        payload = MARKER + rng.randbytes(rng.randrange(300))  # "IKE" after the marker
    elif kind == 3 and real:
        payload = damage(rng, rng.choice(real[-8:]).payload or b"\0")
    elif kind == 4 and real:
        # ESP with an SPI and sequence number the hub knows, the rest random.
        payload = rng.choice(real[-8:]).payload[:8] + rng.randbytes(rng.randrange(200))
    else:
        return Datagram(src=source, dst=HUB, sport=0, dport=0, protocol=50,
                        payload=rng.randbytes(rng.randrange(8, 300)))
    return Datagram(src=source, dst=HUB, sport=sport, dport=4500, payload=payload)


def _stream(scenario: Scenario, rng: random.Random, *, every: float, until: float):
    env, network = scenario.world.env, scenario.world.network
    ours: set[int] = set()
    while env.now < until:
        yield env.timeout(every)
        real = [c.datagram for i, c in enumerate(network.capture)
                if i not in ours and 4500 in (c.datagram.sport, c.datagram.dport)
                and len(c.datagram.payload) > 8]
        ours.add(len(network.capture))
        network.send(_garbage(rng, real))


def test_the_nat_t_tunnel_survives_garbage_on_4500_and_esp(tmp_path):
    text = TOPOLOGY.read_text().rstrip() + "\n" + PING
    (tmp_path / "nat-t.yaml").write_text(text)
    topology = load_topology(tmp_path / "nat-t.yaml")
    assert topology.devices["Hub"].address == HUB
    assert [link.nat.address for link in topology.links if link.nat] == [PUBLIC]
    scenario = Scenario.build(topology, out=tmp_path / "run")
    scenario.world.env.process(_stream(scenario, random.Random(5), every=0.02, until=60.0))
    scenario.run()
    assert scenario.world.env.now == scenario.topology.duration
    sent = sum(1 for c in scenario.world.network.capture if c.datagram.src == STRANGER)
    assert sent > 500
    assert [(n.phase1, n.phase2) for n in scenario.results.in_order()] == [("done", "done")]
    pings = [p.to_json() for p in scenario.traffic.pings]  # ours, and any the file has
    assert (8, 8) in [(p["transmitted"], p["received"]) for p in pings]
    assert all(p["transmitted"] == p["received"] for p in pings)
    drops = scenario.traffic.drops_of("Hub")
    assert drops.unknown_spi > 100  # what reached the data plane with no SA behind it
    hub = scenario.devices["Hub"]
    assert len(hub.kmd.sas) == 1 and len(hub.kmd.quick.negotiations) == 1
    lines = [line[16:] for line in hub.kmd_log.lines]
    assert any(line.startswith(f"Dropping malformed datagram from {STRANGER}: ")
               for line in lines)
    for device in scenario.devices.values():
        for line in device.kmd_log.lines:
            assert not re.search(r"[\x00-\x1f\x7f]", line), line
