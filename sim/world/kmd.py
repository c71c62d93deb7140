"""The key management daemon of one device, as SimPy processes driving sans-I/O IKE SAs.

kmd owns the clock for its SAs: retransmission timers, the negotiation's overall expiry, and
the wait for pkid's verdict on the peer's certificates. It writes the kmd log lines and tells
the results collector what happened when.

Every datagram is a peer's (or anyone's) bytes. kmd never stops for one: a datagram that does
not belong to a negotiation, comes from another address than the SA's peer, or that the SA
drops (it could not be parsed or authenticated) is traced with the SA line and dropped; a
datagram that opens a negotiation creates one only if the new SA takes it, so garbage leaves no
negotiation, no timer and no results record behind.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import simpy

from pki.store import CertificateStore
from sim.ike.payloads import ExchangeType, Header, NotifyType, PayloadMalformed
from sim.ike.phase1 import (
    Cause,
    IkeSA,
    LocalProtocolError,
    PeerCertificatesReceived,
    Phase1Config,
    Phase1Done,
    Phase1Failed,
    RemoteProtocolError,
    Role,
    SendDatagram,
    State,
    opens_phase1,
)
from sim.junos import kmd_messages as msg
from sim.junos.config import DeviceConfig, IkeTraceFlag
from sim.junos.device_state import IkeSaRecord
from sim.junos.logs import DaemonLog
from sim.topology.gateway import (
    GatewayError,
    GatewayPlan,
    gateway_for_peer,
    peer_matches,
    phase1_config,
    plan,
)
from sim.topology.phase2_plan import vpn_for
from sim.world import nat_traversal
from sim.world.dpd import DeadPeerDetector
from sim.world.network import Datagram, Sent
from sim.world.pkid import Pkid
from sim.world.quick_mode import QmEntry, QuickModes
from sim.world.results import Results
from sim.world.sa_lifecycle import EndReason, Lifecycle
from sim.world.sa_listing import SaListing
from sim.world.sa_records import ike_sa_record

IKE_PORT = 500

# Quick Mode datagrams kept for a Phase 1 waiting for pkid: the initiator's message 1 and its
# retransmissions (QuickSec's 10) fit; anything beyond is dropped, not hoarded.
_QUEUE_LIMIT = 16



@dataclass
class SaEntry:
    sa: IkeSA
    peer: str
    local_address: str
    gateway: str | None
    plan: GatewayPlan | None
    started: float
    index: int
    timer_generation: int = -1
    done: Phase1Done | None = None
    failed: Phase1Failed | None = None
    id_mismatch: bool = False
    local_port: int = IKE_PORT  # 4500 once NAT-T floated the SA (sim.world.nat_traversal)
    peer_port: int = IKE_PORT   # where the peer's datagrams come from
    record: IkeSaRecord | None = None  # what `show` lists while the SA is up
    deleted: bool = False              # the SA ended (expired, replaced, deleted)
    replaces: SaEntry | None = None    # a Phase-1 rekey: the SA this one replaces
    replaces_ipsec: QmEntry | None = None  # a Phase 1 opened to rekey this IPsec SA
    quick_after: bool = True           # initiator: negotiate the VPN once Phase 1 is done
    # Quick Mode datagrams that came while pkid still verified the peer (Aggressive Mode's
    # initiator starts Quick Mode as soon as it sent message 3): handled once Phase 1 is done.
    queued: list[tuple[bytes, Header]] = field(default_factory=list)


class Kmd:
    def __init__(self, env: simpy.Environment, *, device: str, address: str,
                 config: DeviceConfig, store: Callable[[], CertificateStore], pkid: Pkid,
                 log: DaemonLog, send: Callable[[Datagram], Sent | None], rng: random.Random,
                 results: Results, clock: Callable[[], dt.datetime],
                 syslog: DaemonLog | None = None,
                 phase1_timeout: float | None = None, boot: int = 0) -> None:
        self.env = env
        self.device = device
        self.address = address
        self.config = config
        self.store = store
        self.pkid = pkid
        self.log = log
        # /var/log/messages: the KMD_* and "IKE negotiation ..." lines of later releases.
        self.syslog = syslog
        self._send = send
        self.rng = rng
        self.results = results
        self.clock = clock
        self.phase1_timeout = phase1_timeout
        self.boot = boot  # how many times the device rebooted before this kmd started
        self.sas: dict[bytes, SaEntry] = {}
        self.ike_sas: SaListing[IkeSaRecord] = SaListing()
        self.quick = QuickModes(self)
        self.dpd = DeadPeerDetector(self)
        self.life = Lifecycle(self)
        self.halted = False  # the device is down: kmd does nothing more (sim.world.power)
        self._inputs: dict[str, tuple[GatewayPlan, Phase1Config]] = {}
        self._inputs_for: tuple[DeviceConfig, CertificateStore] | None = None
        self._config_loaded()

    # -- starting negotiations ----------------------------------------------------------------

    def initiate(self, gateway_name: str, *, reason: str = "initial",
                 replaces: SaEntry | None = None, replaces_ipsec: QmEntry | None = None) -> None:
        """Start a Phase 1 to the gateway's peer: the first (reason "initial"), or a rekey of
        the IKE SA `replaces` (no Quick Mode follows) or for the IPsec SA `replaces_ipsec`."""
        try:
            gw, sa_config = self.phase1_inputs(gateway_name)
        except GatewayError as exc:
            self.log.message(f"KMD_INTERNAL_ERROR: cannot initiate gateway {gateway_name}: {exc}")
            return
        peer = gw.gateway.addresses[0]
        # The first SA with a peer since kmd started says so (RFC 2407 4.6.3.3), so the peer
        # drops what it still holds from before a restart.
        sa_config = replace(sa_config, initial_contact=peer not in self.life.contacted)
        sa = IkeSA.initiator(sa_config, rng=self.sa_rng())
        entry = SaEntry(sa=sa, peer=peer, local_address=gw.local_address,
                        gateway=gateway_name, plan=gw, started=self.env.now,
                        index=self.rng.randrange(1_000_000, 9_999_999), replaces=replaces,
                        replaces_ipsec=replaces_ipsec, quick_after=replaces is None)
        nat_traversal.opened(entry)
        sa.start()
        self.sas[sa.icookie] = entry
        self.results.started(sa.icookie, initiator=self.device, peer_address=peer,
                             gateway=gateway_name, at=self.env.now, reason=reason,
                             quick_mode=entry.quick_after)
        self._trace(IkeTraceFlag.IKE, f"Initiating Phase-1 negotiation to {peer} for gateway "
                                      f"{gateway_name}")
        self.env.process(self._expire(entry))
        self._pump(entry)

    def phase1_inputs(self, gateway_name: str) -> tuple[GatewayPlan, Phase1Config]:
        """The gateway's plan and its IKE SA configuration (local certificate, key, chain, CA
        DNs), built once and kept while the configuration and the certificate store are the
        same objects: both are replaced, never changed in place, so a re-enrolled certificate
        or a new configuration is a new object and the next SA builds its inputs afresh.
        GatewayError when the gateway cannot be planned (not kept: it is said each time)."""
        store = self.store()
        if self._inputs_for is None or self._inputs_for[0] is not self.config \
                or self._inputs_for[1] is not store:
            self._inputs.clear()
            self._inputs_for = (self.config, store)
        kept = self._inputs.get(gateway_name)
        if kept is None:
            gw = plan(self.config, gateway_name, device_address=self.address)
            kept = self._inputs[gateway_name] = (gw, phase1_config(gw, store))
        return kept

    def _config_loaded(self) -> None:
        """What kmd traces when it reads its configuration (flag parse); the two lines are a
        real device's (junos-messages.md section 4)."""
        ike = self.config.ike
        count = len(ike.proposals) + len(ike.policies) + len(ike.gateways) + len(
            self.config.ipsec.vpns)
        self._trace(IkeTraceFlag.PARSE, f"Config download: Processed {count} - {count + 1} "
                                        "messages")
        self._trace(IkeTraceFlag.PARSE, "Config download time: 0 seconds")

    def sa_rng(self) -> random.Random:
        """A random source of its own for one SA (Phase-1 or Quick Mode), drawn from kmd's."""
        return random.Random(self.rng.getrandbits(64))

    # -- datagrams ------------------------------------------------------------------------------

    def receive(self, datagram: Datagram) -> None:
        datagram = nat_traversal.unwrap(self, datagram)
        if datagram is None:
            return
        data = datagram.payload
        try:
            header = Header.decode(data)
        except PayloadMalformed as exc:
            self._trace(IkeTraceFlag.IKE, f"Dropping malformed datagram from {datagram.src}: "
                                          f"{exc}")
            return
        entry = self.sas.get(header.icookie)
        if entry is not None and entry.deleted:
            self._trace(IkeTraceFlag.IKE, "ike_get_sa: Invalid cookie, no sa found, SA")
            return
        if entry is None:
            if not opens_phase1(data):
                self._trace(IkeTraceFlag.IKE, "ike_get_sa: Invalid cookie, no sa found, SA")
                return
            self._respond(datagram, header)
            return
        if datagram.src != entry.peer:
            self.dropped(entry, header, f"from {datagram.src}, not the SA's peer", None)
            return
        nat_traversal.observed(entry, datagram)
        if entry.done is None and header.exchange is ExchangeType.QUICK_MODE \
                and entry.sa.state is State.WAIT_VERDICT:
            if len(entry.queued) < _QUEUE_LIMIT and all(data != kept for kept, _ in entry.queued):
                self._trace(IkeTraceFlag.IKE, f"Quick Mode message from {entry.peer} queued: "
                                              "Phase-1 is waiting for pkid")
                entry.queued.append((data, header))
            return  # a retransmission of a queued message: the queued copy will be answered
        if entry.done is not None and self.dpd.receive(entry, data, header):
            return
        if entry.done is not None and header.exchange in (ExchangeType.QUICK_MODE,
                                                           ExchangeType.INFORMATIONAL):
            if header.exchange is ExchangeType.INFORMATIONAL and self.life.informational(
                    entry, data, header):
                return
            self.quick.receive(entry, data, header)
            return
        try:
            entry.sa.receive(data)
        except (RemoteProtocolError, LocalProtocolError) as exc:
            self.dropped(entry, header, str(exc), getattr(exc, "notify", None))
            return
        nat_traversal.accepted(entry, datagram)
        self._pump(entry)

    def dropped(self, entry: SaEntry, header: Header, reason: str,
                error: NotifyType | None) -> None:
        """Trace a datagram dropped inside a negotiation (Phase 1 or Quick Mode)."""
        if not self.log.tracing(IkeTraceFlag.IKE):
            return  # nothing to render a line for
        self._trace(IkeTraceFlag.IKE, msg.packet_dropped(
            local=entry.local_address, remote=entry.peer, role=entry.sa.role.value,
            icookie=header.icookie, rcookie=header.rcookie, exchange=header.exchange,
            message_id=header.message_id, reason=reason, error=error,
            ports=(entry.local_port, entry.peer_port)))

    def _respond(self, datagram: Datagram, header: Header) -> None:
        name = gateway_for_peer(self.config, datagram.src)
        self._trace(IkeTraceFlag.POLICY_MANAGER,
                    f"Phase-1 policy lookup for peer {datagram.src}: "
                    f"{'gateway ' + name if name else 'no gateway'}")
        if name is None:
            self._trace(IkeTraceFlag.POLICY_MANAGER, "IKE Phase-1: (Responder) Policy lookup "
                                                     "failed")
            self.log.message(msg.unknown_peer(datagram.src))
            self.log.message(msg.phase1_failed("responder", NotifyType.NO_PROPOSAL_CHOSEN, None,
                                               msg.peer_address_id(datagram.src)))
            return None
        try:
            gw, sa_config = self.phase1_inputs(name)
        except GatewayError as exc:
            self.log.message(f"KMD_INTERNAL_ERROR: gateway {name}: {exc}")
            return
        sa = IkeSA.responder(sa_config, rng=self.sa_rng())
        entry = SaEntry(sa=sa, peer=datagram.src, local_address=gw.local_address, gateway=name,
                        plan=gw, started=self.env.now,
                        index=self.rng.randrange(1_000_000, 9_999_999))
        nat_traversal.observed(entry, datagram)
        nat_traversal.accepted(entry, datagram)  # a new SA: nothing to protect yet
        try:
            sa.receive(datagram.payload)
        except RemoteProtocolError as exc:
            self.dropped(entry, header, str(exc), exc.notify)  # no negotiation was opened
            return
        self.sas[header.icookie] = entry
        self.results.responding(header.icookie, responder=self.device, at=self.env.now)
        self.env.process(self._expire(entry))
        self._pump(entry)

    # -- the SA's events ------------------------------------------------------------------------

    def _pump(self, entry: SaEntry) -> None:
        if self.halted:
            return
        sa = entry.sa
        while True:
            event = sa.next_event()
            if isinstance(event, SendDatagram):
                self.transmit(entry, event.data)
            elif isinstance(event, PeerCertificatesReceived):
                self.env.process(self._verify(entry, event))
            elif isinstance(event, Phase1Done):
                self._done(entry, event)
            elif isinstance(event, Phase1Failed):
                self._failed(entry, event)
            elif isinstance(event, nat_traversal.EVENTS):
                nat_traversal.on_event(self, entry, event)
            else:
                break
        self.arm_timer(entry, sa, finished=lambda: bool(entry.done or entry.failed
                                                        or entry.deleted),
                       pump=lambda: self._pump(entry),
                       what=f"Retransmission timer fired for SA with {entry.peer}")

    # -- shared with Quick Mode ---------------------------------------------------------------

    def transmit(self, entry: SaEntry, data: bytes, *, record: bool = True,
                 key: bytes | None = None) -> None:
        """Put one of an IKE SA's datagrams (Phase 1, Quick Mode, Informational) on the network
        and record it for results.json (in the negotiation `key`, by default the IKE SA's).
        DPD's datagrams (`record=False`) are neither recorded nor traffic that DPD counts."""
        if self.halted:
            return
        sent = self.send_datagram(nat_traversal.datagram_for(entry, data))
        if not record:
            return
        self.dpd.sent(entry)
        header = Header.decode(data)
        self.results.message(key or entry.sa.icookie, at=self.env.now, sender=self.device,
                             receiver=entry.peer, exchange=header.exchange.name,
                             encrypted=header.encrypted, data=data, sent=sent)

    def send_datagram(self, datagram: Datagram) -> Sent | None:
        return self._send(datagram)

    def arm_timer(self, holder, sa, *, finished: Callable[[], bool],
                  pump: Callable[[], None], what: str) -> None:
        """Start the SA's retransmission timer, once per generation it asks for."""
        timer = sa.timer()
        if timer is None or timer.generation == holder.timer_generation:
            return
        holder.timer_generation = timer.generation
        self.env.process(self._fire(sa, timer, finished, pump, what))

    def _fire(self, sa, timer, finished: Callable[[], bool], pump: Callable[[], None],
              what: str):
        yield self.env.timeout(timer.delay)
        if finished() or self.halted:
            return
        sa.on_timer(timer.generation)
        self._trace(IkeTraceFlag.TIMER, what)
        pump()

    def _expire(self, entry: SaEntry):
        # The negotiation's overall expiry (QuickSec's 300 s unless the topology says).
        yield self.env.timeout(self.phase1_timeout or entry.sa.config.retransmit.expire)
        if entry.done or entry.failed or entry.deleted:
            return
        try:
            entry.sa.timeout()
        except LocalProtocolError:
            return
        self._pump(entry)

    def _verify(self, entry: SaEntry, event: PeerCertificatesReceived):
        if entry.plan is not None and not peer_matches(entry.plan, event.peer_id):
            entry.id_mismatch = True
            self.log.message(msg.unknown_peer(entry.peer))
            entry.sa.certificate_rejected(NotifyType.AUTHENTICATION_FAILED,
                                          "peer IKE ID does not match the gateway")
            self._pump(entry)
            return
        certs = event.decoded  # the SA decoded them: nothing left to trip over
        if not certs:
            entry.sa.certificate_rejected(NotifyType.CERTIFICATE_UNAVAILABLE,
                                          "peer sent no certificate")
            self._pump(entry)
            return
        self._trace(IkeTraceFlag.CERTIFICATES, "ike_st_i_cert: Start")
        self._trace(IkeTraceFlag.CERTIFICATES, f"Received {len(certs)} certificate(s) from "
                                               f"{entry.peer}; asking pkid to verify")
        started = self.env.now
        verdict = yield self.pkid.verify(certs[0], tuple(certs[1:]),
                                         trusted_ca=entry.plan.trusted_ca if entry.plan else None)
        self.results.step(entry.sa.icookie, device=self.device, what="pkid validation",
                          start=started, end=self.env.now)
        if entry.done or entry.failed or entry.deleted:
            return  # the negotiation ended (timed out, kmd restarted) while pkid worked
        if verdict.ok:
            self._trace(IkeTraceFlag.CERTIFICATES,
                        "ike_policy_reply_find_public_key: Start (certificate accepted by pkid)")
            # The working public key of the validated path: a DSA key's inherited parameters
            # come from the issuers (RFC 5280 6.1.6), not from the certificate alone.
            entry.sa.certificate_verdict(verdict.result.public_key, certs[0])
        else:
            entry.sa.certificate_rejected(NotifyType.AUTHENTICATION_FAILED,
                                          verdict.result.message)
        self._pump(entry)

    # -- outcomes -------------------------------------------------------------------------------

    def _done(self, entry: SaEntry, event: Phase1Done) -> None:
        entry.done = event
        role = event.role.value
        self.log.message(msg.phase1_done(role, event.local_id, event.remote_id))
        if self.log.tracing(IkeTraceFlag.IKE):  # rendered only when a flag asks for it
            self._trace(IkeTraceFlag.IKE, msg.all_done(
                icookie=event.icookie, rcookie=event.rcookie, mode=event.mode.name.lower(),
                role=role, statements=event.proposal.statements(),
                key_bytes=len(event.keys.enc_key), group=event.proposal.dh_group.value))
            self._trace(IkeTraceFlag.IKE, msg.negotiation_done(
                local=entry.local_address, remote=entry.peer, status="Error ok"))
        self.syslog_message(msg.negotiation_completed(
            vpn=self._vpn_name(entry), gateway=entry.gateway or "", local=entry.local_address,
            remote=entry.peer, local_id=event.local_id, remote_id=event.remote_id, role=role,
            local_port=entry.local_port, remote_port=entry.peer_port))
        entry.record = replace(
            ike_sa_record(event, index=entry.index, gateway=entry.gateway,
                          local_address=entry.local_address, remote_address=entry.peer,
                          established=self.clock().isoformat()),
            local_port=entry.local_port, remote_port=entry.peer_port)
        self.ike_sas.append(entry.record)
        nat_traversal.established(self, entry, event)
        self.results.phase1(event.icookie, device=self.device, role=role, ok=True, error=None,
                            at=self.env.now)
        self.life.ike_up(entry)
        self.dpd.start(entry)
        if event.role is Role.INITIATOR and entry.quick_after:
            self.quick.start(entry, replaces=entry.replaces_ipsec)
        queued, entry.queued = entry.queued, []
        for data, header in queued:
            self.quick.receive(entry, data, header)

    def restart(self) -> None:
        """kmd restarts (the device reboots): every SA and negotiation is forgotten without a
        word to the peers, and the next SA with each peer says INITIAL-CONTACT."""
        self.log.message("kmd restarted: all IKE and IPsec SAs are cleared")
        for entry in self.sas.values():
            entry.deleted = True
        for qm in self.quick.negotiations:
            qm.deleted = True
        self.ike_sas.clear()
        self.quick.ipsec_sas.clear()
        self.life.contacted.clear()

    def delete_ike_sa(self, entry: SaEntry, reason: EndReason, *,
                      notify_peer: bool = True) -> None:
        """Remove an established IKE SA and the IPsec SAs with its peer, with their log lines
        (and KMD_VPN_DOWN_ALARM_USER for each VPN that goes down); the peer gets DELETE
        payloads unless `notify_peer` is False (a dead peer, one that deleted them itself).
        An SA that is not established, or already gone, is left as it is."""
        self.life.delete_ike(entry, reason, notify_peer=notify_peer, with_ipsec=True)

    def _failed(self, entry: SaEntry, event: Phase1Failed) -> None:
        entry.failed = event
        role = event.role.value
        if event.cause is Cause.REMOTE_ID_MISMATCH and event.role is Role.RESPONDER:
            # The responder's gateway does not know the identity the peer sent.
            entry.id_mismatch = True
            self.log.message(msg.unknown_peer(entry.peer))
        local, remote = msg.phase1_failure_ids(
            error=event.error, local_id=event.local_id, remote_id=event.remote_id,
            configured_local_id=entry.sa.config.local_id,
            configured_remote_id=entry.plan.remote_id if entry.plan else None,
            id_mismatch=entry.id_mismatch, peer=entry.peer)
        self.log.message(msg.phase1_failed(role, event.error, local, remote))
        self._trace(IkeTraceFlag.IKE, msg.negotiation_done(
            local=entry.local_address, remote=entry.peer, status=event.error.text))
        self.syslog_message(msg.negotiation_failed(
            error=event.error, vpn=self._vpn_name(entry), gateway=entry.gateway or "",
            local=entry.local_address, remote=entry.peer, local_id=event.local_id,
            remote_id=event.remote_id, role=role))
        self.log.message(msg.sa_error(
            local=entry.local_address, remote=entry.peer, role=role, icookie=entry.sa.icookie,
            rcookie=entry.sa.rcookie, exchange=entry.sa.mode.name.lower(), error=event.error,
            ports=(entry.local_port, entry.peer_port)))
        self.results.phase1(entry.sa.icookie, device=self.device, role=role, ok=False,
                            error=event.error.text, at=self.env.now, reason=event.reason)

    def _trace(self, flag: IkeTraceFlag, text: str) -> None:
        self.log.trace(flag, text)

    def syslog_message(self, text: str) -> None:
        """One kmd line of the messages log (VPN up/down, DPD), when the device has one."""
        if self.syslog is not None:
            self.syslog.message(f"{self.device} kmd[{self.pid}]: {text}")

    @property
    def pid(self) -> int:
        # A stable process id per device and boot, so that logs repeat run after run; a
        # rebooted device's kmd is another process.
        return 1000 + (sum(self.device.encode()) + 7919 * self.boot) % 9000

    def _vpn_name(self, entry: SaEntry) -> str | None:
        vpn = vpn_for(self.config, entry.gateway or "")
        return vpn.name if vpn else None

