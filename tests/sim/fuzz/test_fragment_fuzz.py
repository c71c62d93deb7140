"""A hostile sender's IP fragments (overlaps, offsets at the end of the packet, 8-byte pieces,
sets that never complete): reassembly never raises, never delivers bytes that were not sent
as one set, and never holds more than its bounds, whatever arrives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.world.ip_fragments import (
    MAX_IP_PACKET,
    MAX_PENDING_SETS,
    MAX_PIECES_PER_SET,
    Piece,
    Reassembly,
    pieces,
)

SOURCE, DESTINATION = "198.51.100.66", "30.1.1.51"


def _key(ident: int) -> tuple[str, str, int, int]:
    return (SOURCE, DESTINATION, 17, ident)


@st.composite
def _fragment(draw) -> tuple[int, Piece, bytes]:
    offset = draw(st.integers(0, (MAX_IP_PACKET - 20) // 8)) * 8
    room = MAX_IP_PACKET - 20 - offset
    more = draw(st.booleans())
    if more:
        if room < 8:
            more = False
            length = draw(st.integers(0, room))
        else:
            length = draw(st.integers(1, min(room, 2048) // 8)) * 8
    else:
        length = draw(st.integers(0, min(room, 2048)))
    return draw(st.integers(0, 3)), Piece(offset=offset, length=length, more=more), \
        bytes([offset % 251]) * length


@settings(max_examples=100)
@given(st.lists(_fragment(), max_size=60))
def test_any_fragments_are_held_or_dropped_never_raised(fragments):
    queue = Reassembly()
    for ident, piece, data in fragments:
        whole = queue.add(_key(ident), piece, data, now=0.0)
        if whole is not None:
            # What is delivered is pieces that tile it from 0, none overlapping.
            assert len(whole) <= MAX_IP_PACKET - 20
        assert queue.pending() <= 4


def test_many_incomplete_sets_hold_at_most_the_bound_and_the_oldest_go_first():
    queue = Reassembly()
    first = Piece(offset=0, length=1480, more=True)
    for ident in range(MAX_PENDING_SETS * 3):
        assert queue.add(_key(ident), first, b"\0" * 1480, now=ident / 1000) is None
    assert queue.pending() == MAX_PENDING_SETS
    assert queue.overflowed == 2 * MAX_PENDING_SETS
    assert queue.started(_key(0)) is None
    assert queue.started(_key(3 * MAX_PENDING_SETS - 1)) is not None
    # The newest set is still held and completes.
    last = Piece(offset=1480, length=20, more=False)
    whole = queue.add(_key(3 * MAX_PENDING_SETS - 1), last, b"\1" * 20, now=5.0)
    assert whole == b"\0" * 1480 + b"\1" * 20


def test_a_set_of_8_byte_pieces_is_dropped_at_the_piece_bound():
    queue = Reassembly()
    for n in range(MAX_PIECES_PER_SET):
        assert queue.add(_key(7), Piece(offset=8 * n, length=8, more=True), b"x" * 8,
                         now=0.0) is None
    assert queue.pending() == 1 and queue.malformed == 0
    extra = Piece(offset=8 * MAX_PIECES_PER_SET, length=8, more=True)
    assert queue.add(_key(7), extra, b"x" * 8, now=0.0) is None
    assert queue.pending() == 0 and queue.malformed == 1


def test_the_largest_packet_over_the_smallest_mtu_still_reassembles():
    plan = pieces(MAX_IP_PACKET - 20, 576)
    assert len(plan) <= MAX_PIECES_PER_SET
    data = bytes(range(256)) * 256
    queue = Reassembly()
    results = [queue.add(_key(1), p, data[p.offset:p.offset + p.length], now=0.0)
               for p in reversed(plan)]
    assert results[-1] == data[:MAX_IP_PACKET - 20]
