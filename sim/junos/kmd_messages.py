"""The kmd log lines, worded as the PKI guide prints them (Chapter 11, "Troubleshooting IKE,
PKI, and IPsec Issues"), without their timestamp.

    Phase-1 [responder] done for local=ipv4(udp:500,[0..3]=1.1.1.2) remote=fqdn(udp:500,...)
    Phase-1 [responder] failed with error(No proposal chosen) for local=unknown(any:0,[0..0]=) ...
    1.1.1.2:500 (Responder) <-> 2.2.2.2:500 { 011359c9 ddef501d - 2216ed2a bfc50f5f [- 1] /
        0x00000000 } IP; Error = No proposal chosen (14)
    Unable to find phase-1 policy as remote peer:2.2.2.2 is not recognized.
"""

from __future__ import annotations

import ipaddress

from sim.ike.ids import IdType, IkeId, render
from sim.ike.payloads import ExchangeType, NotifyType

# Exchange abbreviations after the SA brackets; "IP" and "QM" are the guide's, the others
# follow the same SSH toolkit naming (unverified).
EXCHANGE_ABBREVIATIONS = {"main": "IP", "aggressive": "Ag", "quick": "QM", "info": "Info"}


def phase1_done(role: str, local: IkeId | None, remote: IkeId | None) -> str:
    return f"Phase-1 [{role}] done for local={render(local)} remote={render(remote)}"


def phase1_failed(role: str, error: NotifyType, local: IkeId | None,
                  remote: IkeId | None) -> str:
    return (f"Phase-1 [{role}] failed with error({error.text}) for local={render(local)} "
            f"remote={render(remote)}")


# Failures the guide prints with the local ID (the responder got as far as its gateway).
_AUTH_ERRORS = frozenset({NotifyType.AUTHENTICATION_FAILED, NotifyType.INVALID_SIGNATURE,
                          NotifyType.INVALID_CERTIFICATE, NotifyType.INVALID_ID_INFORMATION,
                          NotifyType.CERTIFICATE_UNAVAILABLE})


def phase1_failure_ids(*, error: NotifyType, local_id: IkeId | None, remote_id: IkeId | None,
                       configured_local_id: IkeId, configured_remote_id: IkeId | None,
                       id_mismatch: bool, peer: str) -> tuple[IkeId | None, IkeId]:
    """The (local, remote) IDs the "Phase-1 [...] failed" line names, as the guide's samples
    do: the local ID once authentication was reached, the configured remote ID for a refused
    proposal, the peer's ID when it was received and believed, else its address."""
    local = local_id
    if local is None and error in _AUTH_ERRORS:
        local = configured_local_id
    if error is NotifyType.NO_PROPOSAL_CHOSEN and configured_remote_id is not None:
        return local, configured_remote_id
    if remote_id is not None and not id_mismatch and error is not NotifyType.TIMEOUT:
        return local, remote_id
    return local, peer_address_id(peer)


def _cookie(c: bytes) -> str:
    return f"{c[:4].hex()} {c[4:].hex()}"


def _sa(*, local: str, remote: str, role: str, icookie: bytes, rcookie: bytes, exchange: str,
        message_id: int, negotiation: str, ports: tuple[int, int] = (500, 500)) -> str:
    return (f"{local}:{ports[0]} ({role.capitalize()}) <-> {remote}:{ports[1]} {{ "
            f"{_cookie(icookie)} - "
            f"{_cookie(rcookie)} [{negotiation}] / 0x{message_id:08x} }} "
            f"{EXCHANGE_ABBREVIATIONS[exchange]}")


def sa_error(*, local: str, remote: str, role: str, icookie: bytes, rcookie: bytes,
             exchange: str, error: NotifyType, message_id: int = 0,
             negotiation: str = "- 1", ports: tuple[int, int] = (500, 500)) -> str:
    """The SA error line; `negotiation` is "- 1" for Phase 1 and the index ("0") in Quick Mode;
    `ports` (local, remote) are the IKE SA's: 4500 after NAT-T's float."""
    return (_sa(local=local, remote=remote, role=role, icookie=icookie, rcookie=rcookie,
                exchange=exchange, message_id=message_id, negotiation=negotiation, ports=ports)
            + f"; Error = {error.text} ({error.value})")


# How the SA line names each exchange a datagram may carry.
EXCHANGE_NAMES = {ExchangeType.IDENTITY_PROTECTION: "main", ExchangeType.AGGRESSIVE: "aggressive",
                  ExchangeType.QUICK_MODE: "quick", ExchangeType.INFORMATIONAL: "info"}


