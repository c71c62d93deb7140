"""The live peer's network: one real UDP socket in place of the simulated network.

kmd keeps speaking in the topology's addresses (its log lines, identities and NAT-D hashes
stay the simulation's); this transport maps each gateway the user pointed somewhere
(--gateway-address) between its topology address and the real endpoint. It sends only to
those endpoints, and hands kmd only what comes from them: anything else is logged as kmd logs
an unknown peer and dropped. The socket is polled by a SimPy process, so every datagram
reaches kmd inside the environment's own time, as the simulated network delivers it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping

import simpy

from sim.live.endpoints import IKE_PORT, Endpoint
from sim.topology.specs import LinkSpec
from sim.world.ip_fragments import Reassembly
from sim.world.network import PROTO_UDP, Captured, Datagram, Loss, Receiver, Sent

POLL = 0.01  # seconds between looks at the socket: well below any IKE timer
_MAX_DATAGRAM = 65535  # what one UDP datagram can hold: nothing larger is ever read
_LOGGED_DROPS = 100  # unknown-peer lines per run; later drops are only counted


class LiveNetwork:
    """The simulated network's interface (attach, send, capture) over one UDP socket."""

    def __init__(self, env: simpy.Environment, *, sock: socket.socket, address: str,
                 peers: Mapping[str, Endpoint], unknown: Callable[[str], None]) -> None:
        self.env = env
        self._sock = sock
        self._sock.setblocking(False)
        local = sock.getsockname()
        self.local = Endpoint(host=local[0], port=local[1])
        self.address = address  # the device's topology address
        self._out = dict(peers)
        self._in = {endpoint: name for name, endpoint in peers.items()}
        self._unknown = unknown
        self._receiver: Receiver | None = None
        self.heard: list[Receiver] = []  # told of each datagram for kmd, before kmd
        self.capture: list[Captured] = []
        self.down: set[str] = set()
        self.translators: list[Callable[[Datagram], Datagram | None]] = []
        self.dropped = 0  # datagrams from endpoints that are no configured gateway
        self._ident = 0
        env.process(self._poll())

    # -- the parts of sim.world.network.Network a device uses ------------------------------------

    def attach(self, address: str, receiver: Receiver) -> None:
        if address == self.address:
            self._receiver = receiver

    def link(self, a: str, b: str, spec: LinkSpec) -> None:
        """Links are the real network's now."""

    def reassembly(self, address: str) -> Reassembly:
        return Reassembly()  # the kernel reassembles what crosses a real socket

    def send(self, datagram: Datagram) -> Sent:
        peer = self._out.get(datagram.dst)
        if datagram.protocol != PROTO_UDP or peer is None:
            # Never anywhere the user did not name (ESP needs the kernel: not sent either).
            return Sent(packets=0, loss=Loss.LINK)
        try:
            self._sock.sendto(datagram.payload, (peer.host, peer.port))
        except OSError:
            return Sent(packets=0, loss=Loss.LINK)
        self._captured(datagram)
        return Sent(packets=1)

    def close(self) -> None:
        self._sock.close()

    # -- receiving --------------------------------------------------------------------------

    def _poll(self):
        while True:
            self.drain()
            yield self.env.timeout(POLL)

    def drain(self) -> None:
        """Hand kmd every datagram waiting on the socket."""
        while True:
            try:
                data, source = self._sock.recvfrom(_MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # an ICMP error from an earlier send: nothing to read
            sender = Endpoint(host=source[0], port=source[1])
            name = self._in.get(sender)
            if name is None:
                self.dropped += 1
                if self.dropped <= _LOGGED_DROPS:  # a flood cannot fill the disk
                    self._unknown(sender.host)
                continue
            arrived = Datagram(src=name, dst=self.address, sport=IKE_PORT, dport=IKE_PORT,
                               payload=data)
            self._captured(arrived)
            for hear in self.heard:
                hear(arrived)
            if self._receiver is not None:
                self._receiver(arrived)

    def _captured(self, datagram: Datagram) -> None:
        """The capture holds the bytes that crossed the socket as kmd saw them: between the
        topology's addresses on port 500. Wireshark then dissects them as ISAKMP and decrypts
        them with the key file, which it cannot between two peers on one loopback address."""
        self._ident = (self._ident + 1) & 0xFFFF
        self.capture.append(Captured(self.env.now, datagram, ident=self._ident))
