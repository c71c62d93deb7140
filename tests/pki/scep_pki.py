"""A small SCEP world for the SCEP tests: Root-CA -> Eng-CA (RSA-1024), Eng-CA's SCEP service,
and a device's key, certificate request and enrollment, all seeded."""

from __future__ import annotations

import datetime as dt
import functools

from cryptography import x509

from pki.csr import RequestParams, build_request
from pki.enrollment import (
    CaCertificateEnrollment,
    LocalCertificateEnrollment,
    Poll,
    Step,
    with_challenge_password,
)
from pki.hierarchy import CAHierarchy, CASpec
from pki.keys import KeySpec, KeyType, PrivateKey, generate_key_pair
from pki.scep_ca import ScepCa, ScepPolicy

RSA_1024 = KeySpec(type=KeyType.RSA, size=1024)
START = dt.datetime(2012, 8, 14, 22, 19, tzinfo=dt.UTC)
NOW = START + dt.timedelta(days=20)
URL = "http://10.157.88.230:8080/scep/Eng/"
SUBJECT = "DC=example,CN=Host-A,OU=DEV,O=PKI,L=Sunnyvale,ST=CA,C=US"


def hierarchy() -> CAHierarchy:
    return CAHierarchy([
        CASpec(name="Root-CA", subject="C=us, O=example, CN=Root-CA", key=RSA_1024,
               crl_urls=("http://10.157.88.230:8080/crl/Root.crl",)),
        CASpec(name="Eng-CA", issuer="Root-CA", subject="C=us, O=example, CN=Eng-CA",
               key=RSA_1024, crl_urls=("http://10.157.88.230:8080/crl/Eng.crl",)),
    ], start=START, seed="scep")


def scep_ca(h: CAHierarchy, policy: ScepPolicy | None = None, ca: str = "Eng-CA") -> ScepCa:
    """CA `ca`'s SCEP service, issuing through the hierarchy (a new node per certificate)."""
    policy = policy or ScepPolicy(url=URL, challenge_password="pass-1234")
    count = iter(range(1, 10_000))

    def issue(request: x509.CertificateSigningRequest, now: dt.datetime) -> x509.Certificate:
        return h.issue_from_request(ca, f"scep-{next(count)}", request, not_before=now,
                                    validity=policy.validity)

    chain = tuple(h.chain(ca)[1:])
    return ScepCa(name=ca, certificate=h.certificate(ca), key=h.key(ca), chain=chain,
                  policy=policy, issue=issue)


@functools.cache
def device_key(seed: str = "host-a") -> PrivateKey:
    return generate_key_pair(RSA_1024, seed=seed)


def device_request(key: PrivateKey, password: str | None = "pass-1234",
                   subject: str = SUBJECT) -> x509.CertificateSigningRequest:
    request = build_request(key, RequestParams(
        certificate_id="host-a", subject=subject, domain_name="host-a.example.net",
        ip_address="192.0.2.1"))
    return request if password is None else with_challenge_password(request, key, password)


def enrollment(ca: ScepCa, key: PrivateKey, request: x509.CertificateSigningRequest, *,
               retry: int = 10, retry_interval: float = 900.0, seed: str = "run",
               **extra) -> LocalCertificateEnrollment:
    return LocalCertificateEnrollment(
        certificate_id="host-a", ca_profile="Eng-CA", url=ca.policy.url, key=key,
        request=request, ca_certificate=extra.pop("ca_certificate", ca.certificate), retry=retry,
        retry_interval=retry_interval, seed=seed, **extra)


def run(ca: ScepCa, job: LocalCertificateEnrollment, now: dt.datetime = NOW
        ) -> tuple[Step, list[str]]:
    """Drive `job` against `ca` to its end; the last step and every pkid line."""
    request, lines = job.start(now)
    log = list(lines)
    while True:
        step = job.receive(ca.handle(request, now=now), now)
        log.extend(step.lines)
        if not isinstance(step, Poll):
            return step, log
        now += dt.timedelta(seconds=step.after)
        request = step.request


def ca_certificates(ca: ScepCa) -> tuple[x509.Certificate, ...]:
    job = CaCertificateEnrollment(ca_profile=ca.name, url=ca.policy.url, ca_identity=ca.name)
    return job.receive(ca.handle(job.request(), now=NOW))
