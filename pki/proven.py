"""What validation has proven, remembered for the rest of the process.

Validation is a pure function of its inputs, so a fact proven once holds again for the same
inputs: a signature verified by a key, a CRL's signature and its serial index, a path's
structure (everything but the validity periods) within the window where all its certificates
are valid. Only successes are remembered, never failures, each keyed by everything it depends
on; the checks that depend on the moment (validity, CRL freshness) still run every time.
Memory is bounded: each memo drops its oldest entries beyond its size (first in, first out:
reordering on every hit would hash the key twice per lookup, and a dropped fact that is still
needed is simply proven again).

Memos are shared by every device of a run (one process, one set of memos). `caches_off()`
turns them all off, for tests and benchmarks that compare both ways.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_on = True
_memos: list[Memo] = []


@contextmanager
def caches_off() -> Iterator[None]:
    """Within the block nothing is remembered or recalled: every check runs afresh."""
    global _on
    before, _on = _on, False
    try:
        yield
    finally:
        _on = before


def caching() -> bool:
    return _on


def forget_all() -> None:
    """Empty every memo (a benchmark's cold start)."""
    for memo in _memos:
        memo.clear()


class Memo(Generic[K, V]):
    """A bounded map, oldest first out: at most `size` entries, and at most `weight` in total
    when `weigh` says what an entry weighs."""

    def __init__(self, size: int, *, weight: int | None = None,
                 weigh: Callable[[V], int] | None = None) -> None:
        if size < 1:
            raise ValueError(f"memo size {size}: must be at least 1")
        if (weight is None) != (weigh is None):
            raise ValueError("a weight limit needs a weigh function, and only then")
        self.size = size
        self.weight = weight
        self._weigh = weigh
        self._total = 0
        self._entries: OrderedDict[K, V] = OrderedDict()
        _memos.append(self)

    def get(self, key: K) -> V | None:
        if not _on:
            return None
        return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        if not _on:
            return
        old = self._entries.pop(key, None)
        if old is not None and self._weigh is not None:
            self._total -= self._weigh(old)
        self._entries[key] = value
        if self._weigh is not None:
            self._total += self._weigh(value)
        while len(self._entries) > self.size or (
                self.weight is not None and self._total > self.weight
                and len(self._entries) > 1):
            _, dropped = self._entries.popitem(last=False)
            if self._weigh is not None:
                self._total -= self._weigh(dropped)

    def clear(self) -> None:
        self._entries.clear()
        self._total = 0

    def __len__(self) -> int:
        return len(self._entries)
