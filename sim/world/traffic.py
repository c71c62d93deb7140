"""A device's IPsec data plane in the simulated world: the hosts of its protected networks
send pings and flows, packets that match an IPsec SA's proxy IDs leave ESP-encapsulated
(protocol 50) towards the peer, and ESP that arrives is checked, counted and delivered: an echo
request is answered through the tunnel, as the protected host behind the peer would answer it.

Junos brings a VPN up on traffic (`establish-tunnels on-traffic`, the default): a packet with no
SA is dropped and starts Phase 1, or Quick Mode when the gateway's IKE SA is up (see
`_bring_up`); the next packets use the SA Quick Mode installs.

Seams for the other parts of issue 9: `wrap` turns an ESP packet into the datagram that carries
it (protocol 50; NAT-T replaces it to put the packet in UDP 4500), and `carries_esp` already
tells ESP in UDP 4500 (RFC 3948) from IKE there, so sim.world.device hands either to `receive`; the
network applies the link's loss, latency (and, with fragmentation, its MTU) to that datagram
as to any other. A rekey installs a new SA pair through `installed`: outbound traffic moves to
the newest live SA that matches, while the old inbound SA keeps receiving until its lifetime
ends (a DELETE should drop it from `_by_spi` then: not modelled yet).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import simpy

from sim.esp.inner import PROTO_UDP, InnerMalformed, InnerPacket, parse
from sim.esp.packet import NEXT_HEADER_IPV4, NEXT_HEADER_IPV6, EspError, EspSuite, header
from sim.esp.sa import EspCounters, Inbound, Outbound, SequenceExhausted
from sim.ike.ids import IkeId
from sim.ike.ipsec_proposals import AUTHENTICATION_ALGORITHMS, ENCRYPTION_ALGORITHMS
from sim.ike.phase2 import QuickModeDone
from sim.junos.device_state import IpsecSaRecord
from sim.topology.traffic_plan import TRIGGER_HOLD_DOWN, covers, route
from sim.world.network import PROTO_ESP, Datagram
from sim.world.traffic_results import FlowRecord, PingRecord, TrafficResults

if TYPE_CHECKING:
    from sim.world.kmd import Kmd
    from sim.world.quick_mode import QmEntry

PING_INTERVAL = 1.0  # Junos `ping` sends one echo request a second
_NEXT_HEADER = {4: NEXT_HEADER_IPV4, 6: NEXT_HEADER_IPV6}  # tunnel mode: IP in ESP


@dataclass
class TunnelSa:
    """One installed IPsec SA pair and its ESP state."""

    record: IpsecSaRecord
    local: IkeId   # proxy IDs as negotiated
    remote: IkeId
    outbound: Outbound
    inbound: Inbound
    counters: EspCounters
    keys: QuickModeDone
    qm: QmEntry  # kmd's Quick Mode: its SA pair ends when kmd deletes it
    installed_at: float = 0.0  # simulated time Quick Mode installed it (the esp_sa order)


class Traffic:
    def __init__(self, env: simpy.Environment, *, device: str, kmd: Kmd,
                 send: Callable[[Datagram], None], rng: random.Random,
                 results: TrafficResults, clock: Callable[[], dt.datetime]) -> None:
        self.env, self.device, self.kmd = env, device, kmd
        self._send, self._rng, self.results, self.clock = send, rng, results, clock
        self.sas: list[TunnelSa] = []
        self.earlier: list[TunnelSa] = []  # the SAs of earlier boots, for results and keys
        self._by_spi: dict[int, TunnelSa] = {}
        self._triggered: dict[str, float] = {}  # gateway -> when traffic last started one
        self.wrap: Callable[[TunnelSa, bytes], Datagram] = self._esp_datagram
        self.unwrap: Callable[[Datagram], bytes | None] = _esp_payload

    # -- SAs ------------------------------------------------------------------------------

    def rebooted(self, kmd: Kmd) -> None:
        """The device booted again (sim.world.power): its IPsec SAs are gone; its counters of
        dropped packets and the pings and flows under way stay."""
        self.kmd = kmd
        self.earlier += self.sas
        self.sas = []
        self._by_spi.clear()
        self._triggered.clear()

    def installed(self, qm: QmEntry) -> None:
        """Quick Mode installed an SA pair (called by sim.world.quick_mode)."""
        record, done = qm.record, qm.done
        encryption = ENCRYPTION_ALGORITHMS[record.encryption_algorithm]
        authentication = AUTHENTICATION_ALGORITHMS[record.authentication_algorithm]

        def suite(keys) -> EspSuite:
            return EspSuite(encryption=encryption, authentication=authentication,
                            encryption_key=keys.encryption_key,
                            authentication_key=keys.authentication_key)

        vpn = self.kmd.config.ipsec.vpns.get(record.vpn)
        counters = EspCounters()
        sa = TunnelSa(
            record=record, local=done.local_proxy_id, remote=done.remote_proxy_id,
            outbound=Outbound(suite(done.outbound_keys), spi=done.outbound_spi,
                              rng=random.Random(self._rng.getrandbits(64)), counters=counters),
            inbound=Inbound(suite(done.inbound_keys), spi=done.inbound_spi, counters=counters,
                            anti_replay=not (vpn is not None and vpn.no_anti_replay)),
            counters=counters, keys=done,
            qm=qm,
            installed_at=self.env.now)
        self.sas.append(sa)
        self._by_spi[done.inbound_spi] = sa

    def every_sa(self) -> list[TunnelSa]:
        """Each SA pair installed in the run, earlier boots' first: the capture holds their
        packets and results.json their counters, though a reboot cleared them from `show`."""
        return [*self.earlier, *self.sas]

    def records(self, records: tuple[IpsecSaRecord, ...]) -> tuple[IpsecSaRecord, ...]:
        """`records` with the counters of their SA pairs (for the device's saved state). By
        inbound SPI, not by tunnel index: a rekey keeps the index, and the old pair and its
        replacement may both be up for a while (the peer's DELETE is late or lost)."""
        by_spi = {sa.keys.inbound_spi: sa.counters for sa in self.sas}
        return tuple(replace(r, **by_spi[int(r.inbound_spi, 16)].statistics().counters())
                     if int(r.inbound_spi, 16) in by_spi else r
                     for r in records)

    def _alive(self, sa: TunnelSa) -> bool:
        if sa.qm.deleted:  # rekeyed, expired, deleted by the peer
            return False
        end = dt.datetime.fromisoformat(sa.record.established) + dt.timedelta(
            seconds=sa.record.lifetime_seconds)
        return end > self.clock()

    def _outbound_sa(self, packet: InnerPacket) -> TunnelSa | None:
        for sa in reversed(self.sas):  # the newest SA that matches carries new traffic
            if (covers(sa.local, packet.src) and covers(sa.remote, packet.dst)
                    and self._alive(sa)):
                return sa
        return None

    # -- sending --------------------------------------------------------------------------

    def originate(self, packet: InnerPacket) -> bool:
        """A host behind this device sends `packet`; False when no SA could carry it."""
        if self.kmd.halted:  # the device is down (sim.world.power): the packet meets nothing
            self.results.drops_of(self.device).device_down += 1
            return False
        sa = self._outbound_sa(packet)
        if sa is None:
            self.results.drops_of(self.device).no_sa += 1
            self._bring_up(packet)
            return False
        try:
            esp = sa.outbound.encapsulate(packet.encode(), _NEXT_HEADER[packet.version])
        except SequenceExhausted:  # only a rekey helps (out of scope: the packet is dropped)
            self.results.drops_of(self.device).no_sa += 1
            return False
        self._send(self.wrap(sa, esp))
        self._carried(sa, len(esp), sent=True)
        return True

    def _carried(self, sa: TunnelSa, octets: int, *, sent: bool) -> None:
        """Tell kmd what the SA carried: its kilobyte lifetime and the rekey of a tunnel in
        use count it (sim.world.sa_lifecycle), and DPD counts it as traffic (sim.world.dpd)."""
        if sent:
            self.kmd.dpd.esp_sent(sa.qm.ike)
        else:
            self.kmd.dpd.esp_received(sa.qm.ike)
        self.kmd.life.carried_by(sa.qm, octets)

    def _esp_datagram(self, sa: TunnelSa, esp: bytes) -> Datagram:
        record = sa.record
        if record.nat_t:  # RFC 3948: in UDP between the ports IKE floated to
            return Datagram(src=record.local_address, dst=record.remote_address,
                            sport=record.local_port, dport=record.port, payload=esp)
        return Datagram(src=record.local_address, dst=record.remote_address, sport=0,
                        dport=0, payload=esp, protocol=PROTO_ESP)

    def _bring_up(self, packet: InnerPacket) -> None:
        """Traffic for a VPN without an SA starts a negotiation: Quick Mode on the gateway's
        IKE SA when one is up (its IPsec SA expired or was never made), else Phase 1 (not
        for a dynamic peer, which only responds). Nothing while a negotiation is in progress,
        and at most one every TRIGGER_HOLD_DOWN seconds per gateway, so that a flow towards
        a peer that keeps failing does not start one per packet (our choice: the guide is
        silent on kmd's back-off)."""
        vpn = route(self.kmd.config, packet.src, packet.dst)
        gateway = self.kmd.config.ike.gateways.get(vpn.gateway) if vpn else None
        if vpn is None or gateway is None:
            return
        last = self._triggered.get(vpn.gateway)
        if last is not None and self.env.now - last < TRIGGER_HOLD_DOWN:
            return
        entries = [e for e in self.kmd.sas.values()
                   if e.gateway == vpn.gateway and e.failed is None and not e.deleted]
        up = [e for e in entries if e.done is not None and self._ike_alive(e.sa.icookie)]
        if not entries and gateway.addresses:
            self.kmd.initiate(vpn.gateway)
        elif up and not any(q.ike in up and not q.finished
                            for q in self.kmd.quick.negotiations):
            self.kmd.quick.start(up[-1])
        else:
            return
        self._triggered[vpn.gateway] = self.env.now

    def _ike_alive(self, icookie: bytes) -> bool:
        record = next((r for r in self.kmd.ike_sas if r.initiator_cookie == icookie.hex()),
                      None)
        return record is not None and dt.datetime.fromisoformat(record.established) + \
            dt.timedelta(seconds=record.lifetime_seconds) > self.clock()

    def ping(self, record: PingRecord, *, interval: float = PING_INTERVAL):
        """A SimPy process: `count` echo requests, one every `interval` (the record is in
        the results already, so replies find it)."""
        data = _pattern(record.size)
        for seq in range(1, record.count + 1):
            record.transmitted += 1
            echo = seq & 0xFFFF  # the echo sequence field wraps, as ping's does
            record.sent_at[echo] = self.env.now
            self.originate(InnerPacket.echo_request(src=record.source, dst=record.destination,
                                                    ident=record.ident, seq=echo, data=data))
            if seq < record.count:
                yield self._until(record.at + seq * interval)

    def flow(self, record: FlowRecord):
        """A SimPy process: UDP datagrams of `size` data bytes at `rate` a second."""
        data = _pattern(record.size)
        total = int(record.rate * record.duration)
        for number in range(total):
            record.sent += 1
            self.originate(InnerPacket(src=record.source, dst=record.destination,
                                       protocol=PROTO_UDP, ident=record.ident,
                                       seq=number & 0xFFFF, data=data))
            if number + 1 < total:
                yield self._until(record.at + (number + 1) / record.rate)

    def _until(self, when: float):
        """A timeout to `when`, counted from the start each time: adding up 1/rate, packet
        after packet, would drift."""
        return self.env.timeout(max(0.0, when - self.env.now))

    # -- receiving ------------------------------------------------------------------------

    def receive(self, datagram: Datagram) -> None:
        """An ESP datagram for this device (sim.world.device dispatches protocol 50 here)."""
        esp = self.unwrap(datagram)
        if esp is None:
            return
        drops = self.results.drops_of(self.device)
        try:
            spi, _ = header(esp)
        except EspError:
            drops.unknown_spi += 1  # too short to name an SA: no SA's counters can take it
            return
        sa = self._by_spi.get(spi)
        if sa is None or not self._alive(sa):  # an SA past its lifetime is deleted
            drops.unknown_spi += 1
            return
        try:
            next_header, inner = sa.inbound.decapsulate(esp)
        except EspError:
            return  # counted on the SA
        self._carried(sa, len(esp), sent=False)
        try:
            packet = parse(inner)
        except InnerMalformed:
            drops.not_allowed += 1
            return
        if _NEXT_HEADER[packet.version] != next_header:  # an IPv6 packet said to be IPv4
            drops.not_allowed += 1
            return
        # RFC 4301 5.2: what an SA delivers must lie inside its proxy IDs.
        if not (covers(sa.remote, packet.src) and covers(sa.local, packet.dst)):
            drops.not_allowed += 1
            return
        self._deliver(packet)

    def _deliver(self, packet: InnerPacket) -> None:
        if packet.is_echo_request:
            self.originate(packet.reply())  # the protected host answers at once
        elif packet.is_echo_reply:
            ping = self.results.ping_of(packet.dst, packet.ident)
            if ping is not None and packet.seq in ping.sent_at:
                ping.received += 1
                ping.rtts.append(self.env.now - ping.sent_at.pop(packet.seq))
        elif packet.protocol == PROTO_UDP:
            flow = self.results.flow_of(packet.src, packet.ident)
            if flow is not None:
                flow.received += 1


NAT_T_PORT = 4500


def carries_esp(datagram: Datagram) -> bool:
    """ESP (protocol 50), or ESP in UDP 4500 (RFC 3948: a non-zero SPI where IKE on port 4500
    puts its four zero bytes, the non-ESP marker)."""
    if datagram.protocol == PROTO_ESP:
        return True
    return (datagram.dport == NAT_T_PORT and len(datagram.payload) >= 4
            and datagram.payload[:4] != bytes(4))


def _esp_payload(datagram: Datagram) -> bytes | None:
    return datagram.payload if carries_esp(datagram) else None


def _pattern(size: int) -> bytes:
    """Ping's data: the bytes 0, 1, 2, ... as BSD ping fills its packets."""
    return bytes(i & 0xFF for i in range(size))
