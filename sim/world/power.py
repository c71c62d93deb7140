"""A device that goes down and comes back: the topology's `device-down` and `device-up`
events. A device that is down sends and receives nothing (the network drops what is on its way
to it) and its kmd does nothing more; when it comes up it boots, as after a power cycle, with
none of the SAs it had: its peers find out through dead peer detection, or when they next
negotiate. Its certificate store (on disk on a real SRX) and its logs survive."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.world.device import Device
    from sim.world.kmd import SaEntry


def device_down(device: Device) -> None:
    device.world.network.down.add(device.address)
    device.kmd.halted = True


def device_up(device: Device) -> None:
    """Boot the device again, unless it is already up."""
    if not device.kmd.halted:
        return
    device.world.network.down.discard(device.address)
    device.boots += 1
    device.previous_kmds.append(device.kmd)
    device.kmd = device.start_kmd()
    device.rebooted()


def known_sas(device: Device) -> Iterator[tuple[bytes, SaEntry]]:
    """(initiator cookie, SA) of every IKE SA the device's kmd had in the run, those it
    deleted (kmd keeps them) and those of earlier boots included: the capture holds their
    packets, and the key table must decrypt them."""
    for kmd in (*device.previous_kmds, device.kmd):
        yield from kmd.sas.items()
