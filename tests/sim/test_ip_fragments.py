"""IPv4 fragmentation and reassembly (sim.world.ip_fragments): where a datagram is cut, and how a
receiver puts it back together or gives up."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.topology.specs import FragmentError
from sim.world.ip_fragments import Piece, Reassembly, pieces

KEY = ("30.1.1.31", "30.1.1.51", 17, 3)


def shape(plan):
    return [(p.offset, p.length, p.more) for p in plan]


def test_figure4s_message_5_is_two_fragments_on_a_1500_byte_link():
    # 2,892 bytes of ISAKMP + 8 of UDP: 1,480 in the first packet, the rest in the second.
    assert shape(pieces(2900, 1500)) == [(0, 1480, True), (1480, 1420, False)]
    assert [p.units for p in pieces(2900, 1500)] == [0, 185]


def test_a_packet_that_fits_exactly_is_not_fragmented():
    assert shape(pieces(1480, 1500)) == [(0, 1480, False)]
    assert shape(pieces(1481, 1500)) == [(0, 1480, True), (1480, 1, False)]


def test_fragment_data_is_cut_on_8_byte_boundaries_below_the_mtu():
    # 1499 - 20 = 1479 bytes fit, but offsets count 8-byte units: 1472 per fragment.
    assert shape(pieces(3000, 1499)) == [(0, 1472, True), (1472, 1472, True), (2944, 56, False)]


@pytest.mark.parametrize(("size", "mtu", "problem"), [
    (65_516, 1500, "an IP payload of 65516 bytes does not fit an IPv4 packet (at most 65515)"),
    (100, 575, "mtu 575: out of range (576..9216)"),
    (100, 9217, "mtu 9217: out of range (576..9216)"),
])
def test_what_no_ipv4_packet_or_link_carries_is_refused(size, mtu, problem):
    with pytest.raises(FragmentError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        pieces(size, mtu)


@given(size=st.integers(0, 65_515), mtu=st.integers(576, 9216))
def test_fragments_cover_the_payload_once_each_within_the_mtu(size, mtu):
    plan = pieces(size, mtu)
    assert sum(p.length for p in plan) == size
    assert all(20 + p.length <= mtu for p in plan)
    assert all(p.offset % 8 == 0 for p in plan)
    assert [p.more for p in plan] == [True] * (len(plan) - 1) + [False]
    assert all(a.offset + a.length == b.offset for a, b in zip(plan, plan[1:], strict=False))


@given(size=st.integers(1, 20_000), mtu=st.integers(576, 1500), seed=st.integers(0, 2**32))
def test_reassembly_in_any_order_gives_back_the_bytes(size, mtu, seed):
    rng = random.Random(seed)
    data = rng.randbytes(size)
    plan = list(pieces(size, mtu))
    rng.shuffle(plan)
    queue = Reassembly()
    results = [queue.add(KEY, p, data[p.offset:p.offset + p.length], now=1.0) for p in plan]
    assert results[-1] == data
    assert all(r is None for r in results[:-1])
    assert queue.pending() == 0


def test_an_incomplete_set_is_dropped_when_its_timer_runs_out():
    data = bytes(range(256)) * 8
    first, _ = pieces(len(data), 1500)
    queue = Reassembly()
    assert queue.add(KEY, first, data[:first.length], now=5.0) is None
    assert queue.pending() == 1
    assert queue.expire(KEY, started=5.0) is True
    assert (queue.pending(), queue.timed_out) == (0, 1)
    assert queue.expire(KEY, started=5.0) is False  # already gone: counted once


def test_a_completed_set_is_not_counted_when_its_timer_runs_out():
    data = bytes(3000)
    queue = Reassembly()
    for piece in pieces(len(data), 1500):
        queue.add(KEY, piece, data[piece.offset:piece.offset + piece.length], now=5.0)
    assert queue.expire(KEY, started=5.0) is False
    assert queue.timed_out == 0


@pytest.mark.parametrize("second", [
    Piece(offset=1472, length=8, more=True),      # overlaps the first
    Piece(offset=1480, length=16, more=False),    # a last piece ending before a held one
])
def test_fragments_that_do_not_add_up_drop_the_set(second):
    queue = Reassembly()
    queue.add(KEY, Piece(offset=0, length=1480, more=True), bytes(1480), now=0.0)
    queue.add(KEY, Piece(offset=2960, length=8, more=True), bytes(8), now=0.0)
    assert queue.add(KEY, second, bytes(second.length), now=0.0) is None
    assert (queue.pending(), queue.malformed) == (0, 1)


def test_a_piece_cannot_claim_more_bytes_than_it_brings():
    with pytest.raises(ValueError, match="fragment data is 3 bytes, the piece says 8"):
        Reassembly().add(KEY, Piece(offset=0, length=8, more=True), b"abc", now=0.0)


@pytest.mark.parametrize(("kw", "problem"), [
    ({"offset": 4, "length": 8, "more": True}, "offset 4"),
    ({"offset": 0, "length": 9, "more": True}, "length 9"),
    ({"offset": 65_512, "length": 8, "more": False}, "ends past 65535"),
])
def test_a_piece_is_checked(kw, problem):
    with pytest.raises(ValueError, match=problem):
        Piece(**kw)
