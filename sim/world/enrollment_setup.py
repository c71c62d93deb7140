"""Online enrollment in a run, put together: each CA with a `scep:` entry becomes a SCEP CA
(pki.scep_ca) answering on the servers, each device gets its SCEP client (sim.world.enrollment) with
its auto-re-enrollment timers, and the run's enrollments go to results.json.

The CA hierarchy names certificates by certificate-id (revoke events, the hierarchy plot), so a
request is issued under the certificate-id of the device that sent it: the client says whose
key a request carries before sending it (`ScepIssuer.expect`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pki.csr import RequestParams
from pki.keycache import cached_key_pair
from pki.keys import PublicKey
from pki.scep_ca import ScepCa
from pki.selfsigned import SYSTEM_GENERATED_ID
from sim.junos.re_enrollment import configured_trigger
from sim.world.enrollment import OnlineEnrollment
from sim.world.enrollment_records import EnrollmentRecord, LocalRequest, ScepMessageFiles
from sim.world.scep_server import ScepEndpoints

if TYPE_CHECKING:
    from pki.hierarchy import CAHierarchy
    from sim.world.device import Device
    from sim.world.run import Run


def _spki(key: PublicKey) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


class ScepIssuer:
    """What the SCEP CAs issue, through the hierarchy, under the requester's certificate-id."""

    def __init__(self, hierarchy: CAHierarchy) -> None:
        self.hierarchy = hierarchy
        self._names: dict[bytes, str] = {}

    def expect(self, key: PublicKey, certificate_id: str) -> None:
        self._names[_spki(key)] = certificate_id

    def issue_for(self, ca: str, validity: dt.timedelta | None
                  ) -> Callable[[x509.CertificateSigningRequest, dt.datetime], x509.Certificate]:
        def issue(request: x509.CertificateSigningRequest, now: dt.datetime) -> x509.Certificate:
            name = self._names.get(_spki(request.public_key()))
            if name is None:  # no device of the run asked: the CA refuses it (badRequest)
                raise ValueError("certificate request from no device of this run")
            return self.hierarchy.issue_from_request(ca, name, request, not_before=now,
                                                     validity=validity)
        return issue


class Enrollments:
    """The run's SCEP CAs, clients, message files and enrollment records."""

    def __init__(self, scenario: Run, resolve) -> None:
        topology = scenario.topology
        env = scenario.world.env
        self.start = topology.start
        self.issuer = ScepIssuer(scenario.hierarchy)
        cas: dict[str, ScepCa] = {}
        for name, entry in topology.cas.items():
            policy = entry.scep
            if policy is None:
                continue
            chain = tuple(scenario.hierarchy.chain(name))
            cas[policy.url] = ScepCa(name=name, certificate=chain[0],
                                   key=scenario.hierarchy.key(name), chain=chain[1:],
                                   policy=policy,
                                   issue=self.issuer.issue_for(name, policy.validity))
        self.cas = cas
        self.endpoints = ScepEndpoints(env, cas=cas, resolve=resolve, clock=scenario.world.now)
        self.files = ScepMessageFiles(scenario.out)
        self.records: list[EnrollmentRecord] = []
        key_seed = f"keys/{topology.name}"
        self.clients: dict[str, OnlineEnrollment] = {}
        self.initial: list[dict] = []
        for entry in topology.devices.values():
            device = scenario.devices[entry.name]
            client = OnlineEnrollment(
                device, endpoints=self.endpoints, files=self.files, records=self.records,
                expect=self.issuer.expect,
                new_key=lambda spec, seed: cached_key_pair(spec, seed=f"{key_seed}/{seed}"))
            for enroll in entry.enroll:
                client.requests[enroll.certificate_id] = RequestParams(
                    certificate_id=enroll.certificate_id, subject=enroll.subject,
                    domain_name=enroll.domain_name, ip_address=enroll.ip_address,
                    email=enroll.email, device_serial=entry.serial)
            for config in entry.config.pki.auto_re_enrollment.values():
                client.watch(config)
            self.clients[entry.name] = client
            self.initial += self._held(device)

    def _held(self, device: Device) -> list[dict]:
        """The local certificates a device starts with (the system-generated one aside)."""
        found = []
        for cid, cert in sorted(device.pki.store.local_certificates.items()):
            if cid == SYSTEM_GENERATED_ID:
                continue
            trigger = configured_trigger(device.config.pki.auto_re_enrollment.get(cid), cert)
            found.append({"device": device.name, "certificate_id": cid,
                          "serial": f"{cert.serial_number:X}",
                          "not_before_s": self._seconds(cert.not_valid_before_utc),
                          "not_after_s": self._seconds(cert.not_valid_after_utc),
                          "trigger_s": None if trigger is None else self._seconds(trigger)})
        return found

    def _seconds(self, when: dt.datetime) -> float:
        return round((when - self.start).total_seconds(), 3)

    # -- the events -------------------------------------------------------------------------

    def enroll_ca(self, args) -> None:
        self.clients[args["device"]].enroll_ca(args["ca-profile"])

    def enroll_local(self, args) -> None:
        client = self.clients[args["device"]]
        client.enroll_local(LocalRequest(
            certificate_id=args["certificate-id"], ca_profile=args["ca-profile"],
            challenge_password=args["challenge-password"], key_size=args["key-size"],
            params=RequestParams(
                certificate_id=args["certificate-id"], subject=args["subject"],
                domain_name=args.get("domain-name"), ip_address=args.get("ip-address"),
                email=args.get("email"), device_serial=client.device.serial)))

    def to_json(self) -> dict:
        return {"enrollments": [r.to_json(self.start) for r in self.records],
                "local_certificates": self.initial}
