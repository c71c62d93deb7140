"""UDP between device addresses: links with latency, jitter, loss, and an optional capture.

Every datagram put on the network is recorded in `capture` (for the pcap), whether or not the
link then loses it, as a capture point at the sender would see it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import simpy


@dataclass(frozen=True, kw_only=True)
class LinkSpec:
    """One direction-agnostic link: one-way delay in seconds, jitter, and loss probability."""

    latency: float = 0.005
    jitter: float = 0.0
    loss: float = 0.0

    def __post_init__(self) -> None:
        if self.latency < 0 or self.jitter < 0:
            raise ValueError(f"latency {self.latency} and jitter {self.jitter} must be >= 0")
        if not 0.0 <= self.loss <= 1.0:
            raise ValueError(f"loss {self.loss}: must be between 0 and 1")


PROTO_UDP = 17
PROTO_ESP = 50


@dataclass(frozen=True, kw_only=True)
class Datagram:
    """One IP datagram: UDP (IKE, sport/dport) or ESP (protocol 50, ports 0, the payload is
    the ESP packet)."""

    src: str
    dst: str
    sport: int
    dport: int
    payload: bytes
    protocol: int = PROTO_UDP


@dataclass(frozen=True)
class Captured:
    time: float
    datagram: Datagram


Receiver = Callable[[Datagram], None]


class Network:
    def __init__(self, env: simpy.Environment, *, rng: random.Random,
                 default: LinkSpec | None = None) -> None:
        self.env = env
        self._rng = rng
        self._default = default or LinkSpec()
        self._links: dict[frozenset[str], LinkSpec] = {}
        self._receivers: dict[str, Receiver] = {}
        self.capture: list[Captured] = []

    def attach(self, address: str, receiver: Receiver) -> None:
        if address in self._receivers:
            raise ValueError(f"address {address} is already in use")
        self._receivers[address] = receiver

    def link(self, a: str, b: str, spec: LinkSpec) -> None:
        self._links[frozenset((a, b))] = spec


    def spec(self, a: str, b: str) -> LinkSpec:
        return self._links.get(frozenset((a, b)), self._default)

    def send(self, datagram: Datagram) -> None:
        self.capture.append(Captured(self.env.now, datagram))
        spec = self.spec(datagram.src, datagram.dst)
        # Draw both numbers every time so one datagram's fate never shifts the next one's.
        lost, jitter = self._rng.random(), self._rng.uniform(-1.0, 1.0)
        if lost < spec.loss:
            return
        receiver = self._receivers.get(datagram.dst)
        if receiver is None:
            return
        delay = max(0.0, spec.latency + jitter * spec.jitter)
        self.env.process(self._deliver(delay, receiver, datagram))

    def _deliver(self, delay: float, receiver: Receiver, datagram: Datagram):
        yield self.env.timeout(delay)
        receiver(datagram)
