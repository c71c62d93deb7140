"""Throughput of ESP traffic in the simulator against the cost of ESP's own cryptography.

    .venv/bin/python benchmarks/bench_traffic.py [--packets 50000] [--size 1000]

Measures, in one process: (1) the crypto floor of one packet: seal it (AES-128-CBC,
HMAC-SHA1-96, as topologies/traffic-ping.yaml negotiates) and open it again with sim.esp,
no simulation around it; (2) the traffic-ping scenario with a flow of N packets instead of its
own events: Phase 1 and 2, then every packet built, encrypted, put on the link, delivered,
checked and counted. Reports simulated packets per second and the ratio of the simulator's
cost per packet to the floor. Nothing here is asserted; compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from sim.esp.inner import InnerPacket
from sim.esp.packet import EspSuite
from sim.esp.sa import EspCounters, Inbound, Outbound
from sim.ike.ipsec_proposals import EspAuthentication, EspEncryption
from sim.scenario import Scenario
from sim.topology import parse_topology

TOPOLOGY = Path(__file__).resolve().parent.parent / "topologies" / "traffic-ping.yaml"


def crypto_floor(packets: int, size: int) -> float:
    """Seconds per packet of sealing and opening alone (median of five batches)."""
    rng = random.Random(1)
    suite = EspSuite(encryption=EspEncryption.AES_128_CBC,
                     authentication=EspAuthentication.HMAC_SHA1_96,
                     encryption_key=rng.randbytes(16), authentication_key=rng.randbytes(20))
    inner = InnerPacket(src="10.1.0.1", dst="10.2.0.9", protocol=17, ident=1, seq=1,
                        data=bytes(size)).encode()
    batch = max(1, packets // 5)
    times = []
    for _ in range(5):
        counters = EspCounters()
        out = Outbound(suite, spi=0x1000, rng=rng, counters=counters)
        inbound = Inbound(suite, spi=0x1000, counters=counters)
        start = time.perf_counter()
        for _ in range(batch):
            inbound.decapsulate(out.encapsulate(inner))
        times.append((time.perf_counter() - start) / batch)
    return statistics.median(times)


def simulated(packets: int, size: int) -> float:
    """Seconds per packet of the scenario, the negotiation's cost taken out."""
    text = TOPOLOGY.read_text()
    base = text[:text.index("events:")]
    costs = []
    for count in (0, packets):
        events = "events:\n  - {at: 1s, initiate: {device: SRX-A, gateway: ike_cert_gw_01}}\n"
        if count:
            events += (f"  - {{at: 10s, flow: {{from: SRX-A, to: 10.2.0.9, rate: 1000pps, "
                       f"duration: {count / 1000}s, size: {size}}}}}\n")
        topology = parse_topology(base.replace("duration: 2m", f"duration: "
                                               f"{20 + count // 1000}s") + events,
                                  source="bench")
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            scenario = Scenario.build(topology, out=Path(out))
            scenario.run()
            costs.append(time.perf_counter() - start)
            if count:
                assert scenario.traffic.flows[0].received == count
    return (costs[1] - costs[0]) / packets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=50_000)
    parser.add_argument("--size", type=int, default=1000)
    args = parser.parse_args()
    floor = crypto_floor(args.packets, args.size)
    per_packet = simulated(args.packets, args.size)
    print(f"ESP seal + open alone:    {floor * 1e6:8.1f} us/packet ({args.size} data bytes)")
    print(f"simulated, per packet:    {per_packet * 1e6:8.1f} us/packet "
          f"({1 / per_packet:,.0f} packets/s)")
    print(f"ratio to the crypto floor: {per_packet / floor:.1f}")


if __name__ == "__main__":
    main()
