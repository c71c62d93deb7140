"""kmd's NAT traversal (RFC 3947, RFC 3948) on the wire: the ports an IKE SA uses, the
non-ESP marker in front of IKE on UDP 4500, NAT keepalives, and the trace lines.

An IKE SA starts on UDP 500 both ways. Its peer is answered on the port it spoke from (a NAT
in the path changes the source port of IKE as of any UDP). Once the NAT-D payloads found a NAT,
the initiator sends from and to UDP 4500 (Main Mode message 5, Aggressive Mode message 3 on),
each IKE message led by four zero bytes; the responder moves when the peer's first message on
4500 arrives. A device whose own end is behind the NAT then sends a one-byte 0xFF keepalive to
the peer's NAT-T port every `nat-keepalive` seconds (RFC 3948 2.3), so the NAT keeps the
mapping while no IKE message crosses it.

The sans-I/O half (vendor IDs, NAT-D) is sim.ike.natt; this module is the driver's half.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.ike.natt import (
    IKE_PORT,
    NAT_T_PORT,
    NON_ESP_MARKER,
    Endpoint,
    NatDetected,
    VendorIdsReceived,
)
from sim.ike.phase1 import Phase1Done, Role
from sim.junos import natt_messages as msg
from sim.junos.config import IkeTraceFlag
from sim.world.network import Datagram

if TYPE_CHECKING:
    from sim.world.kmd import Kmd, SaEntry

__all__ = ["EVENTS", "KEEPALIVE", "accepted", "datagram_for", "established", "observed",
           "on_event", "opened", "unwrap"]

KEEPALIVE = b"\xff"  # RFC 3948 2.3
TRACED_VENDOR_IDS = 16  # a message's vendor IDs traced one by one; the rest are counted
EVENTS = (VendorIdsReceived, NatDetected)


def unwrap(kmd: Kmd, datagram: Datagram) -> Datagram | None:
    """What kmd reads of a datagram: on UDP 4500 the IKE message behind the non-ESP marker;
    None for a keepalive or anything else (ESP in UDP is not kmd's)."""
    if datagram.dport != NAT_T_PORT:
        return datagram
    payload = datagram.payload
    if payload.startswith(NON_ESP_MARKER):
        return Datagram(src=datagram.src, dst=datagram.dst, sport=datagram.sport,
                        dport=datagram.dport, payload=payload[len(NON_ESP_MARKER):])
    if payload != KEEPALIVE:
        kmd.log.trace(IkeTraceFlag.IKE, f"Dropping datagram from {datagram.src}:"
                                        f"{datagram.sport} to port {NAT_T_PORT}: not IKE")
    return None


def opened(entry: SaEntry, *, sport: int = IKE_PORT, dport: int = IKE_PORT) -> None:
    """A new SA: its ports, and the endpoints its NAT-D payloads describe."""
    entry.peer_port, entry.local_port = sport, dport
    entry.sa.natt.observe(local=Endpoint(address=entry.local_address, port=dport),
                          remote=Endpoint(address=entry.peer, port=sport))


def observed(entry: SaEntry, datagram: Datagram) -> None:
    """A datagram from the SA's peer address, before the SA reads it: the endpoints its NAT-D
    payloads (if any) are compared with."""
    entry.sa.natt.observe(local=Endpoint(address=entry.local_address, port=datagram.dport),
                          remote=Endpoint(address=datagram.src, port=datagram.sport))


def accepted(entry: SaEntry, datagram: Datagram) -> None:
    """The SA took the datagram: answer where it came from, and move to 4500 if it came
    there. Only then: a forged datagram from the peer's address cannot move the SA."""
    entry.peer_port = datagram.sport
    if datagram.dport == NAT_T_PORT:
        entry.local_port = NAT_T_PORT


def datagram_for(entry: SaEntry, data: bytes) -> Datagram:
    """One of the SA's IKE messages as the datagram that carries it."""
    payload = NON_ESP_MARKER + data if entry.local_port == NAT_T_PORT else data
    return Datagram(src=entry.local_address, dst=entry.peer, sport=entry.local_port,
                    dport=entry.peer_port, payload=payload)


def on_event(kmd: Kmd, entry: SaEntry, event: VendorIdsReceived | NatDetected) -> None:
    if isinstance(event, VendorIdsReceived):
        for index, name in enumerate(event.names[:TRACED_VENDOR_IDS]):
            kmd.log.trace(IkeTraceFlag.IKE, msg.vendor_id(index, name))
        if len(event.names) > TRACED_VENDOR_IDS:  # a peer's count: no flood of lines
            kmd.log.trace(IkeTraceFlag.IKE, msg.more_vendor_ids(
                len(event.names) - TRACED_VENDOR_IDS))
        if entry.sa.natt.enabled and not event.nat_t:
            kmd.log.trace(IkeTraceFlag.IKE, msg.NOT_NEGOTIATED)
        return
    natt = entry.sa.natt
    kmd.log.trace(IkeTraceFlag.IKE, msg.nat_detection(
        local=str(natt.local), remote=str(natt.remote), local_behind=event.local_behind,
        remote_behind=event.remote_behind))
    if event.any and entry.sa.role is Role.INITIATOR:
        # Aggressive Mode's message 3 then carries NAT-D payloads of the 4500 ports it uses.
        opened(entry, sport=NAT_T_PORT, dport=NAT_T_PORT)
        kmd.log.trace(IkeTraceFlag.IKE, msg.moving_to_nat_t_port(
            local=f"{entry.local_address}:{NAT_T_PORT}", remote=f"{entry.peer}:{NAT_T_PORT}"))


def established(kmd: Kmd, entry: SaEntry, done: Phase1Done) -> None:
    """Phase 1 is done: behind a NAT, keep its mapping with keepalives for the SA's life."""
    detected = entry.sa.natt.detected
    if not done.nat_t or detected is None or not detected.local_behind:
        return
    interval = entry.plan.gateway.nat_keepalive if entry.plan else 5
    kmd.log.trace(IkeTraceFlag.IKE, msg.keepalive_started(
        remote=f"{entry.peer}:{entry.peer_port}", interval=interval))
    kmd.env.process(_keepalives(kmd, entry, interval, done.proposal.lifetime_seconds))


def _keepalives(kmd: Kmd, entry: SaEntry, interval: int, lifetime: int):
    ends = kmd.env.now + lifetime
    while kmd.env.now + interval < ends:
        yield kmd.env.timeout(interval)
        if kmd.sas.get(entry.sa.icookie) is not entry:
            return  # the IKE SA is gone (deleted, or replaced by a new negotiation)
        kmd.send_datagram(Datagram(src=entry.local_address, dst=entry.peer, sport=NAT_T_PORT,
                              dport=entry.peer_port, payload=KEEPALIVE))
