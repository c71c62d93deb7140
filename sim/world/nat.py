"""A NAT device on a link: source NAT with port translation (NAPT), as a home router or a
carrier's NAT does it.

Datagrams from the inside device leave with the NAT's public address and a port the NAT
picks (the first free one of the dynamic range from 49152, RFC 6335; UDP 500 becomes a high
port like any other). A datagram to the public address is let in only on a mapping, and only
from the address and port that mapping was made towards (address- and port-dependent
filtering, the strictest of RFC 4787's and the common one); anything else is dropped. A mapping
nobody used for `timeout` seconds is forgotten (RFC 4787 REQ-5: at least 120 s by default),
which is why a device behind a NAT sends NAT-T keepalives.

IP protocols without ports (ESP, protocol 50) cannot be translated by port: the NAT drops
them. That is what breaks an IPsec tunnel through a NAT without NAT-T, and why NAT-T puts ESP
in UDP 4500.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from sim.topology.specs import LinkSpec, NatSpec
from sim.world.network import Datagram, Network

__all__ = ["FIRST_PORT", "Nat", "UDP", "install_nat"]

UDP = 17
FIRST_PORT = 49152  # RFC 6335's dynamic ports
LAST_PORT = 65535


@dataclass(kw_only=True)
class _Mapping:
    inside_port: int
    public_port: int
    peers: set[tuple[str, int]]  # where the inside sent to: who may answer
    last_used: float


class Nat:
    """The translation state of one NatSpec; `clock` gives the simulated time in seconds."""

    def __init__(self, spec: NatSpec, *, clock: Callable[[], float]) -> None:
        self.spec = spec
        self._clock = clock
        self._by_inside: dict[int, _Mapping] = {}
        self._by_public: dict[int, _Mapping] = {}
        self._next_port = FIRST_PORT
        self.dropped = 0  # datagrams the NAT refused (counted for results and tests)

    def translate(self, datagram: Datagram) -> Datagram | None:
        """The datagram as it leaves the NAT, the same one if the NAT has nothing to do with
        it, or None when the NAT drops it."""
        outbound = datagram.src == self.spec.inside
        inbound = datagram.dst == self.spec.address
        if not (outbound or inbound):
            return datagram
        self._expire()
        if getattr(datagram, "protocol", UDP) != UDP:
            self.dropped += 1  # no port to translate (ESP)
            return None
        if outbound:
            return self._outbound(datagram)
        return self._inbound(datagram)

    def _outbound(self, datagram: Datagram) -> Datagram | None:
        mapping = self._by_inside.get(datagram.sport)
        if mapping is None:
            port = self._free_port()
            if port is None:
                self.dropped += 1
                return None
            mapping = _Mapping(inside_port=datagram.sport, public_port=port, peers=set(),
                               last_used=self._clock())
            self._by_inside[datagram.sport] = mapping
            self._by_public[port] = mapping
        mapping.peers.add((datagram.dst, datagram.dport))
        mapping.last_used = self._clock()
        return replace(datagram, src=self.spec.address, sport=mapping.public_port)

    def _inbound(self, datagram: Datagram) -> Datagram | None:
        mapping = self._by_public.get(datagram.dport)
        if mapping is None or (datagram.src, datagram.sport) not in mapping.peers:
            self.dropped += 1  # unsolicited
            return None
        mapping.last_used = self._clock()
        return replace(datagram, dst=self.spec.inside, dport=mapping.inside_port)

    def _expire(self) -> None:
        now = self._clock()
        for port, mapping in list(self._by_public.items()):
            if now - mapping.last_used >= self.spec.timeout:
                del self._by_public[port]
                del self._by_inside[mapping.inside_port]

    def _free_port(self) -> int | None:
        for _ in range(LAST_PORT - FIRST_PORT + 1):
            port = self._next_port
            self._next_port = FIRST_PORT if port == LAST_PORT else port + 1
            if port not in self._by_public:
                return port
        return None

    def mapped_port(self, inside_port: int) -> int | None:
        """The public port the inside's `inside_port` goes out on now, if it has one."""
        mapping = self._by_inside.get(inside_port)
        return mapping.public_port if mapping else None


def install_nat(network: Network, spec: NatSpec, *, outside: str, link: LinkSpec) -> Nat:
    """Put a NAT on the network: it translates every datagram that crosses it, and the
    outside device reaches the public address over the same link as the inside one."""
    nat = Nat(spec, clock=lambda: network.env.now)
    network.translators.append(nat.translate)
    network.link(outside, spec.address, link)
    return nat