def packet_dropped(*, local: str, remote: str, role: str, icookie: bytes, rcookie: bytes,
                   exchange: ExchangeType, message_id: int, reason: str,
                   error: NotifyType | None, ports: tuple[int, int] = (500, 500)) -> str:
    """The trace line for a datagram kmd drops inside a negotiation: the SA line of the
    packet's header (as QuickSec's SSH_IKE_DEBUG prefixes its packet errors), why, and the
    notify code the decoder found (our wording; QuickSec's own texts vary by check)."""
    code = f" ({error.text} ({error.value}))" if error is not None else ""
    return (_sa(local=local, remote=remote, role=role, icookie=icookie, rcookie=rcookie,
                exchange=EXCHANGE_NAMES[exchange], message_id=message_id, negotiation="- 1",
                ports=ports)
            + f"; Packet dropped: {reason}{code}")


def unknown_peer(peer_address: str) -> str:
    return f"Unable to find phase-1 policy as remote peer:{peer_address} is not recognized."


def peer_address_id(address: str) -> IkeId:
    """How kmd shows a peer it knows only by address: `ipv4(any:0,[0..3]=2.2.2.2)`."""
    return IkeId.ipv4(address, protocol=0, port=0)


def p1_address_id(address: str) -> IkeId:
    """An IKE SA's end by its address, as KMD_PM_P2_POLICY_LOOKUP_FAILURE names p1_local and
    p1_remote: `ipv4(udp:500,[0..3]=2.2.2.2)`."""
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        return IkeId.ipv4(address)
    return IkeId(id_type=IdType.IPV6_ADDR, data=ip.packed)


def p2_policy_lookup_failure(*, role: str, local_address: str, peer_address: str,
                             p2_local: IkeId | None, p2_remote: IkeId | None) -> str:
    """The guide's KMD_PM_P2_POLICY_LOOKUP_FAILURE (Chapter 11, "Analyzing the Phase 2 Failure
    Message"): p1_local and p1_remote are the SA's addresses (the sample's
    p1_remote=ipv4(udp:500,[0..3]=2.2.2.2) for the peer whose Phase-1 line says
    remote=fqdn(udp:500,[0..15]=ssg5.example.net)), not the Phase-1 identities."""
    return (f"KMD_PM_P2_POLICY_LOOKUP_FAILURE: Policy lookup for Phase-2 [{role}] failed for "
            f"p1_local={render(p1_address_id(local_address))} "
            f"p1_remote={render(p1_address_id(peer_address))} "
            f"p2_local={render(p2_local)} p2_remote={render(p2_remote)}")


# -- syslog (/var/log/messages) lines of later Junos releases --------------------------------
# The success line and KMD_VPN_UP_ALARM_USER are copied from real devices (junos-messages.md
# section 4); the failure line is the same line's documented "failed with error" variant.


def _id_value(ike_id: IkeId | str | None) -> str:
    # A str is the value already (from a saved SA record, as `clear` writes the line).
    if isinstance(ike_id, str):
        return ike_id
    return ike_id.value_text() if ike_id is not None else "Not-Available"


def negotiation_completed(*, vpn: str | None, gateway: str, local: str, remote: str,
                          local_id: IkeId | None, remote_id: IkeId | None, role: str,
                          local_port: int = 500, remote_port: int = 500) -> str:
    return (f"IKE negotiation successfully completed. IKE Version: 1, VPN: "
            f"{vpn or 'Not-Available'} Gateway: {gateway}, Local: {local}/{local_port}, "
            f"Remote: {remote}/{remote_port}, Local IKE-ID: {_id_value(local_id)}, Remote IKE-ID: "
            f"{_id_value(remote_id)}, VR-ID: 0, Role: {role.capitalize()}")


def negotiation_failed(*, error: NotifyType, vpn: str | None, gateway: str, local: str,
                       remote: str, local_id: IkeId | None, remote_id: IkeId | None,
                       role: str) -> str:
    return (f"IKE negotiation failed with error: {error.text}. IKE Version: 1, VPN: "
            f"{vpn or 'Not-Available'} Gateway: {gateway}, Local: {local}/500, "
            f"Remote: {remote}/500, Local IKE-ID: {_id_value(local_id)}, Remote IKE-ID: "
            f"{_id_value(remote_id)}, VR-ID: 0, Role: {role.capitalize()}")


def vpn_up(*, vpn: str, gateway: str, local: str, remote: str, tunnel_id: int,
           tunnel_interface: str | None, local_id: IkeId | None, remote_id: IkeId | None,
           p2_local: IkeId, p2_remote: IkeId) -> str:
    return (f"KMD_VPN_UP_ALARM_USER: VPN {vpn} from {remote} is up. Local-ip: {local}, "
            f"gateway name: {gateway}, vpn name: {vpn}, tunnel-id: {tunnel_id}, local "
            f"tunnel-if: {tunnel_interface or 'Not-Available'}, remote tunnel-ip: "
            f"Not-Available, Local IKE-ID: {_id_value(local_id)}, Remote IKE-ID: "
            f"{_id_value(remote_id)}, AAA username: Not-Applicable, VR id: 0, "
            f"Traffic-selector: , Traffic-selector local ID: {render(p2_local)}, "
            f"Traffic-selector remote ID: {render(p2_remote)}, SA Type: Static")


