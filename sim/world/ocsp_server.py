"""OCSP responders on the topology's servers: an HTTP POST of a DER request, answered with the
server's latency, capacity and outages, as its CRL downloads are (sim.world.servers).

The answer is signed when the request arrives, from what the CA knows at that moment: a
`revoke` event is seen by the next request at once, while a CRL says so only once the device
downloads the next one (OCSP's advantage over CRLs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

import simpy
from cryptography import x509
from cryptography.x509.oid import NameOID

from pki.hierarchy import CAHierarchy
from pki.keycache import cached_key_pair
from pki.ocsp_responder import Responder, delegate_certificate, respond, status_from
from sim.topology.ocsp import OcspEntry, ResponderKind
from sim.topology.specs import host_of, path_of
from sim.world.device import server_resolver
from sim.world.servers import CrlServer, DownloadFailed

if TYPE_CHECKING:
    from sim.world.run import Run

DELEGATE_VALIDITY = dt.timedelta(days=365)  # responder certificates are short-lived

# request DER, the true time -> response DER
Answer = Callable[[bytes, dt.datetime], bytes]


class OcspResponders:
    """Every OCSP responder URL of a topology, on the server its host names."""

    def __init__(self, env: simpy.Environment, *, clock: Callable[[], dt.datetime],
                 resolve: Callable[[str], CrlServer | None]) -> None:
        self.env = env
        self.clock = clock
        self.resolve = resolve
        self._answers: dict[tuple[str, str], Answer] = {}
        self.requests = 0

    def add(self, url: str, answer: Answer) -> None:
        self._answers[(host_of(url), path_of(url))] = answer

    def post(self, url: str, request: bytes, timeout: float) -> simpy.Process:
        """A process whose value is the response DER; DownloadFailed when none comes."""
        return self.env.process(self._post(url, request, timeout))

    def _post(self, url: str, request: bytes, timeout: float
              ) -> Generator[simpy.Event, object, bytes]:
        server = self.resolve(host_of(url))
        if server is None:
            yield self.env.timeout(timeout)
            raise DownloadFailed(url, "host unreachable")
        answer = self._answers.get((host_of(url), path_of(url)))

        def respond() -> tuple[bytes | None, int]:
            if answer is None:
                return None, 0
            response = answer(request, self.clock())
            return response, len(response)

        response = yield from server.exchange(url, respond, timeout=timeout, sent=len(request))
        if response is None:
            raise DownloadFailed(url, "not found (HTTP 404)")
        self.requests += 1
        return response


def install_responders(scenario: Run) -> OcspResponders:
    """The responder of every CA with an `ocsp:` entry, reachable by every device's pkid."""
    world, hierarchy = scenario.world, scenario.hierarchy
    responders = OcspResponders(world.env, clock=world.now,
                                resolve=server_resolver(scenario.servers))
    for name, entry in scenario.topology.cas.items():
        if entry.ocsp is not None:
            responder = _responder(scenario, name, entry.ocsp)
            responders.add(entry.ocsp.url, _answering(hierarchy, name, responder))
            scenario.ocsp_responders[name] = responder
    for name, device in scenario.devices.items():
        device.pkid.ocsp_transport = responders.post
        device.pkid.nonces = world.rng("ocsp-nonces", name)
    return responders


def _responder(scenario: Run, ca: str, entry: OcspEntry) -> Responder:
    hierarchy = scenario.hierarchy
    certificate, key = hierarchy.certificate(ca), hierarchy.key(ca)
    if entry.responder is ResponderKind.CA:
        return Responder(ca=certificate, signer=certificate, key=key)
    spec = scenario.topology.cas[ca]
    own = cached_key_pair(spec.key, seed=f"keys/{scenario.topology.name}/ocsp/{ca}")
    start = hierarchy.start
    signer = delegate_certificate(
        ca=certificate, ca_key=key, key=own, subject=_delegate_name(certificate.subject),
        serial=hierarchy.next_serial(), not_before=start,
        not_after=min(certificate.not_valid_after_utc, start + DELEGATE_VALIDITY),
        nocheck=entry.nocheck, digest=spec.digest, crl_urls=spec.crl_urls)
    return Responder(ca=certificate, signer=signer, key=own)


def _delegate_name(ca: x509.Name) -> x509.Name:
    """The CA's name with `OCSP Responder` after its CN, as CAs name their responders."""
    return x509.Name([*ca.rdns, x509.RelativeDistinguishedName([
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "OCSP Responder")])])


def _answering(hierarchy: CAHierarchy, ca: str, responder: Responder) -> Answer:
    def answer(request: bytes, at: dt.datetime) -> bytes:
        # What the CA knows now: every certificate it issued, every revocation so far.
        issued = {data["certificate"].serial_number
                  for _, _, data in hierarchy.graph.out_edges(ca, data=True)}
        if responder.delegated:
            issued.add(responder.signer.serial_number)
        revoked = hierarchy.graph.nodes[ca]["revoked"]
        return respond(request, responder, status_from(frozenset(issued), revoked, at=at),
                       at=at)
    return answer
