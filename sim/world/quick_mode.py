"""kmd's Quick Mode (Phase 2): negotiations under an established IKE SA, their timers, their
kmd log lines (the guide's "Phase-2 ... done", "Failed to match the peer proxy ids",
KMD_PM_P2_POLICY_LOOKUP_FAILURE and the QM error line) and the IPsec SAs they leave."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sim.ike.ids import IkeId, render
from sim.ike.payloads import ExchangeType, Header
from sim.ike.phase1 import LocalProtocolError, RemoteProtocolError, SendDatagram
from sim.ike.phase2 import (
    Cause,
    QuickModeDone,
    QuickModeFailed,
    QuickModeSA,
    proxy_id_mismatch_message,
)
from sim.junos import kmd_messages as msg
from sim.junos.config import IkeTraceFlag
from sim.junos.device_state import IpsecSaRecord
from sim.topology.phase2_plan import Phase2Plan, Phase2PlanError, plan
from sim.world.sa_listing import SaListing

if TYPE_CHECKING:
    from sim.world.kmd import Kmd, SaEntry


@dataclass
class QmEntry:
    sa: QuickModeSA
    ike: SaEntry
    plan: Phase2Plan
    key: bytes = b""  # its results.json record: the IKE SA's, or its own for a rekey
    timer_generation: int = -1
    finished: bool = False
    record: IpsecSaRecord | None = None  # the IPsec SA pair it installed
    deleted: bool = False
    replaces: QmEntry | None = None  # a rekey: the IPsec SA this one replaces
    traffic: bool = False  # traffic used the SA: rekey it even if the VPN is on-traffic
    octets: int = 0  # what the SA carried, against its lifetime-kilobytes
    rekeyed: bool = False  # its replacement was started (by time or by volume)
    done: QuickModeDone | None = None  # the outcome: SPIs and ESP keys of both directions


class QuickModes:
    def __init__(self, kmd: Kmd) -> None:
        self.kmd = kmd
        self.negotiations: list[QmEntry] = []
        # Indexes that keep a long run linear: each IKE SA's Quick Modes (by its initiator
        # cookie), and the Quick Modes whose SA pair is up.
        self._by_ike: dict[bytes, list[QmEntry]] = {}
        self._up: list[QmEntry] = []
        self._up_with: dict[str, list[QmEntry]] = {}  # the same, by the IKE SA's peer
        self.ipsec_sas: SaListing[IpsecSaRecord] = SaListing()  # the pairs up, for `show`
        # Told of each SA pair installed, with its keys (sim.world.traffic's ESP engine).
        self.on_installed: list[Callable[[QmEntry], None]] = []
        self._tunnels: dict[tuple[str, str], int] = {}  # (vpn, peer) -> tunnel index

    def live(self, peer: str | None = None) -> list[QmEntry]:
        """The Quick Modes whose IPsec SA pair is up (with `peer`: those with that peer)."""
        if peer is None:
            self._up = [q for q in self._up if not q.deleted]
            return list(self._up)
        kept = [q for q in self._up_with.get(peer, ()) if not q.deleted]
        if kept:
            self._up_with[peer] = kept
        else:
            self._up_with.pop(peer, None)
        return kept

    def under(self, ike: SaEntry) -> list[QmEntry]:
        """The Quick Modes negotiated under an IKE SA, finished or not."""
        return list(self._by_ike.get(ike.sa.icookie, []))

    def records(self) -> tuple[IpsecSaRecord, ...]:
        """The pairs that are up as `show` lists them, with what each carried so far."""
        used = {id(q.record): q.octets // 1024 for q in self.live()}
        return tuple(replace(r, kilobytes_used=used.get(id(r), 0)) for r in self.ipsec_sas)

    def _add(self, qm: QmEntry) -> None:
        self.negotiations.append(qm)
        self._by_ike.setdefault(qm.ike.sa.icookie, []).append(qm)

    def _plan(self, ike: SaEntry) -> Phase2Plan | None:
        external = ike.plan.gateway.external_interface if ike.plan else None
        try:
            return plan(self.kmd.config, ike.gateway or "", external_interface=external)
        except Phase2PlanError as exc:
            self.kmd.log.message(f"KMD_INTERNAL_ERROR: Phase-2 for gateway {ike.gateway}: {exc}")
            return None

    def start(self, ike: SaEntry, *, replaces: QmEntry | None = None) -> None:
        """As initiator: negotiate the VPN that uses this gateway, if any, after Phase 1 or to
        rekey the IPsec SA `replaces` (a negotiation of its own in results.json when the IKE
        SA was up before)."""
        p2 = self._plan(ike)
        if p2 is None:
            return
        qm = QmEntry(sa=QuickModeSA.initiator(ike.done, p2.config, rng=self.kmd.sa_rng()),
                     ike=ike, plan=p2, key=ike.sa.icookie, replaces=replaces)
        self._add(qm)
        qm.sa.start()
        results = self.kmd.results
        if replaces is not None and ike.replaces_ipsec is not replaces:
            qm.key = ike.sa.icookie + qm.sa.message_id.to_bytes(4, "big")
            results.quick_mode_rekey(qm.key, icookie=ike.sa.icookie, initiator=self.kmd.device,
                                     responder=None, peer_address=ike.peer,
                                     gateway=ike.gateway or "", at=self.kmd.env.now)
        results.phase2_started(qm.key)
        self._pump(qm)

    def receive(self, ike: SaEntry, datagram: bytes, header: Header) -> None:
        """A Quick Mode or Informational datagram under an established IKE SA. A new message
        ID opens a negotiation only if the new responder SA takes the message (it decrypts and
        its HASH(1) holds): garbage under real cookies leaves nothing behind."""
        mine = self._by_ike.get(ike.sa.icookie, [])
        if header.exchange is ExchangeType.QUICK_MODE:
            # A finished negotiation still takes its own message ID: a repeat of the message
            # it answered last is answered again (the peer lost our last message).
            qm = next((q for q in reversed(mine) if q.sa.message_id == header.message_id),
                      None)
            if qm is None:
                self._respond(ike, datagram, header)
                return
            candidates = [qm]
        else:  # an Informational: the negotiation in progress it names takes it
            candidates = [q for q in mine if not q.finished]
        why: RemoteProtocolError | LocalProtocolError | None = None
        for qm in candidates:
            try:
                qm.sa.receive(datagram)
            except (RemoteProtocolError, LocalProtocolError) as exc:
                why = exc
                continue
            self.kmd.dpd.heard(ike)  # it authenticated: the peer is alive
            self._pump(qm)
            return
        self.kmd.dropped(ike, header, str(why) if why else "no negotiation in progress",
                         getattr(why, "notify", None))

    def _respond(self, ike: SaEntry, datagram: bytes, header: Header) -> None:
        p2 = self._plan(ike)
        if p2 is None:
            self.kmd.dropped(ike, header, f"no VPN uses gateway {ike.gateway}", None)
            return
        qm = QmEntry(sa=QuickModeSA.responder(ike.done, p2.config, rng=self.kmd.sa_rng()),
                     ike=ike, plan=p2, key=ike.sa.icookie)
        try:
            qm.sa.receive(datagram)
        except RemoteProtocolError as exc:
            self.kmd.dropped(ike, header, str(exc), exc.notify)
            return
        self.kmd.dpd.heard(ike)
        self._add(qm)
        rekey = ike.sa.icookie + header.message_id.to_bytes(4, "big")
        if self.kmd.results.responding_rekey(rekey, responder=self.kmd.device):
            qm.key = rekey
        self.kmd.results.phase2_started(qm.key)
        self._pump(qm)

    def _pump(self, qm: QmEntry) -> None:
        kmd, ike = self.kmd, qm.ike
        while True:
            event = qm.sa.next_event()
            if isinstance(event, SendDatagram):
                kmd.transmit(ike, event.data, key=qm.key)
            elif isinstance(event, QuickModeDone):
                self._done(qm, event)
            elif isinstance(event, QuickModeFailed):
                self._failed(qm, event)
            else:
                break
        kmd.arm_timer(qm, qm.sa, finished=lambda: qm.finished or qm.deleted,
                      pump=lambda: self._pump(qm),
                      what=f"Quick Mode retransmission to {ike.peer}")

    def _phase1_ids(self, qm: QmEntry) -> tuple[IkeId, IkeId]:
        return qm.ike.done.local_id, qm.ike.done.remote_id

    def _done(self, qm: QmEntry, event: QuickModeDone) -> None:
        qm.finished = True
        qm.done = event
        kmd, ike = self.kmd, qm.ike
        p1_local, p1_remote = self._phase1_ids(qm)
        role = event.role.value
        kmd.log.message(f"Phase-2 [{role}] done for p1_local={render(p1_local)} "
                        f"p1_remote={render(p1_remote)} "
                        f"p2_local={render(event.local_proxy_id)} "
                        f"p2_remote={render(event.remote_proxy_id)}")
        proposal = event.proposal.statements()
        # A VPN keeps its tunnel index across rekeys (the KMD_VPN_UP_ALARM_USER tunnel-id).
        tunnel = (qm.plan.vpn.name, ike.peer)
        index = self._tunnels.setdefault(tunnel, 131073 + len(self._tunnels))
        was_up = any(q.plan.vpn.name == tunnel[0] for q in self.live(ike.peer))
        qm.record = IpsecSaRecord(
            index=index, vpn=qm.plan.vpn.name, gateway=ike.gateway or "",
            local_address=ike.local_address, remote_address=ike.peer,
            inbound_spi=f"{event.inbound_spi:08x}", outbound_spi=f"{event.outbound_spi:08x}",
            protocol="ESP", authentication_algorithm=proposal["authentication-algorithm"],
            encryption_algorithm=proposal["encryption-algorithm"],
            lifetime_seconds=event.lifetime_seconds, established=kmd.clock().isoformat(),
            local_identity=render(event.local_proxy_id),
            remote_identity=render(event.remote_proxy_id), policy=qm.plan.tunnel_policy,
            pfs_group=event.pfs_group.value if event.pfs_group else None,
            port=ike.peer_port, local_port=ike.local_port,
            nat_t=ike.done is not None and ike.done.nat_t,
            lifetime_kilobytes=event.proposal.lifetime_kilobytes)
        self.ipsec_sas.append(qm.record)
        self._up.append(qm)
        self._up_with.setdefault(ike.peer, []).append(qm)
        kmd.results.phase2(qm.key, device=kmd.device, role=role, ok=True, error=None,
                           at=kmd.env.now)
        # A real SRX's trace lines for the SA pair being installed (junos-messages.md 5).
        kmd.log.trace(IkeTraceFlag.TIMER, f"Hardlife timer started for inbound "
                                          f"{qm.plan.vpn.name} with {event.lifetime_seconds} "
                                          f"seconds/{event.proposal.lifetime_kilobytes or 0} "
                                          "kilobytes")
        kmd.log.trace(IkeTraceFlag.DATABASE, "Successfully added ipsec SA PAIR")
        record = qm.record
        for installed in self.on_installed:
            installed(qm)
        kmd.life.ipsec_up(qm)
        if was_up:
            return  # a rekey: the VPN never went down
        kmd.syslog_message(msg.vpn_up(
            vpn=qm.plan.vpn.name, gateway=ike.gateway or "", local=ike.local_address,
            remote=ike.peer, tunnel_id=record.index, tunnel_interface=qm.plan.vpn.bind_interface,
            local_id=p1_local, remote_id=p1_remote, p2_local=event.local_proxy_id,
            p2_remote=event.remote_proxy_id))

    def _failed(self, qm: QmEntry, event: QuickModeFailed) -> None:
        qm.finished = True
        kmd, ike = self.kmd, qm.ike
        role = event.role.value
        if event.cause is Cause.PROXY_ID_MISMATCH and event.received_local_proxy_id:
            kmd.log.message(proxy_id_mismatch_message(event, msg.p1_address_id(ike.peer)))
            kmd.log.message(msg.p2_policy_lookup_failure(
                role=role, local_address=ike.local_address, peer_address=ike.peer,
                p2_local=event.received_local_proxy_id,
                p2_remote=event.received_remote_proxy_id))
        kmd.log.message(msg.sa_error(
            local=ike.local_address, remote=ike.peer, role=role, icookie=ike.sa.icookie,
            rcookie=ike.sa.rcookie, exchange="quick", error=event.error,
            message_id=event.message_id, negotiation="0", ports=(ike.local_port, ike.peer_port)))
        kmd.results.phase2(qm.key, device=kmd.device, role=role, ok=False,
                           error=event.error.text, at=kmd.env.now, reason=event.reason)
