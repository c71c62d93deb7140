"""A small, strict DER reader and writer, for the few structures `cryptography` will not handle.

pki reads DER itself in two places: the subjectPublicKeyInfo of a DSA key whose parameters
are inherited from its issuer (pki.working_key; `cryptography` refuses such a certificate) and
the to-be-signed part of an object signed with SHA-1 (pki.signing). Input may come from a peer,
so every length is checked against the bytes actually there before anything is sliced, and
only DER is accepted (definite, minimal lengths; single-byte tags), as X.509 requires.
"""

from __future__ import annotations

from dataclasses import dataclass

SEQUENCE = 0x30
INTEGER = 0x02
BIT_STRING = 0x03
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
OCTET_STRING = 0x04
PRINTABLE_STRING = 0x13
SET = 0x31


class DerError(ValueError):
    """Bytes that are not the DER expected; str() says what is wrong, in one line."""


@dataclass(frozen=True, kw_only=True)
class Element:
    """One DER element: its tag, its content, and its whole encoding (tag and length too)."""

    tag: int
    content: bytes
    encoding: bytes

    def children(self) -> list[Element]:
        """The elements inside a constructed element (a SEQUENCE, a SET, a [n] wrapper)."""
        if not self.tag & 0x20:
            raise DerError(f"tag 0x{self.tag:02x} is not constructed")
        return elements(self.content)


def read(data: bytes, offset: int = 0) -> tuple[Element, int]:
    """The element starting at `offset`, and the offset just after it."""
    if offset + 2 > len(data):
        raise DerError("truncated DER element")
    tag, first = data[offset], data[offset + 1]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte DER tags are not used here")
    start = offset + 2
    if first < 0x80:
        length = first
    else:
        width = first & 0x7F
        if width == 0:
            raise DerError("indefinite length is not DER")
        if width > 4:  # more than 4 GB: no certificate is that big
            raise DerError(f"DER length of {width} bytes")
        if start + width > len(data):
            raise DerError("truncated DER length")
        length = int.from_bytes(data[start:start + width], "big")
        if length < 0x80 or data[start] == 0:
            raise DerError("DER length not in its shortest form")
        start += width
    end = start + length
    if end > len(data):
        raise DerError("DER element longer than the data")
    return Element(tag=tag, content=data[start:end], encoding=data[offset:end]), end


def read_one(data: bytes) -> Element:
    """The single element `data` holds, with nothing after it."""
    element, end = read(data)
    if end != len(data):
        raise DerError("trailing bytes after a DER element")
    return element


def elements(data: bytes) -> list[Element]:
    """The consecutive elements filling `data`."""
    found, offset = [], 0
    while offset < len(data):
        element, offset = read(data, offset)
        found.append(element)
    return found


def encode(tag: int, content: bytes) -> bytes:
    """The DER encoding of one element."""
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def encode_integer(value: int) -> bytes:
    """A non-negative INTEGER, with the leading zero byte DER needs when the top bit is set."""
    if value < 0:
        raise ValueError(f"integer {value}: only non-negative integers are encoded here")
    return encode(INTEGER, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def decode_integer(element: Element) -> int:
    """The value of an INTEGER element (two's complement, as DER writes it)."""
    if element.tag != INTEGER or not element.content:
        raise DerError("expected an INTEGER")
    return int.from_bytes(element.content, "big", signed=True)


def encode_oid(dotted: str) -> bytes:
    """The DER encoding of an OBJECT IDENTIFIER given as "1.2.840.113549.1.7.2"."""
    arcs = [int(arc) for arc in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] > 39):
        raise ValueError(f"{dotted!r} is not an object identifier")
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return encode(OBJECT_IDENTIFIER, bytes(body))


def encode_set(members: list[bytes]) -> bytes:
    """A SET OF: DER sorts its members by their encodings."""
    return encode(SET, b"".join(sorted(members)))
