"""Vendor ID payloads: the ones an SRX sends in the first message of each side (Main Mode 1
and 2, Aggressive Mode 1 and 2), and the names of the ones it knows when a peer sends them.

Each known vendor ID is the MD5 of a text (RFC 3947 section 3.1 for "RFC 3947"; the drafts
did the same with their own names, "draft-ietf-ipsec-nat-t-ike-02\\n" with a newline that
draft's text carried by mistake and implementations kept). The table is built from the texts,
so a reader can check each value against any vendor ID table (strongSwan's, libreswan's).

Which of them a 12.1X46 SRX sends is an inference [I]: its QuickSec kmd announces RFC 3947 and
the drafts a peer of its time may still speak (03, 02\\n, 02); we found no capture to
confirm the exact list or its order. Other capabilities (dead-peer-detection) add their own
entry to KNOWN and to what a gateway announces.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["DPD", "KNOWN", "NAT_T_DRAFTS", "NAT_T_RFC3947", "VendorId", "announced", "name_of",
           "names_of", "nat_t_vendor_ids"]


@dataclass(frozen=True, kw_only=True)
class VendorId:
    """A vendor ID: the name it is known by, and its bytes on the wire."""

    name: str
    data: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("a vendor ID needs a name")
        if not isinstance(self.data, bytes) or not self.data:
            raise ValueError(f"vendor ID {self.name}: its data must be non-empty bytes")

    @classmethod
    def md5_of(cls, text: str, *, name: str | None = None) -> VendorId:
        return cls(name=name or text, data=hashlib.md5(text.encode("ascii")).digest())


NAT_T_RFC3947 = VendorId.md5_of("RFC 3947")
NAT_T_DRAFTS = (
    VendorId.md5_of("draft-ietf-ipsec-nat-t-ike-03"),
    VendorId.md5_of("draft-ietf-ipsec-nat-t-ike-02\n", name="draft-ietf-ipsec-nat-t-ike-02\\n"),
    VendorId.md5_of("draft-ietf-ipsec-nat-t-ike-02"),
)
# RFC 3706 section 3 (its last two bytes are the major/minor version 1.0); sim.ike.dpd.
DPD = VendorId(name="RFC 3706 DPD", data=bytes.fromhex("afcad71368a1f1c96b8696fc77570100"))
# Drafts we recognise when a peer sends them, but do not announce.
_RECOGNISED_ONLY = (VendorId.md5_of("draft-ietf-ipsec-nat-t-ike-00"),
                    VendorId.md5_of("draft-ietf-ipsec-nat-t-ike-01"))

# bytes -> name of every vendor ID ikesim recognises in a peer's message.
KNOWN: dict[bytes, str] = {v.data: v.name for v in (NAT_T_RFC3947, *NAT_T_DRAFTS,
                                                     *_RECOGNISED_ONLY, DPD)}


def nat_t_vendor_ids() -> tuple[bytes, ...]:
    """What a gateway with NAT traversal enabled (Junos's default) announces, in order."""
    return (NAT_T_RFC3947.data, *(v.data for v in NAT_T_DRAFTS))


def name_of(data: bytes) -> str:
    """A received vendor ID as a name, or its bytes in hex (a peer's bytes are never shown
    raw); a long unknown one is cut to 32 bytes of hex and marked."""
    known = KNOWN.get(data)
    if known is not None:
        return known
    if len(data) > 32:
        return data[:32].hex() + "..."
    return data.hex()


def names_of(vendor_ids: Iterable[bytes]) -> tuple[str, ...]:
    return tuple(name_of(v) for v in vendor_ids)


def announced(*, nat_traversal: bool) -> tuple[bytes, ...]:
    """The vendor IDs a gateway sends in its first message: NAT-T's unless the gateway says
    `no-nat-traversal`."""
    return nat_t_vendor_ids() if nat_traversal else ()
