"""The network's MTU: datagrams larger than a link carries cross as IP fragments, each with
its own fate, and arrive reassembled, or not at all."""

from __future__ import annotations

import random

import pytest
import simpy

from sim.topology.specs import Fragments, LinkSpec
from sim.world.network import Datagram, Loss, Network, Sent

A, B = "30.1.1.31", "30.1.1.51"


def network(spec: LinkSpec, seed: int = 1) -> tuple[Network, list[tuple[float, Datagram]]]:
    env = simpy.Environment()
    net = Network(env, rng=random.Random(seed), fragment_rng=random.Random(f"{seed}/f"))
    net.link(A, B, spec)
    got: list[tuple[float, Datagram]] = []
    net.attach(B, lambda d: got.append((env.now, d)))
    return net, got


def datagram(size: int, fill: int = 0x5A) -> Datagram:
    return Datagram(src=A, dst=B, sport=500, dport=500, payload=bytes([fill]) * size)


def test_a_datagram_over_the_mtu_arrives_whole_after_its_fragments():
    net, got = network(LinkSpec(latency=0.01, mtu=1500))
    big = Datagram(src=A, dst=B, sport=500, dport=500, payload=random.Random(3).randbytes(2892))
    assert net.send(big) == Sent(packets=2)
    net.env.run()
    assert got == [(0.01, big)]
    assert net.capture[0].ident == 1 and net.capture[0].mtu == 1500


def test_a_link_that_drops_fragments_passes_whole_packets_only():
    net, got = network(LinkSpec(mtu=1500, fragments=Fragments.DROP))
    assert net.send(datagram(1472)) == Sent(packets=1)  # 1472 + 8 + 20 = 1500: whole
    assert net.send(datagram(1473, 1)) == Sent(packets=2, loss=Loss.FRAGMENTS_DROPPED)
    net.env.run()
    assert [len(d.payload) for _, d in got] == [1472]
    assert net.reassembly(B).pending() == 0  # nothing of the dropped one arrived
    assert [c.ident for c in net.capture] == [1, 2]  # the capture point is the sender's


def test_a_bigger_mtu_carries_the_datagram_in_one_packet():
    net, got = network(LinkSpec(mtu=9000, fragments=Fragments.DROP))
    assert net.send(datagram(2892)) == Sent(packets=1)
    net.env.run()
    assert len(got) == 1


def test_a_lost_fragment_leaves_a_set_the_reassembly_timer_drops_after_30_s():
    # Find a seed whose second fragment is lost and first is not, on a 50 % link.
    for seed in range(100):
        net, got = network(LinkSpec(loss=0.5, mtu=1500), seed)
        if net.send(datagram(2000)).loss is Loss.FRAGMENT_LOST:
            break
    else:
        pytest.fail("no seed loses exactly some fragments")
    queue = net.reassembly(B)
    net.env.run(until=29.9)
    assert (got, queue.pending(), queue.timed_out) == ([], 1, 0)
    net.env.run(until=30.1)
    assert (got, queue.pending(), queue.timed_out) == ([], 0, 1)


def test_each_fragment_takes_its_own_delay_and_the_datagram_arrives_with_the_last():
    net, got = network(LinkSpec(latency=0.05, jitter=0.04, mtu=576))
    net.send(datagram(2000))  # 4 fragments of 552 bytes and one of 352
    net.env.run()
    ((when, _),) = got
    assert 0.05 < when <= 0.09


def test_fragmenting_one_datagram_shifts_no_other_datagrams_fate():
    """The first fragment draws from the network's stream as a whole datagram would; the
    others from their own: the small datagrams around a big one meet the same loss and
    delay whether the big one is fragmented or not."""
    def fates(mtu: int) -> list[tuple[float, bytes]]:
        net, got = network(LinkSpec(latency=0.01, jitter=0.005, loss=0.3, mtu=mtu), seed=9)
        for n in range(40):
            net.send(datagram(2000 if n % 5 == 0 else 100, n))
        net.env.run()
        return [(round(t, 9), d.payload[:1]) for t, d in got if len(d.payload) == 100]
    assert fates(576) == fates(9216)


def test_the_same_seed_gives_the_same_fragments_and_fates():
    def run():
        net, got = network(LinkSpec(latency=0.01, jitter=0.01, loss=0.2, mtu=576), seed=4)
        sent = [net.send(datagram(3000, n)) for n in range(30)]
        net.env.run()
        return sent, [(t, d.payload[0]) for t, d in got]
    assert run() == run()


def test_a_datagram_no_ipv4_packet_can_carry_is_refused_not_raised():
    net, got = network(LinkSpec())
    assert net.send(datagram(65_508)) == Sent(packets=0, loss=Loss.TOO_BIG)
    assert net.capture == []
    assert net.send(datagram(65_507)) == Sent(packets=45)
    net.env.run()
    assert [len(d.payload) for _, d in got] == [65_507]


@pytest.mark.parametrize(("kw", "problem"), [
    ({"mtu": 575}, "mtu 575: out of range"),
    ({"mtu": 1500.0}, "mtu 1500.0: a whole number"),
    ({"fragments": "drop"}, "fragments 'drop': a Fragments value"),
])
def test_a_link_spec_is_checked(kw, problem):
    with pytest.raises((ValueError, TypeError), match=problem):
        LinkSpec(**kw)
