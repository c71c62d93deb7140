"""What IP fragmentation costs the simulated network, as ratios within one run.

    .venv/bin/python benchmarks/bench_fragments.py [--datagrams 20000]

Sends Figure 4's Main Mode message 5 (2,892 bytes of ISAKMP) across a link: whole (MTU 9000),
as 2 fragments (MTU 1500) and as 6 (MTU 576), delivered and reassembled; and across a link
that drops fragments. Reports the time per datagram and its ratio to the whole datagram's.
Nothing here is asserted; compare ratios between runs on one machine.
"""

from __future__ import annotations

import argparse
import random
import time

import simpy

from sim.topology.specs import Fragments, LinkSpec
from sim.world.network import Datagram, Network

A, B = "30.1.1.31", "30.1.1.51"


def per_datagram(spec: LinkSpec, count: int) -> float:
    env = simpy.Environment()
    net = Network(env, rng=random.Random(1), fragment_rng=random.Random(2))
    net.link(A, B, spec)
    received = []
    net.attach(B, received.append)
    d = Datagram(src=A, dst=B, sport=500, dport=500, payload=random.Random(3).randbytes(2892))
    started = time.perf_counter()
    for _ in range(count):
        net.send(d)
    env.run()
    return (time.perf_counter() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datagrams", type=int, default=20_000)
    args = parser.parse_args()
    cases = [("whole (mtu 9000)", LinkSpec(mtu=9000)),
             ("2 fragments (mtu 1500)", LinkSpec(mtu=1500)),
             ("6 fragments (mtu 576)", LinkSpec(mtu=576)),
             ("fragments dropped (mtu 1500)", LinkSpec(mtu=1500, fragments=Fragments.DROP))]
    base = None
    for name, spec in cases:
        seconds = per_datagram(spec, args.datagrams)
        base = base or seconds
        print(f"{name:30} {seconds * 1e6:8.1f} us per datagram  x{seconds / base:.2f}")


if __name__ == "__main__":
    main()
