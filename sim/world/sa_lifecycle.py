"""The life of kmd's SAs after they come up: soft and hard lifetime timers, rekeys, DELETE
payloads sent and honoured, INITIAL-CONTACT, and the log lines of each end.

Timeline of one SA (IKE or IPsec) of lifetime L:

    up --- soft lifetime (the initiator starts the replacement) --- L: hard expiry (deleted)

The initiator of an SA rekeys it at its soft lifetime when the tunnel is to stay up: its VPN
says `establish-tunnels immediately`, or traffic used the IPsec SA (carried_by). An idle
`on-traffic` tunnel (Junos's default) is let expire, as an SRX does without VPN monitoring.
When the new SA is up the old one is deleted at once and the peer told with a DELETE payload,
so the SA `show` lists is always the live one. An SA nobody replaced (idle, the peer is gone,
the rekey failed, or we are its responder and the initiator never rekeyed) is deleted at its
hard lifetime: IPsec SAs with the KMD_VPN_DOWN_ALARM_USER line. As in IKEv1 on Junos, IPsec
SAs do not depend on the IKE SA that negotiated them: an IKE SA's end leaves them up, and their
rekey uses whichever IKE SA to the peer is up, negotiating a new Phase 1 when there is none.

The soft lifetime is the one `show security ipsec security-associations detail` prints, the
guide's own sample (sim.junos.ops_sa.SOFT_LIFETIME_PERCENT: 84 % of the hard lifetime). The SSH
QuickSec engine kmd is built on fires its first soft event lifetime/20 before the hard one,
clamped to 30..300 s (quicksec ipsec_params.h, SSH_ENGINE_IPSEC_SOFT_EVENT_GRACE_TIME); the
guide's device shows a larger margin, and we follow the guide.
"""

from __future__ import annotations

import enum
from dataclasses import replace
from typing import TYPE_CHECKING

from sim.ike.informational import delete_esp, delete_ike, read
from sim.ike.payloads import Header, PayloadMalformed
from sim.ike.phase1 import Role
from sim.junos import kmd_messages as msg
from sim.junos.config import IkeTraceFlag
from sim.junos.config_ipsec import EstablishTunnels
from sim.junos.ops_sa import soft_lifetime
from sim.topology.phase2_plan import vpn_for

if TYPE_CHECKING:
    from sim.world.kmd import Kmd, SaEntry
    from sim.world.quick_mode import QmEntry


class EndReason(enum.Enum):
    """Why an SA ends; `alarm` is the Reason of KMD_VPN_DOWN_ALARM_USER [I]."""

    EXPIRED = "lifetime expired"
    REKEYED = "replaced by its rekey"
    PEER_DELETE = "deleted by the peer"
    INITIAL_CONTACT = "the peer sent INITIAL-CONTACT"
    PEER_DEAD = "the peer is dead"
    CLEARED = "cleared"
    RESTART = "kmd restarted"

    @property
    def alarm(self) -> str:
        return {EndReason.EXPIRED: "IPSec SA lifetime expired. Corresponding IPSec SAs are "
                                   "deleted",
                EndReason.PEER_DELETE: "Peer sent delete. Corresponding IPSec SAs are deleted",
                EndReason.INITIAL_CONTACT: "Peer sent initial contact. Corresponding IKE/IPSec "
                                           "SAs are deleted",
                EndReason.PEER_DEAD: "Peer is dead. Corresponding IKE/IPSec SAs are deleted",
                }.get(self, f"{self.value.capitalize()}. Corresponding IPSec SAs are deleted")


