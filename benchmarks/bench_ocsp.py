"""What one OCSP exchange costs the simulator, beside what a CRL costs.

    .venv/bin/python benchmarks/bench_ocsp.py [--entries 10000] [--repeat 50]

Measures, in one process, with an RSA-2048 CA: (1) cryptography's OCSPResponseBuilder.sign
alone (its producedAt is the wall clock); (2) pki.ocsp_responder.respond, which signs again
with producedAt set to the simulated time (so runs repeat byte for byte); (3) pkid's check of
the response (pki.ocsp.check_response); (4) pki.crl.RevocationIndex over a CRL of N entries,
what a device builds once per CRL it downloads. Reports medians and ratios to (1). Nothing
here is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from cryptography.hazmat.primitives import hashes
from cryptography.x509 import ocsp

from pki.crl import ExtraRevoked, RevocationIndex, build_crl
from pki.hierarchy import CAHierarchy, CASpec
from pki.keycache import cached_key_pair
from pki.keys import KeySpec, KeyType
from pki.ocsp import build_request, check_response
from pki.ocsp_responder import Responder, respond, status_from

START = dt.datetime(2013, 3, 1, tzinfo=dt.UTC)


def median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    ca = CAHierarchy([CASpec(name="CA", subject="CN=CA", key=KeySpec(type=KeyType.RSA,
                                                                     size=2048))],
                     start=START, key_source=cached_key_pair, key_seed="bench/ocsp")
    leaf = ca.issue_end_entity("CA", "ee", subject="CN=ee",
                               key=KeySpec(type=KeyType.ECDSA, size=256))
    cert, key, at = ca.certificate("CA"), ca.key("CA"), START + dt.timedelta(days=1)
    request = build_request(leaf, cert, nonce=bytes(16))
    responder = Responder(ca=cert, signer=cert, key=key)
    status = status_from(frozenset({leaf.serial_number}), {}, at=at)
    builder = (ocsp.OCSPResponseBuilder()
               .add_response(leaf, cert, hashes.SHA1(), ocsp.OCSPCertStatus.GOOD, at, None,
                             None, None)
               .responder_id(ocsp.OCSPResponderEncoding.HASH, cert))
    data = respond(request.der, responder, status, at=at)
    crl = build_crl(issuer=cert, issuer_key=key, revoked=[], this_update=at,
                    next_update=at + dt.timedelta(days=1), number=1,
                    extra=ExtraRevoked(count=args.entries, seed="bench", date=START))
    rows = [
        ("cryptography OCSPResponseBuilder.sign", median(lambda: builder.sign(
            key, hashes.SHA256()), args.repeat)),
        ("respond (simulated producedAt, signed again)", median(lambda: respond(
            request.der, responder, status, at=at), args.repeat)),
        ("check_response (pkid)", median(lambda: check_response(data, request, at=at),
                                         args.repeat)),
        (f"RevocationIndex of a {args.entries:,}-entry CRL", median(
            lambda: RevocationIndex(crl), max(3, args.repeat // 10))),
    ]
    base = rows[0][1]
    for what, seconds in rows:
        print(f"{what:48s} {seconds * 1e3:9.3f} ms  x{seconds / base:6.2f}")
    print(f"response size {len(data)} bytes, request {len(request.der)} bytes")


if __name__ == "__main__":
    main()
