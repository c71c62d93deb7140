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

T = TypeVar("T")


class DownloadFailed(Exception):
    def __init__(self, url: str, reason: str) -> None:
        # Both arguments go to Exception: SimPy re-raises a copy made from `args`.
        super().__init__(url, reason)
        self.url = url
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.url}: {self.reason}"


@dataclass(frozen=True, kw_only=True)
class ServerSpec:
    name: str
    address: str
    hostnames: tuple[str, ...] = ()
    latency: float = 0.02  # seconds, one request-response
    capacity: int = 4  # concurrent downloads
    bandwidth: float = 1_250_000.0  # bytes per second (10 Mbit/s)
    protocols: tuple[str, ...] = ("http", "ldap")

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError(f"server {self.name}: capacity must be at least 1")
        if self.latency < 0 or self.bandwidth <= 0:
            raise ValueError(f"server {self.name}: latency >= 0 and bandwidth > 0 required")


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
        self.documents[_path(url)] = data

    @property
    def slots(self) -> simpy.Resource:
        """The server's `capacity` connection slots, which its OCSP responder shares."""
        return self._slots

    def exchange(self, url: str, answer: Callable[[], tuple[T, int]], *, timeout: float
                 ) -> Generator[simpy.Event, object, T]:
        """One request and its answer, as a SimPy process: queue for a slot, then `answer()`
        (the server's reply and the bytes that cross the network) and the time it takes, or
        DownloadFailed. CRL downloads and the SCEP requests of sim.world.scep_server share it."""
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
            value, size = answer()
            spent = self.spec.latency + size / self.spec.bandwidth
            remaining = deadline - self.env.now
            if spent > remaining:
                yield self.env.timeout(remaining)
                raise DownloadFailed(url, "connection timed out")
            yield self.env.timeout(spent)
        if self.down:
            raise DownloadFailed(url, "connection reset")
        return value

    def download(self, url: str, *, timeout: float) -> Generator[simpy.Event, object, bytes]:
        def document() -> tuple[bytes | None, int]:
            data = self.documents.get(_path(url))
            return data, len(data) if data is not None else 0

        data = yield from self.exchange(url, document, timeout=timeout)
        if data is None:
            raise DownloadFailed(url, "not found (HTTP 404)"
                                 if urlsplit(url).scheme.lower() == "http"
                                 else "no such object (LDAP 32)")
        self.downloads += 1
        return data


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def path_of(url: str) -> str:
    """The path (and query) under which a server keeps what a URL names."""
    return _path(url)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
