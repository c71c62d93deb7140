"""Which message of a failed negotiation the network never delivered, and why, in one sentence
for results.json (`network_cause`).

kmd's Timeout says only that no answer came; the simulator knows what the path did. Main Mode
message 5 that crossed a link dropping IP fragments six times reads:

    Main Mode message 5 (1,864 bytes, 2 IP fragments) was sent 6 times and never arrived: the
    link drops IP fragments
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

_EXCHANGES = {"IDENTITY_PROTECTION": "Main Mode", "AGGRESSIVE": "Aggressive Mode",
              "QUICK_MODE": "Quick Mode", "INFORMATIONAL": "Informational"}


class Sending(Protocol):
    """One copy of a message, as results.Message records it."""

    exchange: str
    number: int
    size: int
    ip_packets: int
    lost: str | None


def undelivered(messages: Sequence[Sending]) -> str | None:
    """The first message every copy of which was lost, or None (each got through at least
    once, or none was lost)."""
    copies: dict[int, list[Sending]] = {}
    for message in messages:
        copies.setdefault(message.number, []).append(message)
    first_of: dict[str, int] = {}
    for number in sorted(copies):
        first_of.setdefault(copies[number][0].exchange, number)
    for number in sorted(copies):
        sent = copies[number]
        if any(copy.lost is None for copy in sent):
            continue
        head = sent[0]
        exchange = _EXCHANGES.get(head.exchange, head.exchange)
        position = number - first_of[head.exchange] + 1
        pieces = f", {head.ip_packets} IP fragments" if head.ip_packets > 1 else ""
        reasons = [copy.lost for copy in sent]
        reason = max(dict.fromkeys(reasons), key=reasons.count)  # the most frequent, first
        times = "once" if len(sent) == 1 else f"{len(sent)} times"
        return (f"{exchange} message {position} ({head.size:,} bytes{pieces}) was sent {times} "
                f"and never arrived: {reason}")
    return None
