"""A device that goes down and comes back: the topology's `device-down` and `device-up`
events. A device that is down sends and receives nothing (the network drops what is on its way
to it) and its kmd does nothing more; when it comes up it boots, as after a power cycle, with
none of the SAs it had: its peers find out through dead peer detection, or when they next
negotiate. Its certificate store (on disk on a real SRX) and its logs survive."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.device import Device


def device_down(device: Device) -> None:
    device.world.network.down.add(device.address)
    device.kmd.halted = True


def device_up(device: Device) -> None:
    """Boot the device again, unless it is already up."""
    if not device.kmd.halted:
        return
    device.world.network.down.discard(device.address)
    device.boots += 1
    device.kmd = device.start_kmd()