class Lifecycle:
    """One per kmd: the timers of its established SAs, and their ends."""

    def __init__(self, kmd: Kmd) -> None:
        self.kmd = kmd
        self.contacted: set[str] = set()  # peers we had an SA with since kmd started
        # The established IKE SAs by peer (pruned of deleted ones): a hub with N spokes finds a
        # peer's SAs without going through all N, so a run stays linear in its spokes.
        self._up: dict[str, list[SaEntry]] = {}

    def established(self, peer: str) -> list[SaEntry]:
        """The IKE SAs with `peer` that are up, oldest first."""
        kept = [e for e in self._up.get(peer, ()) if not e.deleted]
        if kept:
            self._up[peer] = kept
        else:
            self._up.pop(peer, None)
        return list(kept)

    def all_established(self) -> list[SaEntry]:
        """The IKE SAs that are up with every peer, oldest first (a clear without a peer
        address), from the index by peer: no second list of every SA to keep."""
        entries = [entry for peer in list(self._up) for entry in self.established(peer)]
        return sorted(entries, key=lambda entry: entry.index)

    # -- IKE SAs ---------------------------------------------------------------------------

    def ike_up(self, entry: SaEntry) -> None:
        """A Phase 1 just completed: replace the SA it rekeys, honour INITIAL-CONTACT, and
        start its lifetime timers."""
        kmd = self.kmd
        self.contacted.add(entry.peer)
        older = self.established(entry.peer)
        self._up.setdefault(entry.peer, []).append(entry)
        older_ipsec = kmd.quick.live(entry.peer)
        if entry.done.initial_contact and (older or older_ipsec):
            kmd.log.message(f"Initial contact received from {entry.peer}: deleting the older "
                            "SAs with this peer")
            for qm in older_ipsec:
                self.delete_ipsec(qm, EndReason.INITIAL_CONTACT, notify_peer=False)
            for other in older:
                self.delete_ike(other, EndReason.INITIAL_CONTACT, notify_peer=False)
        if entry.replaces is not None and not entry.replaces.deleted:
            self.delete_ike(entry.replaces, EndReason.REKEYED, key=entry.sa.icookie)
        kmd.env.process(self._ike_timers(entry))

    def _ike_timers(self, entry: SaEntry):
        kmd = self.kmd
        lifetime = entry.done.proposal.lifetime_seconds
        soft = soft_lifetime(lifetime)
        yield kmd.env.timeout(soft)
        if entry.deleted or kmd.halted:
            return
        if entry.sa.role is Role.INITIATOR and self._stays_up(entry.gateway):
            kmd.log.trace(IkeTraceFlag.TIMER, f"Softlife timer expired for IKE SA with "
                                              f"{entry.peer}: rekeying Phase-1")
            kmd.initiate(entry.gateway, reason="rekey", replaces=entry)
        yield kmd.env.timeout(lifetime - soft)
        if not entry.deleted and not kmd.halted:
            kmd.log.trace(IkeTraceFlag.TIMER, f"Hardlife timer expired for IKE SA with "
                                              f"{entry.peer}")
            self.delete_ike(entry, EndReason.EXPIRED)

    def delete_ike(self, entry: SaEntry, reason: EndReason, *, notify_peer: bool = True,
                   with_ipsec: bool = False, key: bytes | None = None) -> None:
        """Remove an established IKE SA (and with `with_ipsec` the IPsec SAs with the same
        peer), telling the peer with a DELETE unless it is the peer's own doing. `key`: the
        results.json negotiation the DELETE belongs to (a rekey's), by default the SA's own."""
        kmd = self.kmd
        if entry.deleted or entry.done is None:
            return
        if with_ipsec:
            for qm in kmd.quick.live(entry.peer):
                self.delete_ipsec(qm, reason, notify_peer=notify_peer)
        entry.deleted = True
        self._abandon_quick_modes(entry, reason)
        done = entry.done
        if notify_peer:
            message_id = kmd.rng.getrandbits(32) | 1
            kmd.transmit(entry, delete_ike(done, message_id), key=key)
            kmd.log.trace(IkeTraceFlag.IKE, msg.delete_line(
                local=entry.local_address, remote=entry.peer, role=entry.sa.role.value,
                icookie=done.icookie, rcookie=done.rcookie, message_id=message_id, sent=True,
                what="ISAKMP SA", ports=(entry.local_port, entry.peer_port)))
        kmd.log.message(f"IKE SA with {entry.peer} deleted ({reason.value}): "
                        f"{done.icookie.hex()} {done.rcookie.hex()}")
        if entry.record in kmd.ike_sas:
            kmd.ike_sas.remove(entry.record)
        # The entry stays in kmd.sas (the run's key table lists every SA that had keys), but
        # kmd treats a datagram for it as one for no SA.

    def _abandon_quick_modes(self, entry: SaEntry, reason: EndReason) -> None:
        """Quick Modes still in progress under a deleted IKE SA can never finish (the peer
        drops what comes under it, or is dead): kmd stops them instead of retransmitting for
        minutes. A rekey among them starts again under the IKE SA that replaced this one."""
        kmd = self.kmd
        for qm in [q for q in kmd.quick.under(entry) if q.ike is entry and not q.finished]:
            qm.finished = True
            kmd.log.message(f"Phase-2 negotiation with {entry.peer} abandoned: its IKE SA was "
                            f"deleted ({reason.value})")
            if qm.sa.role is Role.INITIATOR:  # the initiator's outcome is the record's
                kmd.results.phase2(qm.key, device=kmd.device, role=qm.sa.role.value,
                                   ok=False, error="IKE SA deleted", at=kmd.env.now,
                                   reason=reason.value)
            if qm.replaces is not None and not qm.replaces.deleted \
                    and self.live_ike(entry.gateway, entry.peer) is not None:
                self.rekey_ipsec(qm.replaces)

    def live_ike(self, gateway: str | None, peer: str) -> SaEntry | None:
        """The newest established IKE SA to `peer` for `gateway`, if any."""
        found = [e for e in self.established(peer) if e.gateway == gateway]
        return found[-1] if found else None

    # -- IPsec SAs -------------------------------------------------------------------------

    def ipsec_up(self, qm: QmEntry) -> None:
        if qm.replaces is not None and not qm.replaces.deleted:
            self.delete_ipsec(qm.replaces, EndReason.REKEYED, key=qm.key)
        self._count(qm.ike, created=2)
        self.kmd.env.process(self._ipsec_timers(qm))

    def _count(self, entry: SaEntry, *, created: int = 0, deleted: int = 0) -> None:
        """The IKE SA's "IPsec security associations: N created, M deleted" (one SA a
        direction), for those negotiated under it while it is up."""
        kmd, record = self.kmd, entry.record
        if entry.deleted or record is None or record not in kmd.ike_sas:
            return
        new = replace(record, ipsec_sas_created=(record.ipsec_sas_created or 0) + created,
                      ipsec_sas_deleted=record.ipsec_sas_deleted + deleted)
        kmd.ike_sas.replace(record, new)
        entry.record = new

    def _ipsec_timers(self, qm: QmEntry):
        kmd = self.kmd
        lifetime = qm.record.lifetime_seconds
        soft = soft_lifetime(lifetime)
        yield kmd.env.timeout(soft)
        if qm.deleted or kmd.halted:
            return
        if qm.sa.role is Role.INITIATOR and not qm.rekeyed:
            vpn = qm.plan.vpn.name
            if qm.traffic or self._stays_up(qm.ike.gateway):
                kmd.log.trace(IkeTraceFlag.TIMER, f"Softlife timer expired for inbound {vpn}: "
                                                  "rekeying")
                self.rekey_ipsec(qm)
            else:
                kmd.log.trace(IkeTraceFlag.TIMER, f"Softlife timer expired for inbound {vpn}: "
                                                  "no traffic, not rekeyed")
        yield kmd.env.timeout(lifetime - soft)
        if not qm.deleted and not kmd.halted:
            kmd.log.trace(IkeTraceFlag.TIMER, f"Hardlife timer expired for inbound "
                                              f"{qm.plan.vpn.name}")
            self.delete_ipsec(qm, EndReason.EXPIRED)

    def _stays_up(self, gateway: str | None) -> bool:
        """Is the tunnel through `gateway` kept up whatever the traffic?"""
        vpn = vpn_for(self.kmd.config, gateway or "")
        return vpn is not None and vpn.establish_tunnels is EstablishTunnels.IMMEDIATELY

    def carried(self, spi: int, octets: int) -> None:
        """The IPsec SA with this inbound or outbound SPI carried `octets` more bytes."""
        for qm in self.kmd.quick.live():
            if spi in (int(qm.record.inbound_spi, 16), int(qm.record.outbound_spi, 16)):
                self.carried_by(qm, octets)

    def carried_by(self, qm: QmEntry, octets: int) -> None:
        """`qm`'s SA pair carried `octets` more bytes (sim.world.traffic, once per ESP packet): the
        tunnel is in use, so it is rekeyed at its soft lifetime. Against
        `lifetime-kilobytes`: at the soft share of it the initiator rekeys, at all of it the SA
        is deleted, whatever its time left."""
        kmd = self.kmd
        if qm.deleted:
            return
        record = qm.record
        qm.traffic = True
        qm.octets += octets
        limit = record.lifetime_kilobytes
        if limit is None or kmd.halted:
            return
        used = qm.octets // 1024
        if used >= limit:
            kmd.log.trace(IkeTraceFlag.TIMER, f"Lifesize of inbound {record.vpn} used up "
                                              f"({limit} kilobytes)")
            self.delete_ipsec(qm, EndReason.EXPIRED)
        elif used >= soft_lifetime(limit) and qm.sa.role is Role.INITIATOR \
                and not qm.rekeyed:
            kmd.log.trace(IkeTraceFlag.TIMER, f"Soft lifesize of inbound {record.vpn} "
                                              f"reached ({used} kilobytes): rekeying")
            self.rekey_ipsec(qm)

    def rekey_ipsec(self, qm: QmEntry) -> None:
        """A new Quick Mode for `qm`'s VPN under the IKE SA that is up, or a new Phase 1 first."""
        kmd, ike = self.kmd, qm.ike
        qm.rekeyed = True
        current = self.live_ike(ike.gateway, ike.peer)
        if current is not None:
            kmd.quick.start(current, replaces=qm)
        elif ike.gateway is not None:
            kmd.initiate(ike.gateway, reason="rekey", replaces_ipsec=qm)

    def delete_ipsec(self, qm: QmEntry, reason: EndReason, *, notify_peer: bool = True,
                     key: bytes | None = None) -> None:
        """Remove an IPsec SA pair; the peer is told (under any IKE SA to it that is up) unless
        it deleted it itself. The VPN is down when no other SA of it is left. `key` as for
        delete_ike."""
        kmd = self.kmd
        if qm.deleted or qm.record is None:
            return
        qm.deleted = True
        record = qm.record
        if record in kmd.quick.ipsec_sas:
            kmd.quick.ipsec_sas.remove(record)
        self._count(qm.ike, deleted=2)
        ike = qm.ike if not qm.ike.deleted else self.live_ike(qm.ike.gateway, qm.ike.peer)
        inbound = int(record.inbound_spi, 16)
        if notify_peer and ike is not None:
            message_id = kmd.rng.getrandbits(32) | 1
            kmd.transmit(ike, delete_esp(ike.done, message_id, [inbound]), key=key)
            kmd.log.trace(IkeTraceFlag.IKE, msg.delete_line(
                local=ike.local_address, remote=ike.peer, role=ike.sa.role.value,
                icookie=ike.done.icookie, rcookie=ike.done.rcookie, message_id=message_id,
                sent=True, what=f"ESP SPI 0x{record.inbound_spi}",
                ports=(ike.local_port, ike.peer_port)))
        kmd.log.message(f"IPSec SA deleted for vpn {record.vpn} ({reason.value}): inbound SPI "
                        f"0x{record.inbound_spi}, outbound SPI 0x{record.outbound_spi}")
        if reason is EndReason.REKEYED or any(
                other.vpn == record.vpn and other.remote_address == record.remote_address
                for other in kmd.quick.ipsec_sas):
            return
        done = qm.ike.done
        kmd.syslog_message(msg.vpn_down(
            vpn=record.vpn, gateway=record.gateway, local=record.local_address,
            remote=record.remote_address, tunnel_id=record.index,
            tunnel_interface=qm.plan.vpn.bind_interface, local_id=done.local_id,
            remote_id=done.remote_id, p2_local=record.local_identity,
            p2_remote=record.remote_identity, reason=reason.alarm))

    # -- what the peer sends -----------------------------------------------------------------

    def informational(self, entry: SaEntry, datagram: bytes, header: Header) -> bool:
        """An Informational under an established IKE SA: True if it deleted something (it is
        then handled); False leaves it to the Quick Modes in progress."""
        kmd = self.kmd
        try:
            info = read(entry.done, datagram)
        except PayloadMalformed:
            return False
        if not info.deleted_ike and not info.deleted_esp:
            return False
        done = entry.done

        def trace(what: str) -> None:
            kmd.log.trace(IkeTraceFlag.IKE, msg.delete_line(
                local=entry.local_address, remote=entry.peer, role=entry.sa.role.value,
                icookie=done.icookie, rcookie=done.rcookie, message_id=info.message_id,
                sent=False, what=what, ports=(entry.local_port, entry.peer_port)))

        for error in info.errors():
            kmd.log.message(f"IKE SA with {entry.peer}: peer sent notification "
                            f"{error.text} ({error.value})")
        for spi in info.deleted_esp:
            trace(f"ESP SPI 0x{spi:08x}")
            for qm in [q for q in kmd.quick.live(entry.peer)
                       if int(q.record.outbound_spi, 16) == spi]:
                self.delete_ipsec(qm, EndReason.PEER_DELETE, notify_peer=False)
        for cookies in info.deleted_ike:
            trace("ISAKMP SA")
            named = kmd.sas.get(cookies[:8])
            if named is not None and named.peer == entry.peer and named.done is not None \
                    and not named.deleted and named.done.rcookie == cookies[8:]:
                self.delete_ike(named, EndReason.PEER_DELETE, notify_peer=False)
        return True
