"""IPv4 fragmentation and reassembly (RFC 791), with no SimPy and no I/O.

A datagram whose IP packet (20-byte header + its payload, the UDP header included) is larger
than the link MTU leaves the sender as fragments: each carries a slice of the IP payload, at
an offset counted in 8-byte units, with More Fragments set on all but the last, and the same
IP identification. The receiver holds the pieces until it has them all, or drops the set when
the reassembly timer runs out.

Limits: MTU 576..9216 (sim.topology.specs says why). A topology's outer addresses are
IPv4 only (devices.*.address), so there are no IPv6 links to fragment (an IPv6 link would need
1280 at least, RFC 8200, and a 40-byte header plus an 8-byte fragment header).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.topology.specs import FragmentError, check_mtu

IPV4_HEADER = 20
UDP_HEADER = 8
MAX_IP_PACKET = 65_535  # the IPv4 total-length field
# Junos's kernel is FreeBSD's: IPFRAGTTL is 60 ticks of the slow timer, which runs twice a
# second (PR_SLOWHZ), so 30 s; Linux's net.ipv4.ipfrag_time is also 30 s.
REASSEMBLY_TIMEOUT = 30.0
# Bounds on what a host holds for reassembly, whatever arrives (FreeBSD's maxfragpackets and
# maxfragsperpacket, Linux's ipfrag_high_thresh): at most this many incomplete sets, the oldest
# dropped to make room for a new one ...
MAX_PENDING_SETS = 1024
# ... and pieces in one set. The most a sender makes is 119 (a 65,535-byte packet over a
# 576-byte MTU), so every real set fits; FreeBSD's default of 16 would refuse ikesim's own
# datagrams at small MTUs. A set of 8-byte pieces (up to 8,189) is dropped as malformed.
MAX_PIECES_PER_SET = 128


@dataclass(frozen=True, kw_only=True)
class Piece:
    """One fragment: bytes `offset` .. `offset + length` of the IP payload; `more` is the
    More Fragments flag. An unfragmented packet is the one piece at 0 with `more` False."""

    offset: int
    length: int
    more: bool

    def __post_init__(self) -> None:
        if self.offset < 0 or self.offset % 8:
            raise ValueError(f"fragment offset {self.offset}: a multiple of 8 bytes, >= 0")
        if self.length < 0 or (self.more and (self.length == 0 or self.length % 8)):
            raise ValueError(f"fragment length {self.length}: a piece followed by more is a "
                             "positive multiple of 8 bytes")
        if IPV4_HEADER + self.offset + self.length > MAX_IP_PACKET:
            raise ValueError(f"fragment at {self.offset} of {self.length} bytes ends past "
                             f"{MAX_IP_PACKET} bytes")

    @property
    def units(self) -> int:
        """The offset as the IP header carries it, in 8-byte units."""
        return self.offset // 8


def pieces(ip_payload: int, mtu: int) -> tuple[Piece, ...]:
    """How an IP payload of `ip_payload` bytes crosses a link of `mtu`: one piece when the
    packet fits, else fragments of the largest multiple of 8 that fits, the last one shorter."""
    check_mtu(mtu)
    if ip_payload < 0 or IPV4_HEADER + ip_payload > MAX_IP_PACKET:
        raise FragmentError(f"an IP payload of {ip_payload} bytes does not fit an IPv4 packet "
                            f"(at most {MAX_IP_PACKET - IPV4_HEADER})")
    if IPV4_HEADER + ip_payload <= mtu:
        return (Piece(offset=0, length=ip_payload, more=False),)
    step = (mtu - IPV4_HEADER) // 8 * 8
    return tuple(Piece(offset=start, length=min(step, ip_payload - start),
                       more=start + step < ip_payload)
                 for start in range(0, ip_payload, step))


@dataclass
class _Partial:
    started: float
    parts: dict[int, bytes] = field(default_factory=dict)  # offset -> bytes
    total: int | None = None  # known once the last piece (More Fragments clear) arrives


Key = tuple[str, str, int, int]  # source, destination, protocol, identification


class Reassembly:
    """One receiving host's reassembly queue. `add` returns the whole IP payload when the last
    missing piece arrives; `expire` drops a set still incomplete when its timer runs out.

    Pieces that overlap one already held, or run past the packet's end, drop the whole set
    (RFC 5722's rule for IPv6, which FreeBSD applies to IPv4 too): a fragment set that does
    not add up is never delivered half-read."""

    def __init__(self) -> None:
        self._sets: dict[Key, _Partial] = {}
        self.timed_out = 0  # sets dropped by the timer, as `netstat -s` counts them
        self.malformed = 0
        self.overflowed = 0  # sets dropped to make room (MAX_PENDING_SETS)

    def pending(self) -> int:
        return len(self._sets)

    def add(self, key: Key, piece: Piece, data: bytes, *, now: float) -> bytes | None:
        if len(data) != piece.length:
            raise ValueError(f"fragment data is {len(data)} bytes, the piece says "
                             f"{piece.length}")
        partial = self._sets.get(key)
        if partial is None:
            if len(self._sets) >= MAX_PENDING_SETS:
                # The oldest set: dicts keep insertion order, and a key is inserted once.
                del self._sets[next(iter(self._sets))]
                self.overflowed += 1
            partial = self._sets[key] = _Partial(started=now)
        end = piece.offset + piece.length
        held_end = max((o + len(d) for o, d in partial.parts.items()), default=0)
        if (len(partial.parts) >= MAX_PIECES_PER_SET
                or self._overlaps(partial, piece.offset, end)
                or (partial.total is not None and (end > partial.total or not piece.more))
                or (not piece.more and held_end > end)):
            del self._sets[key]
            self.malformed += 1
            return None
        partial.parts[piece.offset] = data
        if not piece.more:
            partial.total = end
        if partial.total is None or sum(map(len, partial.parts.values())) != partial.total:
            return None
        del self._sets[key]
        return b"".join(partial.parts[offset] for offset in sorted(partial.parts))

    @staticmethod
    def _overlaps(partial: _Partial, start: int, end: int) -> bool:
        return any(start < offset + len(held) and offset < end
                   for offset, held in partial.parts.items())

    def expire(self, key: Key, *, started: float) -> bool:
        """The timer of the set begun at `started` ran out: drop it if it is still there
        (True), leave it if it completed or a newer set took the key (False)."""
        partial = self._sets.get(key)
        if partial is None or partial.started != started:
            return False
        del self._sets[key]
        self.timed_out += 1
        return True

    def started(self, key: Key) -> float | None:
        partial = self._sets.get(key)
        return None if partial is None else partial.started
