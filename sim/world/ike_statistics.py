"""The `Traffic statistics` of an IKE SA (`show security ike security-associations index N
detail`): the IKE datagrams, and their bytes, a device sent and received under the SA's
cookies, Phase 1, Quick Mode and Informational alike. Counted where datagrams enter and leave
the device (sim.world.device), keyed by the initiator's cookie, which every message of the SA
carries first."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sim.ike.natt import NAT_T_PORT, NON_ESP_MARKER
from sim.junos.device_state import IkeSaRecord

if TYPE_CHECKING:
    from sim.world.network import Datagram

COOKIE = 8


class IkeTrafficCounters:
    def __init__(self) -> None:
        # initiator cookie -> [input bytes, output bytes, input packets, output packets]
        self._counts: dict[bytes, list[int]] = {}

    def _add(self, message: bytes, direction: int) -> None:
        if len(message) < COOKIE:
            return
        counts = self._counts.setdefault(message[:COOKIE], [0, 0, 0, 0])
        counts[direction] += len(message)
        counts[direction + 2] += 1

    def received(self, datagram: Datagram) -> None:
        self._add(_message(datagram), 0)

    def sent(self, datagram: Datagram) -> None:
        self._add(_message(datagram), 1)

    def record(self, sa: IkeSaRecord) -> IkeSaRecord:
        """`sa` with its counters."""
        counts = self._counts.get(bytes.fromhex(sa.initiator_cookie), [0, 0, 0, 0])
        return replace(sa, input_bytes=counts[0], output_bytes=counts[1],
                       input_packets=counts[2], output_packets=counts[3])


def _message(datagram: Datagram) -> bytes:
    """The IKE message a datagram carries: on UDP 4500 (NAT-T) behind the non-ESP marker, which
    would otherwise hide the cookie the message is counted under."""
    payload = datagram.payload
    if NAT_T_PORT in (datagram.sport, datagram.dport) and payload.startswith(NON_ESP_MARKER):
        return payload[len(NON_ESP_MARKER):]
    return payload
