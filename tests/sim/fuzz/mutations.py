"""Hypothesis strategies for what a peer (or anyone on the path) can send instead of a real
ISAKMP message: bit flips, truncations, extensions, length fields that lie (the header's and
each payload's), payload types swapped or replaced, the encryption flag flipped, and random
bytes behind a real or a random header.

Each strategy draws a (kind, bytes) pair from a real message; `STRUCTURAL` names the kinds no
state machine may ever take as a message (they break the framing the decoder checks), so a
test can require a drop for them rather than merely no crash.
"""

from __future__ import annotations

import os
import struct

from hypothesis import settings
from hypothesis import strategies as st

from sim.ike.payloads import HEADER_LEN, PayloadMalformed, split_payloads

STRUCTURAL = frozenset({"truncate", "extend", "header-length", "flag-flip", "random-body"})


def fuzz_settings(ci_examples: int) -> settings:
    """`ci_examples` in `make test` (bounded, derandomized by the suite's "ci" profile);
    the "long" profile's own count under IKESIM_FUZZ=long."""
    if os.environ.get("IKESIM_FUZZ") == "long":
        return settings()
    return settings(max_examples=ci_examples)


def _payload_headers(data: bytes) -> list[int]:
    """Offsets of the generic payload headers of a clear message (none if it is encrypted)."""
    if len(data) < HEADER_LEN or data[19] & 1:
        return []
    try:
        parts = split_payloads(data[16], data[HEADER_LEN:])
    except PayloadMalformed:
        return []
    offsets, pos = [], HEADER_LEN
    for _, body in parts:
        offsets.append(pos)
        pos += 4 + len(body)
    return offsets


@st.composite
def bit_flips(draw, data: bytes) -> tuple[str, bytes]:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        out[draw(st.integers(0, len(out) - 1))] ^= 1 << draw(st.integers(0, 7))
    return "bit-flip", bytes(out)


@st.composite
def truncations(draw, data: bytes) -> tuple[str, bytes]:
    return "truncate", data[:draw(st.integers(0, len(data) - 1))]


@st.composite
def extensions(draw, data: bytes) -> tuple[str, bytes]:
    return "extend", data + draw(st.binary(min_size=1, max_size=64))


@st.composite
def length_lies(draw, data: bytes) -> tuple[str, bytes]:
    """The header's length (bytes 24-27) or one payload's (its header's bytes 2-3)."""
    headers = _payload_headers(data)
    if headers and draw(st.booleans()):
        at = draw(st.sampled_from(headers)) + 2
        value = draw(st.integers(0, 0xFFFF).filter(lambda v: v != data[at] << 8 | data[at + 1]))
        return "payload-length", data[:at] + struct.pack("!H", value) + data[at + 2:]
    value = draw(st.integers(0, 0xFFFFFFFF).filter(lambda v: v != len(data)))
    return "header-length", data[:24] + struct.pack("!I", value) + data[28:]


@st.composite
def type_swaps(draw, data: bytes) -> tuple[str, bytes]:
    """Two next-payload fields exchanged (the header's first-payload byte counts), or one
    replaced by any value."""
    fields = [16] + [at for at in _payload_headers(data)]
    out = bytearray(data)
    if len(fields) > 1 and draw(st.booleans()):
        a, b = draw(st.lists(st.sampled_from(fields), min_size=2, max_size=2, unique=True))
        out[a], out[b] = out[b], out[a]
    else:
        out[draw(st.sampled_from(fields))] = draw(st.integers(0, 255))
    return "type-swap", bytes(out)


def flag_flip(data: bytes) -> tuple[str, bytes]:
    return "flag-flip", data[:19] + bytes([data[19] ^ 1]) + data[20:]


@st.composite
def random_bodies(draw, data: bytes) -> tuple[str, bytes]:
    """The real header (cookies, exchange, flags, message ID), length fixed up, random rest."""
    body = draw(st.binary(min_size=0, max_size=400))
    header = data[:24] + struct.pack("!I", HEADER_LEN + len(body))
    return "random-body", header + body


@st.composite
def random_datagrams(draw) -> tuple[str, bytes]:
    return "random", draw(st.binary(min_size=0, max_size=600))


def mutations(data: bytes) -> st.SearchStrategy[tuple[str, bytes]]:
    """Any one damage done to `data`, or random bytes; never `data` itself."""
    return st.one_of(bit_flips(data), truncations(data), extensions(data), length_lies(data),
                     type_swaps(data), st.just(flag_flip(data)), random_bodies(data),
                     random_datagrams()).filter(lambda mutated: mutated[1] != data)
