"""SCEP over the simulated network: the HTTP endpoint of each CA whose topology entry has a
`scep:` URL, answered by the server that holds the URL's host.

A SCEP request waits for the same server as CRL downloads do (one queue of `capacity` slots,
the same latency, bandwidth and outages: sim.world.servers), so that a CA server busy with CRLs is
slow to enroll too. The CA itself (pki.scep_ca.ScepCa) answers when the request arrives; the
answer then takes the server's latency plus both messages' transfer time. A server that is
down gives no answer and the request fails when its timeout runs out ("connection timed out"),
one that goes down while answering resets the connection, and a host no server holds is
unreachable: pkid's enrollment retries each of these as it retries a PENDING answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator, Mapping

import simpy

from pki.enrollment import HttpRequest, HttpResponse
from pki.scep_ca import ScepCa
from sim.topology.enroll_events import endpoint
from sim.topology.specs import host_of
from sim.world.servers import CrlServer, DownloadFailed


class ScepEndpoints:
    """Every SCEP endpoint of the run, by enrollment URL (sim.topology.enroll_events.endpoint)."""

    def __init__(self, env: simpy.Environment, *, cas: Mapping[str, ScepCa],
                 resolve: Callable[[str], CrlServer | None],
                 clock: Callable[[], dt.datetime]) -> None:
        self.env = env
        self.cas = {endpoint(url): ca for url, ca in cas.items()}
        self.resolve = resolve
        self.clock = clock

    def exchange(self, request: HttpRequest, *, timeout: float
                 ) -> Generator[simpy.Event, object, HttpResponse]:
        """A SimPy process: the HTTP response, or DownloadFailed (its reason what pkid logs)
        after at most `timeout` seconds."""
        server = self.resolve(host_of(request.url))
        if server is None:
            yield self.env.timeout(timeout)
            raise DownloadFailed(request.url, "host unreachable")

        def answer() -> tuple[HttpResponse, int]:
            response = self._answer(request)
            return response, len(request.body) + len(response.body)

        return (yield from server.exchange(request.url, answer, timeout=timeout))

    def _answer(self, request: HttpRequest) -> HttpResponse:
        ca = self.cas.get(endpoint(request.url))
        if ca is None:  # the server holds no SCEP service at this path
            return HttpResponse(status=404, content_type="text/plain", body=b"Not Found\n")
        return ca.handle(request, now=self.clock())
