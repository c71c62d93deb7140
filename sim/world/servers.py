"""CRL distribution points: HTTP and LDAP servers with latency, limited capacity and outages.

A server holds the DER bytes each URL path serves. `download(url)` is a SimPy process: it
queues for one of the server's `capacity` slots (concurrent downloads beyond it wait), spends
`latency` plus the transfer time, and returns the bytes, or raises `DownloadFailed` with the
reason pkid logs. During an outage a request gets no answer and fails when `timeout` runs out,
as a real fetch against an unreachable server would.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

import simpy

from sim.topology.specs import ServerSpec, path_of

T = TypeVar("T")


class DownloadFailed(Exception):
    def __init__(self, url: str, reason: str) -> None:
        # Both arguments go to Exception: SimPy re-raises a copy made from `args`.
        super().__init__(url, reason)
        self.url = url
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.url}: {self.reason}"


@dataclass
class CrlServer:
    spec: ServerSpec
    env: simpy.Environment
    documents: dict[str, bytes] = field(default_factory=dict)
    down: bool = False
    downloads: int = 0

    def __post_init__(self) -> None:
        self._slots = simpy.Resource(self.env, capacity=self.spec.capacity)

    def publish(self, url: str, data: bytes) -> None:
        self.documents[path_of(url)] = data

    def exchange(self, url: str, answer: Callable[[], tuple[T, int]], *, timeout: float,
                 sent: int | None = None) -> Generator[simpy.Event, object, T]:
        """One request and its answer, as a SimPy process: queue for a slot, then `answer()`
        (the server's reply and the bytes that cross the network) and the time it takes, or
        DownloadFailed. CRL downloads, SCEP requests (sim.world.scep_server) and OCSP requests
        (sim.world.ocsp_server) share it. With `sent` (the request's bytes), the request first
        travels half the round trip and `answer()` is asked on its arrival, as an OCSP
        responder signs its answer then."""
        scheme = urlsplit(url).scheme.lower()
        if scheme not in self.spec.protocols:
            raise DownloadFailed(url, f"{scheme} is not served by {self.spec.name}")
        deadline = self.env.now + timeout
        if self.down:
            yield self.env.timeout(timeout)
            raise DownloadFailed(url, "connection timed out")
        with self._slots.request() as slot:
            got = yield slot | self.env.timeout(timeout)
            if slot not in got:
                raise DownloadFailed(url, "connection timed out")
            latency = self.spec.latency
            if sent is not None:
                latency /= 2
                yield from self._spend(url, latency + sent / self.spec.bandwidth, deadline)
            value, size = answer()
            yield from self._spend(url, latency + size / self.spec.bandwidth, deadline)
        if self.down:
            raise DownloadFailed(url, "connection reset")
        return value

    def _spend(self, url: str, spent: float, deadline: float
               ) -> Generator[simpy.Event, object, None]:
        """`spent` seconds on the wire, or a timeout at `deadline` if they would pass it."""
        if spent > deadline - self.env.now:
            yield self.env.timeout(deadline - self.env.now)
            raise DownloadFailed(url, "connection timed out")
        yield self.env.timeout(spent)

    def download(self, url: str, *, timeout: float) -> Generator[simpy.Event, object, bytes]:
        def document() -> tuple[bytes | None, int]:
            data = self.documents.get(path_of(url))
            return data, len(data) if data is not None else 0

        data = yield from self.exchange(url, document, timeout=timeout)
        if data is None:
            raise DownloadFailed(url, "not found (HTTP 404)"
                                 if urlsplit(url).scheme.lower() == "http"
                                 else "no such object (LDAP 32)")
        self.downloads += 1
        return data

