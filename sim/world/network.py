"""UDP between device addresses: links with latency, jitter, loss, an MTU, and an optional
capture.

Every datagram put on the network is recorded in `capture` (for the pcap), whether or not the
link then loses it, as a capture point at the sender would see it: one entry per datagram,
with the IP identification and the link MTU that say how it was fragmented.

A datagram larger than the link MTU crosses as IP fragments (sim.world.ip_fragments): each has its
own loss draw and delay, and the receiving address reassembles them, or drops the set when
the reassembly timer runs out. A link with `fragments: drop` (a firewall that drops IP
fragments) loses every fragment and passes whole packets.
"""

from __future__ import annotations

import enum
import random
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace

import simpy

from sim.topology.specs import FragmentError, Fragments, LinkSpec
from sim.world.ip_fragments import REASSEMBLY_TIMEOUT, UDP_HEADER, Key, Piece, Reassembly, pieces

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
    """A datagram as it left its sender: `ident` is its IP identification, `mtu` the link's
    (None: written whole, as before links had one)."""

    time: float
    datagram: Datagram
    ident: int | None = None
    mtu: int | None = None


class Loss(enum.Enum):
    """Why a datagram never reached its receiver (results.json's `lost`)."""

    LINK = "lost on the link"
    FRAGMENTS_DROPPED = "the link drops IP fragments"
    FRAGMENT_LOST = "a fragment was lost on the link; reassembly timed out"
    TOO_BIG = "larger than an IPv4 packet can carry; the sender's kernel refused it"
    DOWN = "the sender was down"
    NAT = "dropped by a NAT on the path"


@dataclass(frozen=True, kw_only=True)
class Sent:
    """What became of one datagram: how many IP packets carried it, and its loss if lost."""

    packets: int
    loss: Loss | None = None


Receiver = Callable[[Datagram], None]


def transport(datagram: Datagram) -> bytes:
    """The IP payload: for UDP its header (no checksum: IPv4 allows none; the pcap writes the
    real one), then the datagram's payload; ESP is its own IP payload."""
    if datagram.protocol != PROTO_UDP:
        return datagram.payload
    return struct.pack("!HHHH", datagram.sport, datagram.dport,
                       UDP_HEADER + len(datagram.payload), 0) + datagram.payload


def _header(datagram: Datagram) -> int:
    return UDP_HEADER if datagram.protocol == PROTO_UDP else 0


class Network:
    def __init__(self, env: simpy.Environment, *, rng: random.Random,
                 default: LinkSpec | None = None,
                 fragment_rng: random.Random | None = None) -> None:
        self.env = env
        self._rng = rng
        # Fragments after the first draw from their own stream: a datagram that is fragmented
        # takes the same two numbers from `rng` as a whole one, so fragmenting one datagram
        # never shifts another datagram's fate.
        self._fragment_rng = fragment_rng or random.Random("network/fragments")
        self._idents: dict[str, int] = {}
        self._reassembly: dict[str, Reassembly] = {}
        self._default = default or LinkSpec()
        self._links: dict[frozenset[str], LinkSpec] = {}
        self._receivers: dict[str, Receiver] = {}
        self.capture: list[Captured] = []
        # Addresses of devices that are down (a device-down event): they send and receive
        # nothing, and what is on its way to them when they go down is lost.
        self.down: set[str] = set()
        # NAT devices on links (sim.world.nat): each rewrites or drops what crosses it.
        self.translators: list[Callable[[Datagram], Datagram | None]] = []

    def attach(self, address: str, receiver: Receiver) -> None:
        if address in self._receivers:
            raise ValueError(f"address {address} is already in use")
        self._receivers[address] = receiver

    def link(self, a: str, b: str, spec: LinkSpec) -> None:
        self._links[frozenset((a, b))] = spec


    def spec(self, a: str, b: str) -> LinkSpec:
        return self._links.get(frozenset((a, b)), self._default)

    def reassembly(self, address: str) -> Reassembly:
        """The reassembly queue of the host at `address` (its counters say what it dropped)."""
        return self._reassembly.setdefault(address, Reassembly())

    def send(self, datagram: Datagram) -> Sent:
        if datagram.src in self.down:  # a device without power sends nothing
            return Sent(packets=0, loss=Loss.DOWN)
        spec = self.spec(datagram.src, datagram.dst)
        # Draw both numbers every time so one datagram's fate never shifts the next one's.
        draws = [(self._rng.random(), self._rng.uniform(-1.0, 1.0))]
        try:
            plan = pieces(_header(datagram) + len(datagram.payload), spec.mtu)
        except FragmentError:  # sendto() fails with EMSGSIZE: nothing is sent or captured
            return Sent(packets=0, loss=Loss.TOO_BIG)
        # One identification per datagram and sender, as a host's IP stack numbers them.
        ident = self._idents[datagram.src] = (self._idents.get(datagram.src, 0) + 1) & 0xFFFF
        self.capture.append(Captured(self.env.now, datagram, ident=ident, mtu=spec.mtu))
        draws += [(self._fragment_rng.random(), self._fragment_rng.uniform(-1.0, 1.0))
                  for _ in plan[1:]]
        if len(plan) > 1 and spec.fragments is Fragments.DROP:
            return Sent(packets=len(plan), loss=Loss.FRAGMENTS_DROPPED)
        arriving = [(piece, jitter) for piece, (lost, jitter) in zip(plan, draws, strict=True)
                    if lost >= spec.loss]
        loss = (None if len(arriving) == len(plan)
                else Loss.FRAGMENT_LOST if arriving else Loss.LINK)
        if not arriving:
            return Sent(packets=len(plan), loss=loss)
        # A NAT on the path rewrites (or drops) what arrives; the capture above is the sender's.
        for translate in self.translators:
            datagram = translate(datagram)
            if datagram is None:
                return Sent(packets=len(plan), loss=Loss.NAT)
        receiver = self._receivers.get(datagram.dst)
        if receiver is None:
            return Sent(packets=len(plan), loss=loss)
        if len(plan) == 1:
            delay = max(0.0, spec.latency + arriving[0][1] * spec.jitter)
            self.env.process(self._deliver(delay, receiver, datagram))
            return Sent(packets=1)
        data = transport(datagram)
        key = (datagram.src, datagram.dst, datagram.protocol, ident)
        for piece, jitter in arriving:
            delay = max(0.0, spec.latency + jitter * spec.jitter)
            chunk = data[piece.offset:piece.offset + piece.length]
            self.env.process(self._fragment(delay, receiver, datagram, key, piece, chunk))
        return Sent(packets=len(plan), loss=loss)

    def _deliver(self, delay: float, receiver: Receiver, datagram: Datagram):
        yield self.env.timeout(delay)
        if datagram.dst not in self.down:
            receiver(datagram)

    def _fragment(self, delay: float, receiver: Receiver, datagram: Datagram, key: Key,
                  piece: Piece, chunk: bytes):
        yield self.env.timeout(delay)
        if datagram.dst in self.down:
            return
        queue = self.reassembly(datagram.dst)
        new = queue.started(key) is None
        whole = queue.add(key, piece, chunk, now=self.env.now)
        if whole is not None:
            receiver(replace(datagram, payload=whole[_header(datagram):]))
        elif new and queue.started(key) is not None:
            self.env.process(self._reassembly_timer(queue, key, self.env.now))

    def _reassembly_timer(self, queue: Reassembly, key: Key, started: float):
        yield self.env.timeout(REASSEMBLY_TIMEOUT)
        queue.expire(key, started=started)
