"""`security ike gateway NAME dead-peer-detection`: when kmd probes its peer with R-U-THERE
(RFC 3706) and after how many unanswered probes it declares the peer dead.

    dead-peer-detection { (always-send | optimized | probe-idle-tunnel); interval SECONDS;
                          threshold N; }

Ranges and defaults: threshold 1..5, default 5, and interval default 10 s agree in every
reference found (JUNOS ES 9.3 CLI reference; today's Junos CLI reference). The interval's range
stays 10..60 s, the range ikesim took for 9.3-12.1X4x before DPD was modelled [U]: the 9.3
page prints "0 through 60" (0 cannot be an interval) and today's "2 through 60" (a later
release widened it); no 12.1X46 page was found. `optimized` and `probe-idle-tunnel` came
with 12.1X46-D10 (today's reference, Release Information), the guide's release, which makes
`optimized` the default mode: probe only when what we sent the peer has had no answer for
an interval. `always-send` probes every interval whatever the traffic; `probe-idle-tunnel`
probes when the tunnel carried nothing either way for an interval.
The three modes are a choice: as Junos does, the one set last replaces the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from pki.profiles import check_range
from sim.ike.dpd import DpdMode

INTERVAL_RANGE = (10, 60)
THRESHOLD_RANGE = (1, 5)


@dataclass(frozen=True, kw_only=True)
class DeadPeerDetection:
    mode: DpdMode = DpdMode.OPTIMIZED
    interval: int = 10
    threshold: int = 5

    def __post_init__(self) -> None:
        if not isinstance(self.mode, DpdMode):
            raise TypeError(f"mode must be a DpdMode, not {type(self.mode).__name__}")
        check_range("dead-peer-detection interval", self.interval, *INTERVAL_RANGE)
        check_range("dead-peer-detection threshold", self.threshold, *THRESHOLD_RANGE)


def chosen_mode(lines: dict[DpdMode, int]) -> DpdMode:
    """The mode set last (`lines`: each configured mode's line), or the default."""
    if not lines:
        return DpdMode.OPTIMIZED
    return max(lines, key=lambda mode: lines[mode])
