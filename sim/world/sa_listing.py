"""The SA records kmd lists in `show` (IKE SAs, IPsec SA pairs), in the order they came up.

A hub with thousands of spokes deletes, counts and replaces records on every rekey; a list
found each one by comparing every dataclass, so a long run grew quadratic. Here each record is
found by identity (kmd keeps the very object it listed: entry.record, qm.record), in constant
time, and iteration keeps the order of a list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

R = TypeVar("R")


class SaListing(Generic[R]):
    """An ordered collection of records, each found by identity."""

    def __init__(self) -> None:
        self._slots: dict[int, R] = {}  # slot -> record; a dict keeps insertion order
        self._slot_of: dict[int, int] = {}  # id(record) -> its slot
        self._next = 0

    def append(self, record: R) -> None:
        self._slots[self._next] = record
        self._slot_of[id(record)] = self._next
        self._next += 1

    def __contains__(self, record: object) -> bool:
        return id(record) in self._slot_of

    def remove(self, record: R) -> None:
        """Remove this very record; KeyError when it is not listed."""
        del self._slots[self._slot_of.pop(id(record))]

    def replace(self, old: R, new: R) -> None:
        """Put `new` where `old` is listed (same place in the order)."""
        slot = self._slot_of.pop(id(old))
        self._slots[slot] = new
        self._slot_of[id(new)] = slot

    def clear(self) -> None:
        self._slots.clear()
        self._slot_of.clear()

    def __iter__(self) -> Iterator[R]:
        return iter(self._slots.values())

    def __len__(self) -> int:
        return len(self._slots)

    def __bool__(self) -> bool:
        return bool(self._slots)
