"""A simulated device under a stream of garbage keeps negotiating with its real peer.

Thousands of datagrams reach both devices while they negotiate Phase 1 and Phase 2: random
bytes and damaged copies of the negotiation's own datagrams (real cookies), from a third
address and spoofed as the real peer, and well-formed headers with random cookies that open
negotiations. The run reaches its end, Phase 1 and Phase 2 complete, garbage leaves no
negotiation record, and every drop is traced.
"""

from __future__ import annotations

import random
import struct

from sim.ike.payloads import HEADER_LEN
from sim.scenario import Scenario
from sim.topology import parse_topology
from sim.world.network import Datagram
from tests.sim.scenarios import HOST_A, HOST_B, pair, policy_vpn

STRANGER = "10.0.0.99"
TRACE = "set security ike traceoptions flag ike"


def damage(rng: random.Random, data: bytes) -> bytes:
    """One of the damages a path can do to a real datagram."""
    kind = rng.randrange(5)
    if kind == 0:  # bit flips
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        return bytes(out)
    if kind == 1:
        return data[:rng.randrange(len(data))]
    if kind == 2:  # the header's length lies
        return data[:24] + struct.pack("!I", rng.getrandbits(32)) + data[28:]
    if kind == 3:  # the encryption flag flipped
        return data[:19] + bytes([data[19] ^ 1]) + data[20:]
    body = rng.randbytes(rng.randrange(300))  # the real header, a random body
    return data[:24] + struct.pack("!I", HEADER_LEN + len(body)) + body


def opening(rng: random.Random) -> bytes:
    """A well-formed first message of a new Main or Aggressive Mode negotiation (random
    initiator cookie, zero responder cookie) whose payloads are random."""
    body = rng.randbytes(rng.randrange(200))
    return (rng.randbytes(8) + bytes(8) + bytes([1, 0x10, rng.choice((2, 4)), 0])
            + struct.pack("!II", 0, HEADER_LEN + len(body)) + body)


def garbage_stream(scenario: Scenario, rng: random.Random, *, every: float, until: float):
    """A SimPy process: every `every` seconds one piece of garbage to each device."""
    env, network = scenario.world.env, scenario.world.network
    peers = {HOST_A: HOST_B, HOST_B: HOST_A}
    ours: set[int] = set()  # the capture's indexes of our own garbage
    real: list[bytes] = []  # what the two devices sent each other so far
    while env.now < until:
        yield env.timeout(every)
        for i in range(len(ours) + len(real), len(network.capture)):
            if i not in ours:
                real.append(network.capture[i].datagram.payload)
        for target, peer in peers.items():
            choice = rng.randrange(4)
            if choice == 0 or not real:
                source, data = rng.choice((STRANGER, peer)), rng.randbytes(rng.randrange(600))
            elif choice == 1:
                source, data = STRANGER, damage(rng, rng.choice(real[-6:]))
            elif choice == 2:
                source, data = peer, damage(rng, rng.choice(real[-6:]))
            else:
                source, data = rng.choice((STRANGER, peer)), opening(rng)
            ours.add(len(network.capture))
            network.send(Datagram(src=source, dst=target, sport=500, dport=500, payload=data))


def test_a_device_under_a_stream_of_garbage_keeps_negotiating(tmp_path):
    events = ("  - {at: 1s, initiate: {device: Host-A, gateway: gw}}\n"
              "  - {at: 60s, initiate: {device: Host-A, gateway: gw}}")
    text = pair(a={"extra": policy_vpn("192.168.168.0/24", "10.10.10.0/24") + "\n" + TRACE},
                b={"extra": policy_vpn("10.10.10.0/24", "192.168.168.0/24") + "\n" + TRACE},
                events=events, duration="8m")
    scenario = Scenario.build(parse_topology(text, source="garbage.yaml"), out=tmp_path / "run")
    scenario.world.env.process(garbage_stream(scenario, random.Random(11), every=0.01,
                                              until=90.0))
    scenario.run()
    assert scenario.world.env.now == 480.0  # the run reached its end
    sent = sum(1 for c in scenario.world.network.capture if c.datagram.src == STRANGER)
    assert sent > 3000
    negotiations = scenario.results.in_order()
    assert [(n.phase1, n.phase2, n.error) for n in negotiations] == [("done", "done", None)] * 2
    for device in ("Host-A", "Host-B"):
        kmd = scenario.devices[device].kmd
        assert len(kmd.quick.ipsec_sas) == 2
        lines = [line[16:] for line in scenario.devices[device].kmd_log.lines]
        assert any("Packet dropped" in line for line in lines)
        assert any(line.startswith("Dropping malformed datagram from ") for line in lines)
        assert sum("Phase-2 [" in line and "] done for" in line for line in lines) == 2
        # Garbage opened no negotiation: the only ones are the real two, in each phase.
        assert len(kmd.sas) == 2 and len(kmd.quick.negotiations) == 2
