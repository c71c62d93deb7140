"""Building and reading a CRL of realistic size (a topology's `extra-revoked: N`).

    .venv/bin/python benchmarks/bench_crl_size.py [--entries 150000] [--repeat 3]

Measures, in one process, with an RSA-2048 CA signing SHA-256: (1) cryptography's own builder
given N RevokedCertificate objects at once (the fastest way through its API); (2) ikesim's
first CRL with N extra entries (the entries are encoded as DER once, then spliced into the
signed CRL) and (3) every later CRL the CA publishes (the DER is reused); (4) the size, and
(5) pki.crl.RevocationIndex over it (what each device's pkid builds once per CRL). Reports the
median seconds and the ratios to (1). Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from pki.crl import ExtraRevoked, RevocationIndex, build_crl
from pki.hierarchy import CAHierarchy, CASpec
from pki.keycache import cached_key_pair
from pki.keys import KeySpec, KeyType

START = dt.datetime(2013, 3, 1, tzinfo=dt.UTC)


def median(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=150_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.entries
    ca = CAHierarchy([CASpec(name="CA", subject="CN=CA", key=KeySpec(type=KeyType.RSA,
                                                                     size=2048))],
                     start=START, key_source=cached_key_pair, key_seed="bench/crl")
    cert, key = ca.certificate("CA"), ca.key("CA")
    serials = ExtraRevoked(count=n, seed="bench", date=START).serials
    later = START + dt.timedelta(days=1)

    def builder() -> x509.CertificateRevocationList:
        entries = [x509.RevokedCertificateBuilder().serial_number(s).revocation_date(START)
                   .build() for s in serials]
        return x509.CertificateRevocationListBuilder(
            issuer_name=cert.subject, last_update=START, next_update=later,
            revoked_certificates=entries).sign(key, hashes.SHA256())

    def first() -> x509.CertificateRevocationList:
        extra = ExtraRevoked(count=n, seed="bench", date=START)
        return build_crl(issuer=cert, issuer_key=key, revoked=[], this_update=START,
                         next_update=later, number=1, extra=extra)

    warm = ExtraRevoked(count=n, seed="bench", date=START)
    warm.der  # noqa: B018 - encoded once, as a CA's node keeps it

    def again() -> x509.CertificateRevocationList:
        return build_crl(issuer=cert, issuer_key=key, revoked=[], this_update=START,
                         next_update=later, number=2, extra=warm)

    base, _ = median(builder, args.repeat)
    once, crl = median(first, args.repeat)
    each, _ = median(again, args.repeat)
    index, _ = median(lambda: RevocationIndex(crl), args.repeat)
    size = len(crl.public_bytes(Encoding.DER))
    print(f"{n:,} revoked entries, RSA-2048/SHA-256 CA, median of {args.repeat}:")
    print(f"  cryptography builder (RevokedCertificate objects): {base:.3f} s")
    print(f"  ikesim, first CRL (DER encoded, spliced, signed):   {once:.3f} s  "
          f"({once / base:.2f} x the builder)")
    print(f"  ikesim, each later CRL (DER reused):               {each:.3f} s  "
          f"({each / base:.2f} x the builder)")
    print(f"  size: {size:,} bytes ({size / n:.1f} per entry; the guide's limit is "
          f"{5 * 1024 * 1024:,})")
    print(f"  RevocationIndex over it:                           {index:.3f} s  "
          f"({index / base:.2f} x the builder)")


if __name__ == "__main__":
    main()
