"""Throughput of the simulator against the cost of the cryptography it cannot avoid.

    .venv/bin/python benchmarks/bench_hub_and_spoke.py [--spokes 1000] [--repeat 200]

Measures, in one process: (1) the crypto floor of one IKEv1 Main Mode with RSA-2048 signatures
and DH group 14, both peers (four DH operations, two signatures, two verifications) using
the same primitives the simulator uses; (2) the hub-and-spoke scenario with N spokes, built and
run. Reports negotiations per second and the ratio of the simulator's cost per negotiation to
the crypto floor: a ratio near 1 means the simulator adds little of its own. Nothing here is
asserted; compare ratios between runs on one machine, not seconds between machines.
"""

from __future__ import annotations

import argparse
import collections
import random
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import padding, utils

from pki.keycache import cached_key_pair
from pki.keys import KeySpec, KeyType
from sim.ike import crypto
from sim.scenario import Scenario
from sim.topology import load_topology

TOPOLOGY = Path(__file__).resolve().parent.parent / "topologies" / "hub-and-spoke.yaml"


def crypto_floor(repeat: int) -> float:
    """Seconds of cryptography in one negotiation (median over `repeat`)."""
    spec = KeySpec(type=KeyType.RSA, size=2048)
    keys = [cached_key_pair(spec, seed=f"bench/{i}") for i in range(2)]
    rng = random.Random(1)
    digest = bytes(20)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        a = crypto.DHPrivate(crypto.DHGroup.MODP_2048, rng=rng)
        b = crypto.DHPrivate(crypto.DHGroup.MODP_2048, rng=rng)
        a.shared_secret(b.public)
        b.shared_secret(a.public)
        for key in keys:
            signature = key.sign(digest, padding.PKCS1v15(), utils.NoDigestInfo())
            key.public_key().verify(signature, digest, padding.PKCS1v15(), utils.NoDigestInfo())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def simulate(spokes: int) -> tuple[float, float, collections.Counter]:
    # Capacity enough for no CRL storm: this measures the simulator, not the queue.
    topology = load_topology(TOPOLOGY, parameters={"spokes": str(spokes), "crl-capacity": "8"})
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        scenario = Scenario.build(topology, out=Path(out))
        built = time.perf_counter()
        scenario.run()
        ran = time.perf_counter()
    outcomes = collections.Counter(n.phase1 for n in scenario.results.in_order())
    return built - start, ran - built, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spokes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    simulate(10)  # warm the key cache and the imports
    floor = crypto_floor(args.repeat)
    build, run, outcomes = simulate(args.spokes)
    per_negotiation = run / max(1, sum(outcomes.values()))
    print(f"crypto floor per negotiation (RSA-2048, group 14): {floor * 1e3:.2f} ms")
    print(f"hub-and-spoke, {args.spokes} spokes: build {build:.1f} s, run {run:.1f} s, "
          f"outcomes {dict(outcomes)}")
    print(f"simulated negotiations per second: {1 / per_negotiation:.0f}")
    print(f"simulator cost / crypto floor: {per_negotiation / floor:.2f}")


if __name__ == "__main__":
    main()
