"""Path validation with and without what pki remembers (pki.proven), against pyca's Rust verifier.

    .venv/bin/python benchmarks/bench_validation.py [--key rsa-2048] [--entries 150000]

Measures, in one process, on a 3-certificate chain (root, CA, leaf) with the root's and the
CA's CRLs: (1) pyca/cryptography's Rust verifier (`cryptography.x509.verification`) on the
chain alone, no CRLs; (2) pki.validate_path afresh (memos off, a new revocation cache each
call: every signature checked, every index built) and (3) warm (memos on, one cache, as pkid
keeps it); (4) the CA's CRL with N extra entries: its index built once, then one revocation
check, and a whole validation with it afresh and warm. Medians; the ratios are what to compare
between runs (a loaded machine slows every line alike; the index build is CPU time).
Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable

from cryptography.x509 import verification

import pki
from pki import proven
from pki.crl import ExtraRevoked, build_crl
from pki.crl_facts import CrlFacts
from pki.hierarchy import CAHierarchy, CASpec
from pki.keycache import cached_key_pair
from pki.keys import KeySpec, KeyType

START = dt.datetime(2013, 3, 1, tzinfo=dt.UTC)
AT = START + dt.timedelta(days=2)
KEYS = {"ecdsa-256": KeySpec(type=KeyType.ECDSA, size=256),
        "rsa-2048": KeySpec(type=KeyType.RSA, size=2048)}


def median(fn: Callable[[], object], repeat: int,
           clock: Callable[[], float] = time.perf_counter) -> float:
    fn()
    times = []
    for _ in range(repeat):
        began = clock()
        fn()
        times.append(clock() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key", choices=sorted(KEYS), default="ecdsa-256")
    parser.add_argument("--entries", type=int, default=150_000)
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    key = KEYS[args.key]
    h = CAHierarchy([CASpec(name="Root", subject="C=US, O=Bench, CN=Root", key=key),
                     CASpec(name="CA", subject="C=US, O=Bench, CN=CA", issuer="Root", key=key)],
                    start=START, key_source=cached_key_pair, key_seed="bench/validation")
    leaf = h.issue_end_entity("CA", "Leaf", subject="C=US, O=Bench, CN=Leaf", key=key)
    root, ca = h.certificate("Root"), h.certificate("CA")
    crls = (h.crl("Root", at=START), h.crl("CA", at=START))

    verifier = (verification.PolicyBuilder()
                .store(verification.Store([root])).time(AT.replace(tzinfo=None))
                .extension_policies(ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
                                    ee_policy=verification.ExtensionPolicy.permit_all())
                .build_client_verifier())

    def validate(crl_list, cache: pki.RevocationCache | None = None) -> pki.ValidationResult:
        result = pki.validate_path(leaf, trust_anchors=[root], intermediates=[ca],
                                   crls=crl_list, at=AT,
                                   revocation_cache=cache or pki.RevocationCache())
        assert result.ok, result.message
        return result

    def afresh(crl_list) -> Callable[[], object]:
        def run() -> object:
            with proven.caches_off():
                return validate(crl_list)
        return run

    shared = pki.RevocationCache()
    rust = median(lambda: verifier.verify(leaf, [ca]), args.repeat)
    fresh = median(afresh(crls), args.repeat)
    warm = median(lambda: validate(crls, shared), args.repeat)
    print(f"3-certificate chain, {args.key} keys (medians, microseconds):")
    print(f"  Rust verifier, chain only:          {rust * 1e6:8.0f}")
    print(f"  pki afresh, chain and 2 CRLs:       {fresh * 1e6:8.0f}   "
          f"{fresh / rust:5.2f} x Rust")
    print(f"  pki warm, chain and 2 CRLs:         {warm * 1e6:8.0f}   "
          f"{warm / rust:5.2f} x Rust   (afresh / warm {fresh / warm:.1f})")

    big = build_crl(issuer=ca, issuer_key=h.key("CA"), revoked=[], this_update=START,
                    next_update=START + dt.timedelta(days=7), number=2,
                    extra=ExtraRevoked(count=args.entries, seed="bench", date=START))
    large = (crls[0], big)
    slow = max(3, args.repeat // 100)
    # CPU seconds: a build takes long enough for other processes to inflate its wall time.
    build = median(lambda: CrlFacts(big).index(), slow, time.process_time)
    serials = median(lambda: [entry.serial_number for entry in big], slow, time.process_time)
    index = CrlFacts(big).index()
    check = median(lambda: index.lookup(leaf.serial_number, leaf.issuer), args.repeat)
    hit_serial = index.serials()[-1]
    hit = median(lambda: index.lookup(hit_serial), args.repeat)
    fresh_large = median(afresh(large), slow)
    warm_large = median(lambda: validate(large, shared), args.repeat)
    print(f"CA's CRL with {args.entries:,} extra entries:")
    print(f"  index built once:                   {build:8.3f} s CPU   "
          f"{build / serials:5.2f} x reading every serial alone")
    print(f"  one check, not revoked / revoked:   {check * 1e6:8.1f} / {hit * 1e6:.1f} us")
    print(f"  validation afresh:                  {fresh_large * 1e3:8.1f} ms")
    print(f"  validation warm:                    {warm_large * 1e6:8.0f} us   "
          f"{warm_large / warm:5.2f} x the small-CRL warm case, "
          f"{warm_large / rust:.2f} x Rust")


if __name__ == "__main__":
    main()
