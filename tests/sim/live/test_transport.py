"""The live transport sends only to the endpoints the user named, in the topology's terms on
kmd's side and the real ones on the wire and in the capture."""

from __future__ import annotations

import socket

import simpy

from sim.live.endpoints import Endpoint, Remote
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
    peer = Remote(ike=Endpoint(host="127.0.0.1", port=theirs.getsockname()[1]),
                  nat_t=Endpoint(host="127.0.0.1", port=4500))  # never bound: no NAT-T
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


def test_nat_t_goes_from_and_to_the_nat_t_sockets_and_kmd_sees_port_4500() -> None:
    """kmd's port 4500 is the NAT-T socket on our side and the peer's NAT-T endpoint on
    theirs, whatever the real port numbers: a floated SA's messages, keepalives included,
    leave from the one and reach the other, and what comes back on it is 4500 to kmd."""
    env = simpy.Environment()
    ours, ours_nat_t, theirs, theirs_nat_t = (_socket() for _ in range(4))
    for sock in (theirs, theirs_nat_t):
        sock.settimeout(5)
    remote = Remote(ike=Endpoint(host="127.0.0.1", port=theirs.getsockname()[1]),
                    nat_t=Endpoint(host="127.0.0.1", port=theirs_nat_t.getsockname()[1]))
    nat_t_port = ours_nat_t.getsockname()[1]
    network = LiveNetwork(env, sock=ours, nat_t_sock=ours_nat_t, address="30.1.1.51",
                          peers={"30.1.1.31": remote}, unknown=lambda host: None)
    got: list[Datagram] = []
    network.attach("30.1.1.51", got.append)
    try:
        for sport, dport, payload in ((500, 500, b"main mode 2"),
                                      (4500, 4500, bytes(4) + b"main mode 6"),
                                      (4500, 4500, b"\xff")):
            sent = network.send(Datagram(src="30.1.1.51", dst="30.1.1.31", sport=sport,
                                         dport=dport, payload=payload))
            assert sent.packets == 1
        assert theirs.recvfrom(100) == (b"main mode 2", ours.getsockname())
        assert theirs_nat_t.recvfrom(100) == (bytes(4) + b"main mode 6",
                                              ours_nat_t.getsockname())
        assert theirs_nat_t.recvfrom(100) == (b"\xff", ours_nat_t.getsockname())
        theirs_nat_t.sendto(bytes(4) + b"quick mode 1", ours_nat_t.getsockname())
        theirs.sendto(b"main mode 3", ours.getsockname())
        theirs_nat_t.sendto(bytes(4) + b"to the IKE port", ours.getsockname())
        env.run(until=0.5)
        network.drain()
    finally:
        network.close()
        for sock in (theirs, theirs_nat_t):
            sock.close()
    assert sorted((d.src, d.sport, d.dport, d.payload) for d in got) == sorted([
        ("30.1.1.31", 500, 500, b"main mode 3"),
        ("30.1.1.31", 4500, 4500, bytes(4) + b"quick mode 1"),
        ("30.1.1.31", 4500, 500, bytes(4) + b"to the IKE port")])
    assert network.local_nat_t == Endpoint(host="127.0.0.1", port=nat_t_port)


def test_without_a_nat_t_socket_nothing_leaves_from_4500() -> None:
    env = simpy.Environment()
    ours = _socket()
    remote = Remote(ike=Endpoint(host="127.0.0.1", port=9), nat_t=Endpoint(host="127.0.0.1",
                                                                             port=4500))
    network = LiveNetwork(env, sock=ours, address="30.1.1.51", peers={"30.1.1.31": remote},
                          unknown=lambda host: None)
    try:
        assert network.send(Datagram(src="30.1.1.51", dst="30.1.1.31", sport=4500,
                                     dport=4500, payload=b"\xff")).packets == 0
        assert network.local_nat_t is None and network.capture == []
    finally:
        network.close()
