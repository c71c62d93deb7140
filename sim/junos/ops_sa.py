"""`show security ike security-associations`, `show security ipsec security-associations`
(each with `index N` and `detail`) and `show log kmd | pkid`, rendered from a DeviceState.

Formats follow the guide's documented release, 12.1X46: the summaries as Chapter 14 prints
them ("  Index   State  Initiator cookie ..." two spaces in; "Total active tunnels:" with the
vsys and Port columns after the SPI, under the sample's header), not Chapter 11's older layout
("Index Remote Address State ...", "total configured sa:"); the details as Chapter 11 prints
them, Traffic statistics included. The guide's PDF text collapses runs of spaces in rows, so
column widths are those of the headers the samples keep, else of Junos releases of the time
(an inference).

Lifetimes count down from the SA's establishment to the device's clock (DeviceState.now); an
SA whose hard lifetime has run out is gone, as kmd deletes it then.
"""

from __future__ import annotations

import datetime as dt

from sim.esp.replay import REPLAY_WINDOW
from sim.junos.device_state import DeviceState, IkeSaRecord, IpsecSaRecord
from sim.junos.ops_pki import ShowError

__all__ = [
    "SOFT_LIFETIME_PERCENT",
    "remaining_seconds",
    "render_ike_sas",
    "render_ipsec_sas",
    "render_log",
    "soft_lifetime",
]

# The guide's sample (hard 1667 s left, soft 1093 s left, of a 3600 s proposal-set lifetime)
# puts the soft lifetime at about 84 % of the hard one; kmd's own jitter is not modelled.
SOFT_LIFETIME_PERCENT = 84


def soft_lifetime(lifetime: int) -> int:
    """Seconds after establishment at which the initiator rekeys."""
    return lifetime * SOFT_LIFETIME_PERCENT // 100


def remaining_seconds(established: str, lifetime: int, now: dt.datetime) -> int:
    """Whole seconds left of `lifetime` counted from `established` (ISO time) to `now`."""
    start = dt.datetime.fromisoformat(established)
    return max(0, int(lifetime - (now - start).total_seconds()))


def _alive_ike(state: DeviceState) -> list[IkeSaRecord]:
    return [sa for sa in state.ike_sas
            if remaining_seconds(sa.established, sa.lifetime_seconds, state.now) > 0]


def _alive_ipsec(state: DeviceState) -> list[IpsecSaRecord]:
    return [sa for sa in state.ipsec_sas
            if remaining_seconds(sa.established, sa.lifetime_seconds, state.now) > 0]


# -- IKE ---------------------------------------------------------------------------------------

_IKE_HEADER = ("  Index   State  Initiator cookie  Responder cookie  Mode           "
               "Remote Address")


def render_ike_sas(state: DeviceState, *, index: int | None = None, detail: bool = False,
                   peer: str | None = None) -> str:
    """`show security ike security-associations [index N | PEER-ADDRESS] [detail]`; nothing
    when none."""
    sas = [sa for sa in _alive_ike(state) if (index is None or sa.index == index)
           and (peer is None or sa.remote_address == peer)]
    if not sas:
        return ""
    if detail:
        return "\n\n".join("\n".join(_ike_detail(state, sa)) for sa in sas)
    # Each value then one space at least, as Junos's fixed-width printf: a wider value pushes
    # the rest of its row right instead of running into the next column.
    rows = [f"  {sa.index:<7d} {sa.state:<6} {sa.initiator_cookie:<17} "
            f"{sa.responder_cookie:<17} {sa.mode:<14} {sa.remote_address}" for sa in sas]
    return "\n".join([_IKE_HEADER, *rows])


def _ike_detail(state: DeviceState, sa: IkeSaRecord) -> list[str]:
    gateway = f", Gateway Name: {sa.gateway}" if sa.gateway else ""
    children = [c for c in _alive_ipsec(state) if c.gateway == sa.gateway]
    lines = [
        f"IKE peer {sa.remote_address}, Index {sa.index}{gateway}",
        f"  Role: {sa.role}, State: {sa.state}",
        f"  Initiator cookie: {sa.initiator_cookie}, Responder cookie: {sa.responder_cookie}",
        f"  Exchange type: {sa.mode}, Authentication method: {sa.authentication_method}",
        f"  Local: {sa.local_address}:{sa.local_port}, Remote: {sa.remote_address}:"
        f"{sa.remote_port}",
        f"  Lifetime: Expires in "
        f"{remaining_seconds(sa.established, sa.lifetime_seconds, state.now)} seconds",
        "  Algorithms:",
        f"   Authentication        : {sa.authentication_algorithm}",
        f"   Encryption            : {sa.encryption_algorithm}",
        f"   Pseudo random function: {_PRF_SPELLING.get(sa.prf, sa.prf)}",
        "  Traffic statistics:",
        f"   Input  bytes  :{sa.input_bytes:>21}",
        f"   Output bytes  :{sa.output_bytes:>21}",
        f"   Input  packets:{sa.input_packets:>21}",
        f"   Output packets:{sa.output_packets:>21}",
    ]
    # Each IPsec SA record is a pair (inbound and outbound): the guide counts SAs, "2 created"
    # for one pair, unless the record counts them itself (rekeys and deletes).
    created = 2 * len(children) if sa.ipsec_sas_created is None else sa.ipsec_sas_created
    lines += [
        f"  Flags: {'Caller notification sent' if children else 'IKE SA is created'}",
        f"  IPsec security associations: {created} created, {sa.ipsec_sas_deleted} deleted",
        "  Phase 2 negotiations in progress: 0",
    ]
    return lines


