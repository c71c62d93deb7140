"""`show version`: the device's name, model and Junos release.

The release is the guide's own, 12.1X46-D10; the layout is the short one branch SRX Series
devices print in the 12.1X4x releases (Hostname, Model, then the bracketed release) [I]: the
guide has no sample of it. The model is ikesim's default device, an SRX240.
"""

from __future__ import annotations

from sim.junos.device_state import DeviceState

__all__ = ["JUNOS_RELEASE", "MODEL", "render_version"]

JUNOS_RELEASE = "12.1X46-D10.2"
# A topology does not name the hardware: every simulated device is a branch SRX240.
MODEL = "srx240"


def render_version(state: DeviceState) -> str:
    return "\n".join([f"Hostname: {state.name}", f"Model: {MODEL}",
                      f"JUNOS Software Release [{JUNOS_RELEASE}]"])
