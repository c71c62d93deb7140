"""SCEP messages and a whole enrollment, against what `cryptography` alone does.

    .venv/bin/python benchmarks/bench_scep.py [--repeat 50] [--bits 2048]

Measures, in one process, with an RSA CA and an RSA device key of --bits: (1) cryptography's
own PKCS#7 builders enveloping a certificate request (AES-128) and signing the envelope (the
same work as a PKCSReq, without SCEP's signed attributes: cryptography cannot write them);
(2) pki.scep building the PKCSReq; (3) the SCEP CA reading it (signature, messageDigest,
envelope); (4) a whole enrollment: PKCSReq, the CA issuing, the CertRep read back and checked.
Reports the median milliseconds and the ratios to (1). Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from pki import cms_envelope, scep
from pki.csr import RequestParams, build_request
from pki.enrollment import LocalCertificateEnrollment
from pki.hierarchy import CAHierarchy, CASpec
from pki.keycache import cached_key_pair
from pki.keys import KeySpec, KeyType
from pki.scep_ca import ScepCa, ScepPolicy

START = dt.datetime(2013, 3, 1, tzinfo=dt.UTC)
NOW = START + dt.timedelta(days=1)
URL = "http://192.0.2.10/scep/"


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--bits", type=int, default=2048)
    args = parser.parse_args()
    spec = KeySpec(type=KeyType.RSA, size=args.bits)
    h = CAHierarchy([CASpec(name="CA", subject="CN=CA", key=spec)], start=START,
                    key_source=cached_key_pair, key_seed="bench/scep")
    ca_cert, ca_key = h.certificate("CA"), h.key("CA")
    device_key = cached_key_pair(spec, seed="bench/scep/device")
    request = build_request(device_key, RequestParams(
        certificate_id="d", subject="CN=device,O=PKI,C=US", domain_name="d.example.net"))
    request_der = request.public_bytes(Encoding.DER)
    count = iter(range(10**9))
    ca = ScepCa(name="CA", certificate=ca_cert, key=ca_key, chain=(),
                policy=ScepPolicy(url=URL),
                issue=lambda r, now: h.issue_from_request("CA", f"d{next(count)}", r,
                                                          not_before=now))

    def job(seed: str) -> LocalCertificateEnrollment:
        return LocalCertificateEnrollment(
            certificate_id="d", ca_profile="CA", url=URL, key=device_key, request=request,
            ca_certificate=ca_cert, retry=0, retry_interval=900, seed=seed,
            cipher=cms_envelope.AES_128_CBC)

    def baseline() -> bytes:
        sealed = (pkcs7.PKCS7EnvelopeBuilder().set_data(request_der).add_recipient(ca_cert)
                  .set_content_encryption_algorithm(pkcs7.algorithms.AES128)
                  .encrypt(Encoding.DER, [pkcs7.PKCS7Options.Binary]))
        return (pkcs7.PKCS7SignatureBuilder().set_data(sealed)
                .add_signer(ca_cert, ca_key, hashes.SHA256())
                .sign(Encoding.DER, [pkcs7.PKCS7Options.Binary]))

    sample, _ = job("sample").start(NOW)

    def build() -> None:
        job("build").start(NOW)

    def read() -> None:
        scep.read_message(sample.body, certificate=ca_cert, key=ca_key)

    def enroll() -> None:
        enrollment = job(f"e{next(count)}")
        sent, _ = enrollment.start(NOW)
        enrollment.receive(ca.handle(sent, now=NOW), NOW)

    rows = [("cryptography: envelope + sign", median_ms(baseline, args.repeat)),
            ("pki.scep: build a PKCSReq", median_ms(build, args.repeat)),
            ("ScepCa: read a PKCSReq", median_ms(read, args.repeat)),
            ("whole enrollment", median_ms(enroll, args.repeat))]
    first = rows[0][1]
    print(f"RSA-{args.bits}, median of {args.repeat}; PKCSReq {len(sample.body)} bytes")
    for name, ms in rows:
        print(f"  {name:32} {ms:8.2f} ms  {ms / first:6.2f}x")


if __name__ == "__main__":
    main()
