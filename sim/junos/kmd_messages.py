"""The kmd log lines, worded as the PKI guide prints them (Chapter 11, "Troubleshooting IKE,
PKI, and IPsec Issues"), without their timestamp.

    Phase-1 [responder] done for local=ipv4(udp:500,[0..3]=1.1.1.2) remote=fqdn(udp:500,...)
    Phase-1 [responder] failed with error(No proposal chosen) for local=unknown(any:0,[0..0]=) ...
    1.1.1.2:500 (Responder) <-> 2.2.2.2:500 { 011359c9 ddef501d - 2216ed2a bfc50f5f [- 1] /
        0x00000000 } IP; Error = No proposal chosen (14)
    Unable to find phase-1 policy as remote peer:2.2.2.2 is not recognized.
"""

from __future__ import annotations

from sim.ike.ids import IkeId, render
from sim.ike.payloads import NotifyType

# Exchange abbreviations after the SA brackets; "IP" and "QM" are the guide's, the others
# follow the same SSH toolkit naming (unverified).
EXCHANGE_ABBREVIATIONS = {"main": "IP", "aggressive": "Ag", "quick": "QM", "info": "Info"}


def phase1_done(role: str, local: IkeId | None, remote: IkeId | None) -> str:
    return f"Phase-1 [{role}] done for local={render(local)} remote={render(remote)}"


def phase1_failed(role: str, error: NotifyType, local: IkeId | None,
                  remote: IkeId | None) -> str:
    return (f"Phase-1 [{role}] failed with error({error.text}) for local={render(local)} "
            f"remote={render(remote)}")


def _cookie(c: bytes) -> str:
    return f"{c[:4].hex()} {c[4:].hex()}"


def sa_error(*, local: str, remote: str, role: str, icookie: bytes, rcookie: bytes,
             exchange: str, error: NotifyType, message_id: int = 0,
             negotiation: str = "- 1") -> str:
    """The SA error line; `negotiation` is "- 1" for Phase 1 and the index ("0") in Quick Mode."""
    return (f"{local}:500 ({role.capitalize()}) <-> {remote}:500 {{ {_cookie(icookie)} - "
            f"{_cookie(rcookie)} [{negotiation}] / 0x{message_id:08x} }} "
            f"{EXCHANGE_ABBREVIATIONS[exchange]}; Error = {error.text} ({error.value})")


def unknown_peer(peer_address: str) -> str:
    return f"Unable to find phase-1 policy as remote peer:{peer_address} is not recognized."


def peer_address_id(address: str) -> IkeId:
    """How kmd shows a peer it knows only by address: `ipv4(any:0,[0..3]=2.2.2.2)`."""
    return IkeId.ipv4(address, protocol=0, port=0)
