"""CRLs over real HTTP for a live peer (--fetch-crls): a distribution point that is no server
of the topology is fetched from the real network (sim.world.crl_fetch: http/https only, at most the
guide's 5 MB, a deadline), in a thread while the device's time goes on. Only when the user
asks: otherwise such a download fails as in the simulation, and nothing leaves the machine but
IKE to the named gateways."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator

import simpy
from cryptography.hazmat.primitives.serialization import Encoding

from sim.world.crl_fetch import FetchFailure, fetch_crl
from sim.world.servers import CrlServer, DownloadFailed

POLL = 0.02  # seconds between looks at the download thread


class HttpCrlSource:
    """What pkid downloads from when the host is no topology server (duck-typed as the
    CrlServer's `download`)."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env

    def download(self, url: str, *, timeout: float) -> Generator[simpy.Event, object, bytes]:
        outcome: list[object] = []
        worker = threading.Thread(
            target=lambda: outcome.append(fetch_crl(url, timeout=timeout, deadline=timeout)),
            daemon=True)  # a server that never answers cannot hold the exit
        worker.start()
        while not outcome:
            yield self.env.timeout(POLL)
        got = outcome[0]
        if isinstance(got, FetchFailure):
            raise DownloadFailed(url, got.problem)
        return got.public_bytes(Encoding.DER)  # pkid parses and checks it as any download


def fetching(resolve: Callable[[str], CrlServer | None], env: simpy.Environment
             ) -> Callable[[str], CrlServer | HttpCrlSource]:
    """`resolve` (host -> topology server), with the real network for every other host."""
    source = HttpCrlSource(env)
    return lambda host: resolve(host) or source
