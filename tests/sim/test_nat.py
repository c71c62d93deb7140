"""The NAT on a link (sim.world.nat): port translation out, mapping back in, unsolicited and
portless datagrams dropped, idle mappings forgotten."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sim.topology.specs import NatSpec
from sim.world.nat import Nat
from sim.world.network import Datagram

SPOKE, PUBLIC, HUB = "10.0.1.2", "198.51.100.7", "203.0.113.1"


@dataclass(frozen=True, kw_only=True)
class EspDatagram(Datagram):
    """An ESP packet (IP protocol 50): no ports for a NAT to translate."""

    protocol: int = 50


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def nat(clock):
    return Nat(NatSpec(inside=SPOKE, address=PUBLIC, timeout=120), clock=clock)


def out(sport: int, dport: int = 500, payload: bytes = b"ike") -> Datagram:
    return Datagram(src=SPOKE, dst=HUB, sport=sport, dport=dport, payload=payload)


def back(dport: int, sport: int = 500, src: str = HUB) -> Datagram:
    return Datagram(src=src, dst=PUBLIC, sport=sport, dport=dport, payload=b"reply")


def test_the_inside_goes_out_on_the_public_address_and_a_high_port(nat):
    assert nat.translate(out(500)) == Datagram(src=PUBLIC, dst=HUB, sport=49152, dport=500,
                                               payload=b"ike")
    assert nat.translate(out(4500, 4500)).sport == 49153
    assert nat.translate(out(500)).sport == 49152  # the same mapping again


def test_replies_map_back_to_the_inside(nat):
    nat.translate(out(500))
    assert nat.translate(back(49152)) == Datagram(src=HUB, dst=SPOKE, sport=500, dport=500,
                                                  payload=b"reply")


def test_unsolicited_datagrams_are_dropped(nat):
    assert nat.translate(back(500)) is None  # no mapping on the public address's port 500
    nat.translate(out(500))
    assert nat.translate(back(49152, src="192.0.2.99")) is None  # not who the inside spoke to
    assert nat.translate(back(49152, sport=4500)) is None  # nor from that port
    assert nat.dropped == 3


def test_other_traffic_passes_untouched(nat):
    other = Datagram(src=HUB, dst="192.0.2.5", sport=500, dport=500, payload=b"x")
    assert nat.translate(other) is other


def test_esp_has_no_port_to_translate_and_is_dropped(nat):
    nat.translate(out(500))
    assert nat.translate(EspDatagram(src=SPOKE, dst=HUB, sport=0, dport=0, payload=b"e")) is None
    assert nat.translate(EspDatagram(src=HUB, dst=PUBLIC, sport=0, dport=0, payload=b"e")) is None
    # ESP in UDP 4500 (NAT-T) is UDP: it passes.
    assert nat.translate(out(4500, 4500)) is not None


def test_an_idle_mapping_is_forgotten_and_a_used_one_kept(nat, clock):
    nat.translate(out(500))
    nat.translate(out(4500, 4500))
    for clock.now in (60.0, 119.0, 178.0):  # keepalives on 4500 only
        nat.translate(out(4500, 4500, b"\xff"))
    assert nat.translate(back(49152)) is None  # 500's mapping expired at 120 s
    assert nat.translate(back(49153, sport=4500)) is not None
    assert nat.translate(out(500)).sport == 49154  # a new mapping, a new port


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"inside": SPOKE, "address": SPOKE}, "is the inside device's own address"),
    ({"inside": SPOKE, "address": "x"}, "Expected 4 octets"),
    ({"inside": SPOKE, "address": PUBLIC, "timeout": 0.5}, "must be 1 s .. 1 day"),
])
def test_a_bad_spec_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NatSpec(**kwargs)