# kmd names the PRF after the hash without the configuration keyword's hyphen (hmac-sha256).
_PRF_SPELLING = {"hmac-sha-256": "hmac-sha256", "hmac-sha-384": "hmac-sha384"}


# -- IPsec -------------------------------------------------------------------------------------

_ENCRYPTION_SHORT = {"des-cbc": "des", "3des-cbc": "3des", "aes-128-cbc": "aes-128",
                     "aes-192-cbc": "aes-192", "aes-256-cbc": "aes-256"}
_AUTHENTICATION_SHORT = {"hmac-md5-96": "md5", "hmac-sha1-96": "sha1",
                         "hmac-sha-256-128": "sha256", "hmac-sha-256-96": "sha256"}


def _algorithm(sa: IpsecSaRecord) -> str:
    encryption = _ENCRYPTION_SHORT.get(sa.encryption_algorithm, sa.encryption_algorithm)
    authentication = _AUTHENTICATION_SHORT.get(sa.authentication_algorithm,
                                               sa.authentication_algorithm)
    return f"{sa.protocol.upper()}:{encryption}/{authentication}"


def render_ipsec_sas(state: DeviceState, *, index: int | None = None,
                     detail: bool = False) -> str:
    """`show security ipsec security-associations [index N] [detail]`."""
    sas = [sa for sa in _alive_ipsec(state) if index is None or sa.index == index]
    if detail:
        return "\n\n".join("\n".join(_ipsec_detail(state, sa)) for sa in sas)
    if index is not None and not sas:
        return ""
    # The header as Chapter 14's sample keeps it; rows under its columns.
    lines = [f"Total active tunnels: {len(sas)}",
             f"  {'ID':<8}{'Algorithm':<15}{'SPI':<9}{'Life:sec/kb':<12}{'Mon':<4}{'vsys':<5}"
             f"{'Port':<5}Gateway"]
    for sa in sas:
        life = (f"{remaining_seconds(sa.established, sa.lifetime_seconds, state.now)}/ "
                f"{'unlim' if sa.kilobytes_remaining is None else sa.kilobytes_remaining}")
        for arrow, spi in (("<", sa.inbound_spi), (">", sa.outbound_spi)):
            lines.append(f"  {arrow + str(sa.index):<7} {_algorithm(sa):<14} {spi:<8} "
                         f"{life:<11} {'-':<3} {'root':<4} {sa.port:<4} {sa.remote_address}")
    return "\n".join(lines)


def _ipsec_detail(state: DeviceState, sa: IpsecSaRecord) -> list[str]:
    vpn = state.config.ipsec.vpns.get(sa.vpn)
    df_bit = vpn.df_bit.value if vpn is not None and vpn.df_bit is not None else "clear"
    anti_replay = "disabled" if vpn is not None and vpn.no_anti_replay else "enabled"
    hard = remaining_seconds(sa.established, sa.lifetime_seconds, state.now)
    size = ("Unlimited" if sa.kilobytes_remaining is None
            else f"{sa.kilobytes_remaining} kilobytes")
    soft = remaining_seconds(sa.established, soft_lifetime(sa.lifetime_seconds), state.now)
    lines = [
        "  Virtual-system: Root",
        f"  Local Gateway: {sa.local_address}, Remote Gateway: {sa.remote_address}",
        f"  Local Identity: {sa.local_identity}",
        f"  Remote Identity: {sa.remote_identity}",
        f"  DF-bit: {df_bit}",
    ]
    if sa.policy:
        lines.append(f"  Policy-name: {sa.policy}")
    for direction, spi in (("inbound", sa.inbound_spi), ("outbound", sa.outbound_spi)):
        lines += [
            f"    Direction: {direction}, SPI: {spi}, AUX-SPI: 0",
            f"    Hard lifetime: Expires in {hard} seconds",
            f"    Lifesize Remaining: {size}",
            f"    Soft lifetime: Expires in {soft} seconds",
            "    Mode: tunnel, Type: dynamic, State: installed, VPN Monitoring: -",
            f"    Protocol: {sa.protocol.upper()}, Authentication: "
            f"{sa.authentication_algorithm}, Encryption: {sa.encryption_algorithm}",
            f"    Anti-replay service: {anti_replay}, Replay window size: "
            f"{REPLAY_WINDOW}",
        ]
    return lines


# -- logs --------------------------------------------------------------------------------------

def render_log(state: DeviceState, name: str) -> str:
    """`show log kmd | pkid | messages | TRACE-FILE`: as the run left them."""
    if name == "kmd":
        return "\n".join(state.kmd_log)
    if name == "pkid":
        return "\n".join(state.pkid_log)
    if name == "messages":
        return "\n".join(state.messages_log)
    if name in state.trace_logs:
        return "\n".join(state.trace_logs[name])
    # Junos's answer for a file /var/log does not hold.
    raise ShowError(f"error: could not resolve file: {name}")
