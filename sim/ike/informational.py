"""Informational exchanges under an established Phase-1 SA, sans I/O: DELETE payloads (RFC 2408
3.15) naming IKE SAs by their cookies or IPsec SAs by their SPIs, the INITIAL-CONTACT notify
(RFC 2407 4.6.3.3), and what a received Informational says.

Every message here is encrypted with the Phase-1 keys and protected by HASH(1) (RFC 2409 5.7);
sim.ike.quick_mode_wire seals and opens them. One that does not decrypt or authenticate raises
PayloadMalformed, so the driver drops it like any other datagram it cannot trust.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sim.ike.ipsec_proposals import PROTO_IPSEC_ESP
from sim.ike.payloads import (
    PROTO_ISAKMP,
    DeletePayload,
    NotificationPayload,
    NotifyType,
)
from sim.ike.quick_mode_wire import KeyedSA, open_informational, seal_informational

__all__ = ["Informational", "delete_esp", "delete_ike", "initial_contact", "read"]

_COOKIES = 16  # an ISAKMP SA's "SPI" in a DELETE is its two cookies (RFC 2408 3.15)
_ESP_SPI = 4


@dataclass(frozen=True, kw_only=True)
class Informational:
    """What a received Informational asks: the IKE SAs (icookie + rcookie, 16 bytes each) and
    ESP SAs (SPIs, as the peer's inbound = our outbound) it deletes, and its notifications.
    `ignored` counts DELETE payloads of another protocol or SPI size, which name nothing here."""

    message_id: int
    deleted_ike: tuple[bytes, ...] = ()
    deleted_esp: tuple[int, ...] = ()
    notifications: tuple[NotificationPayload, ...] = ()
    ignored: int = 0

    def __post_init__(self) -> None:
        if any(len(c) != _COOKIES for c in self.deleted_ike):
            raise ValueError("an IKE SA is named by 16 bytes of cookies")
        if any(not 0 <= s <= 0xFFFFFFFF for s in self.deleted_esp):
            raise ValueError("an ESP SPI is 32 bits")

    def errors(self) -> tuple[NotifyType, ...]:
        """The error notifications (types below CONNECTED) it carries, unknown codes as
        ABORTED-NOTIFICATION."""
        found = []
        for notify in self.notifications:
            if notify.notify_type >= NotifyType.CONNECTED:
                continue
            try:
                found.append(NotifyType(notify.notify_type))
            except ValueError:
                found.append(NotifyType.ABORTED_NOTIFICATION)
        return tuple(found)


def delete_ike(phase1: KeyedSA, message_id: int, *,
               notify: NotifyType | None = None) -> bytes:
    """The Informational that deletes `phase1` itself, optionally after a notification (an
    initiator that refuses the responder's identity says why, then deletes)."""
    cookies = phase1.icookie + phase1.rcookie
    payloads: list = []
    if notify is not None:
        payloads.append(NotificationPayload(notify_type=notify, spi=cookies))
    payloads.append(DeletePayload(spis=(cookies,)))
    return seal_informational(phase1, message_id, *payloads)


def delete_esp(phase1: KeyedSA, message_id: int, spis: Sequence[int]) -> bytes:
    """The Informational that deletes ESP SAs, named by the SPIs we receive on (RFC 2408 3.15:
    the sender names the SAs it is removing, inbound SPIs, which the peer sends to)."""
    if not spis:
        raise ValueError("a DELETE names at least one SPI")
    return seal_informational(phase1, message_id, DeletePayload(
        protocol_id=PROTO_IPSEC_ESP, spi_size=_ESP_SPI,
        spis=tuple(spi.to_bytes(_ESP_SPI, "big") for spi in spis)))


def initial_contact(icookie: bytes, rcookie: bytes) -> NotificationPayload:
    """INITIAL-CONTACT (24578): "this is my first SA with you; forget the old ones"."""
    return NotificationPayload(notify_type=NotifyType.INITIAL_CONTACT, protocol_id=PROTO_ISAKMP,
                               spi=icookie + rcookie)


def read(phase1: KeyedSA, datagram: bytes) -> Informational:
    """Decrypt and authenticate an Informational under `phase1`; PayloadMalformed if it does
    not. DELETEs of ISAKMP SAs count only with 16-byte SPIs, of ESP SAs with 4-byte ones."""
    message = open_informational(phase1, datagram)
    ike: list[bytes] = []
    esp: list[int] = []
    ignored = 0
    for delete in message.all(DeletePayload):
        if delete.protocol_id == PROTO_ISAKMP and delete.spi_size == _COOKIES:
            ike.extend(delete.spis)
        elif delete.protocol_id == PROTO_IPSEC_ESP and delete.spi_size == _ESP_SPI:
            esp.extend(int.from_bytes(spi, "big") for spi in delete.spis)
        else:
            ignored += 1
    return Informational(message_id=message.header.message_id, deleted_ike=tuple(ike),
                         deleted_esp=tuple(esp),
                         notifications=tuple(message.all(NotificationPayload)),
                         ignored=ignored)