# -- trace lines (traceoptions flag ike / certificates) --------------------------------------
# Format strings of the SSH/QuickSec IKE library kmd is built on (junos-messages.md section 5).

_XCHG = {"main": "Identity protect", "aggressive": "Aggressive"}
_AUTH = {"pre-shared-keys": "Pre shared keys",
         "rsa-signatures": "RSA signatures", "dsa-signatures": "DSS signatures",
         "ecdsa-signatures-256": "ECDSA signatures", "ecdsa-signatures-384": "ECDSA signatures"}


def all_done(*, icookie: bytes, rcookie: bytes, mode: str, role: str,
             statements: dict[str, str | int], key_bytes: int, group: int) -> str:
    cipher = str(statements["encryption-algorithm"])
    hash_name = str(statements["authentication-algorithm"])
    method = _AUTH[str(statements["authentication-method"])]
    return (f"ike_st_o_all_done: MESSAGE: Phase 1 {{ 0x{icookie[:4].hex()} {icookie[4:].hex()} "
            f"- 0x{rcookie[:4].hex()} {rcookie[4:].hex()} }} / 00000000, version = 1.0, "
            f"xchg = {_XCHG[mode]}, auth_method = {method}, "
            f"{role.capitalize()}, cipher = {cipher}, hash = {hash_name}, prf = hmac-{hash_name}, "
            f"life = 0 kB / {statements['lifetime-seconds']} sec, key len = {key_bytes}, "
            f"group = {group}")


def negotiation_done(*, local: str, remote: str, status: str) -> str:
    return f"IKE negotiation done for local:{local}, remote:{remote} IKEv1 with status: {status}"


# -- dead peer detection (RFC 3706) ------------------------------------------------------------


def dpd_notification(*, local: str, remote: str, role: str, icookie: bytes, rcookie: bytes,
                     message_id: int, notify: NotifyType, sequence: int, sent: bool,
                     ports: tuple[int, int] = (500, 500)) -> str:
    """The trace line of an R-U-THERE or R-U-THERE-ACK: the Informational's SA line, then the
    notification by its Junos name ("DPD Are You There", "DPD I Am Here") and its sequence
    number [I]: no device sample of this line was found."""
    return (_sa(local=local, remote=remote, role=role, icookie=icookie, rcookie=rcookie,
                exchange="info", message_id=message_id, negotiation="- 1", ports=ports)
            + f"; {'Sent' if sent else 'Received'} notification {notify.text} "
              f"({notify.value}), sequence number {sequence}")


def dpd_peer_down(peer: str) -> str:
    """The line of a peer DPD declared dead (junos-messages.md section 4)."""
    return f"KMD_DPD_PEER_DOWN: DPD detected peer {peer} is dead"


# -- the end of SAs: deletes, expiry, rekeys ---------------------------------------------------
# KMD_VPN_DOWN_ALARM_USER is a real device's line (junos-messages.md section 4), its Reason
# texts for expiry, rekey failure and the peer's DELETE are ours [I]: the one documented
# reason is "Tunnel configuration is deleted. Corresponding IKE/IPSec SAs are deleted".


def vpn_down(*, vpn: str, gateway: str, local: str, remote: str, tunnel_id: int,
             tunnel_interface: str | None, local_id: IkeId | str | None,
             remote_id: IkeId | str | None,
             p2_local: IkeId | str, p2_remote: IkeId | str, reason: str) -> str:
    def ts(value: IkeId | str) -> str:
        return value if isinstance(value, str) else render(value)

    return (f"KMD_VPN_DOWN_ALARM_USER: VPN {vpn} from {remote} is down. Local-ip: {local}, "
            f"gateway name: {gateway}, vpn name: {vpn}, tunnel-id: {tunnel_id}, local "
            f"tunnel-if: {tunnel_interface or 'Not-Available'}, remote tunnel-ip: "
            f"Not-Available, Local IKE-ID: {_id_value(local_id)}, Remote IKE-ID: "
            f"{_id_value(remote_id)}, AAA username: Not-Applicable, VR id: 0, "
            f"Traffic-selector: , Traffic-selector local ID: {ts(p2_local)}, "
            f"Traffic-selector remote ID: {ts(p2_remote)}, SA Type: Static, Reason: {reason}")


def delete_line(*, local: str, remote: str, role: str, icookie: bytes, rcookie: bytes,
                message_id: int, sent: bool, what: str,
                ports: tuple[int, int] = (500, 500)) -> str:
    """The trace line for a DELETE sent or received: the SA line of the Informational, then
    what it deletes ("ISAKMP SA", "ESP SPI 0x1a24eab9"). QuickSec's own wording of its delete
    traces was not found; the shape follows its SA line [I]."""
    verb = "sent" if sent else "received"
    return (_sa(local=local, remote=remote, role=role, icookie=icookie, rcookie=rcookie,
                exchange="info", message_id=message_id, negotiation="- 1", ports=ports)
            + f"; Delete payload {verb}: {what}")
