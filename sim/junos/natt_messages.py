"""kmd's trace lines for vendor IDs and NAT traversal.

[I] No device sample of these lines was found: they follow QuickSec's habit of naming the
state function (ike_st_i_vid, ike_st_i_nat_d) and say what an SRX decides at each step. Every
value a peer chose reaches them as a name from sim.ike.vendor_ids (unknown bytes as hex) or
an address and port, never as the peer's raw bytes.
"""

from __future__ import annotations

__all__ = ["NOT_NEGOTIATED", "keepalive_started", "more_vendor_ids", "moving_to_nat_t_port",
           "nat_detection", "vendor_id"]

NOT_NEGOTIATED = "NAT-T: not negotiated: the peer sent no RFC 3947 vendor ID"


def vendor_id(index: int, name: str) -> str:
    return f"ike_st_i_vid: VID[{index}] = {name}"


def more_vendor_ids(count: int) -> str:
    return f"ike_st_i_vid: {count} more VID payloads not shown"


def nat_detection(*, local: str, remote: str, local_behind: bool, remote_behind: bool) -> str:
    if local_behind and remote_behind:
        where = "both ends are behind NAT"
    elif local_behind:
        where = "local end is behind NAT"
    elif remote_behind:
        where = "remote end is behind NAT"
    else:
        where = "no NAT detected"
    return f"ike_st_i_nat_d: NAT-T: {where} (local {local}, remote {remote})"


def moving_to_nat_t_port(*, local: str, remote: str) -> str:
    return f"NAT-T: IKE SA moves to port 4500: local {local}, remote {remote}"


def keepalive_started(*, remote: str, interval: int) -> str:
    return f"NAT-T: sending NAT keepalives to {remote} every {interval} seconds"
