"""`clear security ike security-associations [PEER-ADDRESS]` and `clear security ipsec
security-associations [index N]`: kmd tears the SAs down and they are gone from the show
commands.

Like the other clear commands, they print nothing. kmd logs each SA it deletes in the words it
uses when an SA ends for any other reason ("IKE SA with 2.2.2.2 deleted (cleared): ...",
"IPSec SA deleted for vpn ike-vpn (cleared): ..."), and syslog gets KMD_VPN_DOWN_ALARM_USER
for each tunnel that goes down, as sim.world.sa_lifecycle writes them during a run. As in Junos's
IKEv1, clearing the IKE SA leaves the IPsec SAs it negotiated in place (they live until their
own lifetime ends); the DELETE a real device sends to its peer is not modelled here: the saved
state is a snapshot, with no network behind it. On a running `ikesim peer` the same selection
is handed to its kmd, which sends the DELETE (sim.live.answers).
"""

from __future__ import annotations

import dataclasses

from sim.junos import kmd_messages as msg
from sim.junos.device_state import DeviceState, IkeSaRecord, IpsecSaRecord
from sim.junos.logs import syslog_escape, syslog_time
from sim.junos.ops_grammar import Command, peer_address, sa_index
from sim.junos.ops_outcome import Context, Outcome, failure, success
from sim.junos.ops_sa import remaining_seconds

__all__ = ["CLEARED", "CLEARED_ALARM", "HANDLERS"]

CLEARED = "cleared"  # the reason in kmd's lines (sim.world.sa_lifecycle.EndReason.CLEARED)
CLEARED_ALARM = "Cleared. Corresponding IPSec SAs are deleted"  # its KMD_VPN_DOWN Reason [I]


def _alive(state: DeviceState, sa: IkeSaRecord | IpsecSaRecord) -> bool:
    return remaining_seconds(sa.established, sa.lifetime_seconds, state.now) > 0


def _logged(state: DeviceState, log: tuple[str, ...], texts: list[str]) -> tuple[str, ...]:
    stamp = syslog_time(state.now)
    return (*log, *(f"{stamp} {syslog_escape(text)}" for text in texts))


def _ike(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    peer = peer_address(cmd)
    gone = [sa for sa in state.ike_sas
            if _alive(state, sa) and (peer is None or sa.remote_address == peer)]
    if not gone:
        return success(state)
    lines = [f"IKE SA with {sa.remote_address} deleted ({CLEARED}): "
             f"{sa.initiator_cookie} {sa.responder_cookie}" for sa in gone]
    return success(dataclasses.replace(
        state, ike_sas=tuple(sa for sa in state.ike_sas if sa not in gone),
        kmd_log=_logged(state, state.kmd_log, lines)))


def _id_value(rendered: str) -> str:
    """The value of an ID in kmd's rendering, `ipv4(udp:500,[0..3]=1.1.1.2)` -> 1.1.1.2."""
    return rendered.partition("]=")[2][:-1] or "Not-Available"


def _ipsec(state: DeviceState, cmd: Command, ctx: Context) -> Outcome:
    index = sa_index(cmd)
    alive = [sa for sa in state.ipsec_sas if _alive(state, sa)]
    if index is not None and not any(sa.index == index for sa in alive):
        return failure(state, f"IPsec SA index {index} does not exist")
    gone = [sa for sa in alive if index is None or sa.index == index]
    kmd, syslog = [], []
    ike_sas = list(state.ike_sas)
    for sa in gone:
        kmd.append(f"IPSec SA deleted for vpn {sa.vpn} ({CLEARED}): inbound SPI "
                   f"0x{sa.inbound_spi}, outbound SPI 0x{sa.outbound_spi}")
        parent = next((i for i, ike in enumerate(ike_sas) if ike.gateway == sa.gateway
                       and ike.remote_address == sa.remote_address), None)
        ike = ike_sas[parent] if parent is not None else None
        syslog.append(msg.vpn_down(
            vpn=sa.vpn, gateway=sa.gateway, local=sa.local_address, remote=sa.remote_address,
            tunnel_id=sa.index, tunnel_interface=_bind_interface(state, sa.vpn),
            local_id=_id_value(ike.local_id) if ike else None,
            remote_id=_id_value(ike.remote_id) if ike else None,
            p2_local=sa.local_identity, p2_remote=sa.remote_identity, reason=CLEARED_ALARM))
        if ike is not None:  # "IPsec security associations: N created, M deleted" follows
            children = sum(1 for c in alive if c.gateway == ike.gateway)
            created = 2 * children if ike.ipsec_sas_created is None else ike.ipsec_sas_created
            ike_sas[parent] = dataclasses.replace(
                ike, ipsec_sas_created=created, ipsec_sas_deleted=ike.ipsec_sas_deleted + 2)
    return success(dataclasses.replace(
        state, ipsec_sas=tuple(sa for sa in state.ipsec_sas if sa not in gone),
        ike_sas=tuple(ike_sas), kmd_log=_logged(state, state.kmd_log, kmd),
        messages_log=_logged(state, state.messages_log, syslog)))


def _bind_interface(state: DeviceState, vpn: str) -> str | None:
    found = state.config.ipsec.vpns.get(vpn)
    return found.bind_interface if found is not None else None


HANDLERS = {"clear ike sa": _ike, "clear ipsec sa": _ipsec}
