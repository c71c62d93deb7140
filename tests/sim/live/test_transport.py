"""The live transport sends only to the endpoints the user named, in the topology's terms on
kmd's side and the real ones on the wire and in the capture."""

from __future__ import annotations

import socket

import simpy

from sim.live.endpoints import Endpoint
from sim.live.transport import LiveNetwork
from sim.world.network import PROTO_ESP, Datagram


def _socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def test_only_named_peers_are_sent_to_and_heard_in_topology_addresses() -> None:
    env = simpy.Environment()
    ours, theirs, stranger = _socket(), _socket(), _socket()
    theirs.settimeout(5)
    peer = Endpoint(host="127.0.0.1", port=theirs.getsockname()[1])
    unknown: list[str] = []
    network = LiveNetwork(env, sock=ours, address="30.1.1.51", peers={"30.1.1.31": peer},
                          unknown=unknown.append)
    got: list[Datagram] = []
    network.attach("30.1.1.51", got.append)
    try:
        sent = network.send(Datagram(src="30.1.1.51", dst="30.1.1.31", sport=500, dport=500,
                                     payload=b"to the named peer"))
        assert sent.packets == 1 and sent.loss is None
        assert theirs.recvfrom(100) == (b"to the named peer", ours.getsockname())
        # A gateway the user did not point anywhere, and ESP: nothing leaves the socket.
        for datagram in (Datagram(src="30.1.1.51", dst="30.1.1.99", sport=500, dport=500,
                                  payload=b"x"),
                         Datagram(src="30.1.1.51", dst="30.1.1.31", sport=0, dport=0,
                                  payload=b"esp", protocol=PROTO_ESP)):
            assert network.send(datagram).packets == 0
        theirs.sendto(b"reply", ours.getsockname())
        stranger.sendto(b"hello", ours.getsockname())
        env.run(until=0.5)
        network.drain()
    finally:
        for sock in (ours, theirs, stranger):
            sock.close()
    assert [(d.src, d.sport, d.dst, d.payload) for d in got] == [
        ("30.1.1.31", 500, "30.1.1.51", b"reply")]
    assert unknown == ["127.0.0.1"] and network.dropped == 1
    # The capture: what crossed the socket, both ways, as kmd saw it.
    assert [(c.datagram.src, c.datagram.sport, c.datagram.dst, c.datagram.dport,
             c.datagram.payload) for c in network.capture] == [
        ("30.1.1.51", 500, "30.1.1.31", 500, b"to the named peer"),
        ("30.1.1.31", 500, "30.1.1.51", 500, b"reply")]
