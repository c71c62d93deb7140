"""Throughput of the simulator against the cost of the cryptography it cannot avoid.

    .venv/bin/python benchmarks/bench_hub_and_spoke.py [--spokes 1000] [--repeat 200]
        [--only rsa|ecdsa] [--phases]

For RSA-2048 with DH group 14, and for ECDSA P-256 with DH group 19 (the topology's `key`,
`authentication-method` and `dh-group` parameters), measures in one process:

1. the crypto floor of one hub-and-spoke negotiation, with the primitives the simulator uses
   and the topology's own certificates: both peers' Diffie-Hellman (two key pairs, two shared
   secrets), both AUTH signatures and their verification, and the signature checks path
   validation cannot skip (the spoke checks the hub's certificate and Hub-CA's, and the two CRLs
   it downloads; the hub checks the spoke's certificate, its CRLs being downloaded once for
   all spokes);
2. `ikesim run` end to end with N spokes (sim.cli.run.execute: build, run, and the run folder
   with its plots), in CPU seconds per negotiation;
3. the ratio of the two: 1 would mean ikesim adds nothing of its own. The targets (issue 12):
   2 for RSA, 3 for ECDSA.

`--phases` runs the scenario once more, timing build, run and writing separately. Nothing here
is asserted; compare ratios between runs on one machine, not seconds between machines (CPU
time, so a loaded machine moves the seconds less than the wall clock).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import random
import tempfile
import time
from pathlib import Path

from sim.cli.run import _run, execute
from sim.ike import crypto
from sim.report.run_folder import RunFolder
from sim.scenario import Scenario
from sim.topology import Topology, load_topology

TOPOLOGY = Path(__file__).resolve().parent.parent / "topologies" / "hub-and-spoke.yaml"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Case:
    label: str
    key: str
    authentication_method: str  # as the proposal says it
    method: crypto.AuthMethod
    group: crypto.DHGroup
    target: float


CASES = {
    "rsa": Case(label="RSA-2048, group 14", key="rsa-2048",
                authentication_method="rsa-signatures", method=crypto.AuthMethod.RSA_SIGNATURES,
                group=crypto.DHGroup.MODP_2048, target=2.0),
    "ecdsa": Case(label="ECDSA P-256, group 19", key="ecdsa-256",
                  authentication_method="ecdsa-signatures-256",
                  method=crypto.AuthMethod.ECDSA_256, group=crypto.DHGroup.ECP_256, target=3.0),
}


def load(case: Case, spokes: int) -> Topology:
    # Capacity enough for no CRL storm: this measures the simulator, not the queue.
    return load_topology(TOPOLOGY, parameters={
        "spokes": str(spokes), "crl-capacity": "8", "key": case.key,
        "authentication-method": case.authentication_method,
        "dh-group": f"group{case.group.value}"})


def crypto_floor(case: Case, repeat: int) -> float:
    """CPU seconds of cryptography in one negotiation (mean over `repeat`), on the certificates,
    keys and CRLs of a two-spoke run of the topology."""
    with tempfile.TemporaryDirectory() as out:
        scenario = Scenario.build(load(case, 2), out=Path(out))
    hierarchy = scenario.hierarchy
    hub = scenario.devices["Hub"].pki.store
    spoke_name = next(name for name in scenario.devices if name != "Hub")
    spoke = scenario.devices[spoke_name].pki.store
    hub_cert, hub_key = hub.local_certificates["hub"], hub.key_pairs["hub"]
    spoke_cert, spoke_key = spoke.local_certificates[spoke_name], spoke.key_pairs[spoke_name]
    root, hub_ca, spoke_ca = (hierarchy.certificate(n) for n in ("Root-CA", "Hub-CA", "Spoke-CA"))
    at = scenario.world.now()
    crls = [(hierarchy.crl(ca, at=at), hierarchy.certificate(ca)) for ca in ("Root-CA", "Hub-CA")]
    rng = random.Random(1)
    digest = bytes(32)  # HASH_I/HASH_R with sha-256
    start = time.process_time()
    for _ in range(repeat):
        a = crypto.DHPrivate(case.group, rng=rng)
        b = crypto.DHPrivate(case.group, rng=rng)
        a.shared_secret(b.public)
        b.shared_secret(a.public)
        for key, cert in ((hub_key, hub_cert), (spoke_key, spoke_cert)):
            signature = crypto.sign_hash(case.method, key, digest)
            assert crypto.verify_hash(case.method, cert.public_key(), digest, signature)
        for cert, issuer in ((hub_cert, hub_ca), (hub_ca, root), (spoke_cert, spoke_ca)):
            cert.verify_directly_issued_by(issuer)
        for crl, issuer in crls:
            assert crl.is_signature_valid(issuer.public_key())
    return (time.process_time() - start) / repeat


def end_to_end(case: Case, spokes: int) -> tuple[float, collections.Counter]:
    """CPU seconds of `ikesim run` (without printing the summary), and the Phase-1 outcomes."""
    topology = load(case, spokes)
    with tempfile.TemporaryDirectory() as out:
        start = time.process_time()
        scenario = execute(topology, out=Path(out) / "run")
        spent = time.process_time() - start
    return spent, collections.Counter(n.phase1 for n in scenario.results.in_order())


def phases(case: Case, spokes: int) -> tuple[float, float, float]:
    """CPU seconds of build, run, and writing the run folder (plots left out)."""
    topology = load(case, spokes)
    with tempfile.TemporaryDirectory() as out, RunFolder.open(Path(out) / "run") as folder:
        start = time.process_time()
        scenario = Scenario.build(topology, out=folder.path)
        built = time.process_time()
        _run(scenario, topology.duration, False)
        ran = time.process_time()
        scenario.write()
        folder.commit(scenario=topology.name, seed=scenario.world.seed)
        written = time.process_time()
    return built - start, ran - built, written - ran


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spokes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--only", choices=sorted(CASES))
    parser.add_argument("--phases", action="store_true")
    args = parser.parse_args()
    for name, case in CASES.items():
        if args.only and name != args.only:
            continue
        end_to_end(case, 10)  # warm the key cache and the imports
        floor = crypto_floor(case, args.repeat)
        spent, outcomes = end_to_end(case, args.spokes)
        count = max(1, sum(outcomes.values()))
        per_negotiation = spent / count
        print(f"{case.label}: crypto floor {floor * 1e3:.2f} ms per negotiation")
        print(f"  ikesim run, {args.spokes} spokes: {spent:.1f} s CPU, {count} negotiations "
              f"{dict(outcomes)}, {per_negotiation * 1e3:.2f} ms per negotiation, "
              f"{1 / per_negotiation:.0f} per second")
        print(f"  ikesim run / crypto floor: {per_negotiation / floor:.2f} "
              f"(target {case.target:g})")
        if args.phases:
            build, run, write = phases(case, args.spokes)
            print(f"  per negotiation: build {build / count * 1e3:.2f} ms, run "
                  f"{run / count * 1e3:.2f} ms, run folder {write / count * 1e3:.2f} ms "
                  "(plots not included)")


if __name__ == "__main__":
    main()
