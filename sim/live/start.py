"""--start TIME: the topology's start moved to another date, so that its certificates and
CRLs are valid when a real peer, which reads the real clock, checks them. The same TIME given
to `ikesim pki export` and `ikesim peer` gives the same certificates (keys never depend on
it), e.g. START=$(date -u +%Y-%m-%dT%H:%M:%SZ)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from pki.files import shown
from sim.live.endpoints import PeerSetupError
from sim.topology import Topology
from sim.topology.limits import EARLIEST_START, LATEST_START


def parse_start(text: str) -> dt.datetime:
    """`now` (this second, UTC) or an ISO 8601 time (UTC when it names no zone)."""
    if text == "now":
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        when = dt.datetime.fromisoformat(text)
        when = (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise PeerSetupError(f"--start {shown(text)}: not an ISO 8601 time such as "
                         "2026-12-01T21:00:00Z, nor now") from None
    if not EARLIEST_START <= when <= LATEST_START:
        raise PeerSetupError(f"--start {shown(text)}: outside {EARLIEST_START.year}.."
                         f"{LATEST_START.year}")
    return when


def started(topology: Topology, text: str | None) -> Topology:
    """The topology, starting at --start TIME when given."""
    return topology if text is None else replace(topology, start=parse_start(text))
