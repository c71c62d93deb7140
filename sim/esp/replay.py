"""The receiver's anti-replay window (RFC 4303 3.4.3 and appendix A): a packet whose sequence
number was already received, or is older than the window, is refused.

The check comes before the ICV (it is cheap and refuses duplicates early) and the window moves
only after the ICV holds, so a forged packet cannot push the window forward.
"""

from __future__ import annotations

# The guide's release shows `Replay window size: 32` in every IPsec SA detail sample: its
# window is RFC 4303's minimum, not the 64 the RFC recommends. `show` reads this constant too.
REPLAY_WINDOW = 32


class ReplayWindow:
    """The highest sequence number received and a bitmap of the `size` numbers below it."""

    def __init__(self, size: int = REPLAY_WINDOW) -> None:
        if not isinstance(size, int) or not 1 <= size <= 1024:
            raise ValueError(f"replay window {size!r}: 1..1024 packets")
        self.size = size
        self.top = 0
        self._bits = 0  # bit i set: sequence number top - i was received

    def acceptable(self, seq: int) -> bool:
        """Would `seq` be taken (new, and not older than the window)? Changes nothing."""
        if seq == 0:  # never sent: the first packet is 1 (RFC 4303 3.3.3)
            return False
        if seq > self.top:
            return True
        behind = self.top - seq
        return behind < self.size and not (self._bits >> behind) & 1

    def accept(self, seq: int) -> None:
        """Record `seq` as received (call only after `acceptable` and the ICV check)."""
        if not self.acceptable(seq):
            raise ValueError(f"sequence number {seq} is not acceptable")
        if seq > self.top:
            shift = seq - self.top
            self._bits = ((self._bits << shift) | 1) & ((1 << self.size) - 1)
            self.top = seq
        else:
            self._bits |= 1 << (self.top - seq)
