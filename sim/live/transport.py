"""The live peer's network: real UDP sockets in place of the simulated network, one for IKE
and one for NAT-T.

kmd keeps speaking in the topology's addresses and ports (its log lines, identities and NAT-D
hashes stay the simulation's: UDP 500, and 4500 once NAT-T floated an SA); this transport maps
each gateway the user pointed somewhere (--gateway-address) between its topology address and
the real peer, port 500 to the peer's IKE endpoint and 4500 to its NAT-T endpoint, on the
socket of the same role. It sends only to those endpoints, and hands kmd only what comes from
them: anything else is logged as kmd logs an unknown peer and dropped. A real peer that
compares its NAT-D payloads with other addresses than the topology's (loopback, high ports)
finds a NAT, as it should: the transport translates addresses as a NAT does. The sockets are
polled by a SimPy process, so every datagram reaches kmd inside the environment's own time,
as the simulated network delivers it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping

import simpy

from sim.live.endpoints import IKE_PORT, NAT_T_PORT, Endpoint, Remote
from sim.topology.specs import LinkSpec
from sim.world.ip_fragments import Reassembly
from sim.world.network import PROTO_UDP, Captured, Datagram, Loss, Receiver, Sent

POLL = 0.01  # seconds between looks at the socket: well below any IKE timer
_MAX_DATAGRAM = 65535  # what one UDP datagram can hold: nothing larger is ever read
_LOGGED_DROPS = 100  # unknown-peer lines per run; later drops are only counted


class LiveNetwork:
    """The simulated network's interface (attach, send, capture) over the IKE socket `sock`
    and the NAT-T socket `nat_t_sock` (None: nothing is sent from or heard on 4500)."""

    def __init__(self, env: simpy.Environment, *, sock: socket.socket,
                 nat_t_sock: socket.socket | None = None, address: str,
                 peers: Mapping[str, Remote], unknown: Callable[[str], None]) -> None:
        self.env = env
        # kmd's local port -> the socket that is it
        self._socks = {IKE_PORT: sock, **({NAT_T_PORT: nat_t_sock} if nat_t_sock else {})}
        for each in self._socks.values():
            each.setblocking(False)
        self.local, self.local_nat_t = (_bound(each) if each else None
                                        for each in (sock, nat_t_sock))
        self.address = address  # the device's topology address
        self._out = dict(peers)
        # a real endpoint -> (the peer's topology address, the port kmd knows it by)
        self._in = {endpoint: (name, port) for name, remote in peers.items()
                    for port, endpoint in ((IKE_PORT, remote.ike),
                                           (NAT_T_PORT, remote.nat_t))}
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
        remote = self._out.get(datagram.dst)
        sock = self._socks.get(datagram.sport)
        if datagram.protocol != PROTO_UDP or remote is None or sock is None:
            # Never anywhere the user did not name (ESP needs the kernel: not sent either).
            return Sent(packets=0, loss=Loss.LINK)
        peer = remote.nat_t if datagram.dport == NAT_T_PORT else remote.ike
        try:
            sock.sendto(datagram.payload, (peer.host, peer.port))
        except OSError:
            return Sent(packets=0, loss=Loss.LINK)
        self._captured(datagram)
        return Sent(packets=1)

    def close(self) -> None:
        for sock in self._socks.values():
            sock.close()

    # -- receiving --------------------------------------------------------------------------

    def _poll(self):
        while True:
            self.drain()
            yield self.env.timeout(POLL)

    def drain(self) -> None:
        """Hand kmd every datagram waiting on the sockets."""
        for port, sock in self._socks.items():
            self._drain(port, sock)

    def _drain(self, port: int, sock: socket.socket) -> None:
        while True:
            try:
                data, source = sock.recvfrom(_MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # an ICMP error from an earlier send: nothing to read
            sender = Endpoint(host=source[0], port=source[1])
            known = self._in.get(sender)
            if known is None:
                self.dropped += 1
                if self.dropped <= _LOGGED_DROPS:  # a flood cannot fill the disk
                    self._unknown(sender.host)
                continue
            name, sport = known
            arrived = Datagram(src=name, dst=self.address, sport=sport, dport=port,
                               payload=data)
            self._captured(arrived)
            for hear in self.heard:
                hear(arrived)
            if self._receiver is not None:
                self._receiver(arrived)

    def _captured(self, datagram: Datagram) -> None:
        """The capture holds the bytes that crossed the sockets as kmd saw them: between the
        topology's addresses on ports 500 and 4500. Wireshark then dissects them as ISAKMP
        (NAT-T) and decrypts them with the key file, which it cannot between two peers on one
        loopback address."""
        self._ident = (self._ident + 1) & 0xFFFF
        self.capture.append(Captured(self.env.now, datagram, ident=self._ident))


def _bound(sock: socket.socket) -> Endpoint:
    host, port = sock.getsockname()
    return Endpoint(host=host, port=port)
