"""A large run end to end, as `ikesim run` does it, from a cold key cache.

    .venv/bin/python benchmarks/bench_scale.py [--spokes 100000] [--repeat 200] [--keep]

Runs topologies/hub-and-spoke-ecdsa.yaml (ECDSA P-256, DH group 19) with N spokes coming up
over N/200 seconds (at least 30 s) and a CRL server taking 64 downloads at a time, through
`ikesim run` in this process, with IKESIM_KEY_CACHE pointing at a new, empty folder. Reports
wall and CPU time, peak RSS (getrusage), the files and bytes the run folder holds, and the
ratio of CPU time per negotiation to the crypto floor: the cryptography one negotiation
cannot avoid (both peers: two P-256 key pairs and shared secrets, two ECDSA signatures and
their verifications, and each side's check of the other's chain: two certificate and two
CRL signatures), measured here with the same primitives. Nothing is asserted; compare ratios
between runs on one machine, not seconds between machines.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from pki.hierarchy import CAHierarchy, CASpec
from pki.keys import KeySpec, KeyType
from sim.ike import crypto

TOPOLOGY = Path(__file__).resolve().parent.parent / "topologies" / "hub-and-spoke-ecdsa.yaml"
P256 = KeySpec(type=KeyType.ECDSA, size=256)


def crypto_floor(repeat: int) -> float:
    """Seconds of cryptography in one ECDSA/group 19 negotiation (median over `repeat`)."""
    start = dt.datetime(2014, 6, 1, tzinfo=dt.UTC)
    h = CAHierarchy([CASpec(name="Root", subject="CN=Root", key=P256,
                            crl_urls=("http://192.0.2.1/r.crl",)),
                     CASpec(name="Sub", subject="CN=Sub", issuer="Root", key=P256,
                            crl_urls=("http://192.0.2.1/s.crl",))], start=start, seed=1)
    for name in ("a", "b"):
        h.issue_end_entity("Sub", name, subject=f"CN={name}", key=P256)
    chain = [(h.certificate(n), h.certificate(i)) for n, i in (("a", "Sub"), ("Sub", "Root"))]
    crls = [(h.crl(ca, at=start), h.certificate(ca).public_key()) for ca in ("Sub", "Root")]
    keys = [h.key(name) for name in ("a", "b")]
    rng = random.Random(1)
    digest = bytes(32)
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        a = crypto.DHPrivate(crypto.DHGroup.ECP_256, rng=rng)
        b = crypto.DHPrivate(crypto.DHGroup.ECP_256, rng=rng)
        a.shared_secret(b.public)
        b.shared_secret(a.public)
        for key in keys:
            signature = key.sign(digest, ec.ECDSA(hashes.SHA256()))
            key.public_key().verify(signature, digest, ec.ECDSA(hashes.SHA256()))
        for _side in range(2):
            for cert, issuer in chain:
                cert.verify_directly_issued_by(issuer)
            for crl, public in crls:
                crl.is_signature_valid(public)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def folder_size(root: Path) -> tuple[int, int]:
    files = size = 0
    for folder, _, names in os.walk(root):
        for name in names:
            files += 1
            size += os.lstat(os.path.join(folder, name)).st_size
    return files, size


def run(spokes: int, out: Path, keep: list[str]) -> tuple[float, float, str]:
    from sim.cli.main import main  # after IKESIM_KEY_CACHE is set

    spread = max(30, spokes // 200)
    argv = ["run", str(TOPOLOGY), "--out", str(out), "--param", f"spokes={spokes}",
            "--param", f"spread={spread}s", "--param", "crl-capacity=64"]
    for pattern in keep:
        argv += ["--keep", pattern]
    printed = io.StringIO()
    wall, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(printed):
        status = main(argv)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if status != 0:
        sys.exit(f"ikesim run exited {status}")
    return wall, cpu, printed.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spokes", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--keep", action="append", default=[], metavar="DEVICE",
                        help="passed to ikesim run --keep")
    args = parser.parse_args()
    floor = crypto_floor(args.repeat)
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["IKESIM_KEY_CACHE"] = str(Path(scratch) / "keys")  # cold
        out = Path(scratch) / "run"
        wall, cpu, printed = run(args.spokes, out, args.keep)
        files, size = folder_size(out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    table = printed.split("\n\n")[1] if "\n\n" in printed else printed
    print(f"hub-and-spoke-ecdsa, {args.spokes:,} spokes, cold key cache")
    print(table)
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {peak:,.0f} MiB "
          f"({peak * 1024 / args.spokes:.1f} KiB a spoke)")
    print(f"run folder: {files:,} files, {size / 1e6:,.1f} MB")
    print(f"crypto floor per negotiation (ECDSA P-256, group 19, chain and CRL checks): "
          f"{floor * 1e3:.3f} ms")
    print(f"CPU per negotiation / crypto floor: {cpu / args.spokes / floor:.1f}")


if __name__ == "__main__":
    main()
