"""kmd's dead peer detection: one SimPy process per established IKE SA whose gateway configures
`dead-peer-detection` and whose peer sent the DPD vendor ID. Every interval it asks the SA's
DpdMonitor (sim.ike.dpd) what to do: nothing, send an R-U-THERE, or declare the peer dead,
which writes KMD_DPD_PEER_DOWN and clears the peer's IKE and IPsec SAs.

kmd answers every R-U-THERE on an established IKE SA with an R-U-THERE-ACK, whatever its own
configuration: it sent the DPD vendor ID, and RFC 3706 asks a peer that did to answer.

Traffic counts as the peer being alive when it authenticates: an Informational or Quick Mode
message that decrypts and whose HASH holds (IKE now; ESP through `esp_received`, the seam for
the ESP engine, once its ICV holds). Anyone can put the SA's cookies and the peer's address
on a datagram: such a copy must not keep a dead peer alive.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.ike.dpd import (
    DpdKind,
    DpdMalformed,
    DpdMessage,
    DpdMonitor,
    Verdict,
    open_dpd,
    peer_supports_dpd,
    seal_dpd,
)
from sim.ike.payloads import ExchangeType, Header, PayloadMalformed
from sim.junos import kmd_messages as msg
from sim.junos.config import IkeTraceFlag
from sim.world.sa_lifecycle import EndReason

if TYPE_CHECKING:
    from sim.world.kmd import Kmd, SaEntry


@dataclass
class _Watch:
    entry: SaEntry
    monitor: DpdMonitor | None  # None: we only answer (no DPD configured or peer lacks it)
    rng: random.Random
    ends: float  # the IKE SA's lifetime: DPD lives and answers no longer than its SA


class DeadPeerDetector:
    """One per kmd."""

    def __init__(self, kmd: Kmd) -> None:
        self.kmd = kmd
        self._watches: dict[bytes, _Watch] = {}

    # -- hooks kmd calls ----------------------------------------------------------------------

    def start(self, entry: SaEntry) -> None:
        """Phase 1 is done: watch the peer if the gateway says so and the peer speaks DPD."""
        kmd, done = self.kmd, entry.done
        # Per-SA randomness from the SA's own cookies: DPD draws nothing from kmd's stream,
        # so a run without dead-peer-detection makes the same cookies and nonces as before.
        rng = random.Random(f"dpd/{kmd.device}/{done.icookie.hex()}/{done.rcookie.hex()}")
        config = entry.plan.gateway.dead_peer_detection if entry.plan else None
        watch = _Watch(entry=entry, monitor=None, rng=rng,
                       ends=kmd.env.now + done.proposal.lifetime_seconds)
        self._watches[done.icookie] = watch
        if config is None:
            return
        if not peer_supports_dpd(done.peer_vendor_ids):
            kmd.log.trace(IkeTraceFlag.IKE, f"DPD not used with peer {entry.peer}: it did not "
                                            "send the DPD vendor ID")
            return
        watch.monitor = DpdMonitor(mode=config.mode, interval=config.interval,
                                   threshold=config.threshold,
                                   first_sequence=rng.getrandbits(32), now=kmd.env.now)
        kmd.log.trace(IkeTraceFlag.IKE, f"DPD started for peer {entry.peer}: "
                                        f"{config.mode.value}, interval {config.interval} s, "
                                        f"threshold {config.threshold}")
        kmd.env.process(self._run(watch))

    def heard(self, entry: SaEntry) -> None:
        """An authenticated datagram of the SA came from the peer."""
        watch = self._watches.get(entry.sa.icookie)
        if watch is not None and watch.monitor is not None:
            watch.monitor.heard(self.kmd.env.now)

    esp_received = heard  # the seam for ESP: inbound ESP proves the peer alive, as IKE does

    def sent(self, entry: SaEntry) -> None:
        """kmd sent the peer something (not DPD itself)."""
        watch = self._watches.get(entry.sa.icookie)
        if watch is not None and watch.monitor is not None:
            watch.monitor.sent(self.kmd.env.now)

    esp_sent = sent  # the seam for ESP: outbound ESP is traffic `optimized` waits an answer to

    def receive(self, entry: SaEntry, datagram: bytes, header: Header) -> bool:
        """An Informational under an established IKE SA: True when it was DPD's (answered or
        taken), False to leave it to whoever reads the others."""
        watch = self._watches.get(entry.sa.icookie)
        if (watch is None or header.exchange is not ExchangeType.INFORMATIONAL
                or not self._current(watch)):
            return False
        try:
            message = open_dpd(entry.done, datagram)
        except DpdMalformed as exc:
            self.kmd.dropped(entry, header, str(exc), exc.notify)
            return True
        except PayloadMalformed:
            return False  # left to the Informational readers, which trace the drop
        self.heard(entry)  # it authenticated (a DELETE or another notification too)
        if message is None:
            return False
        self._trace(entry, header.message_id, message, sent=False)
        if message.kind is DpdKind.R_U_THERE:
            self._send(watch, DpdMessage(kind=DpdKind.R_U_THERE_ACK, sequence=message.sequence))
        elif watch.monitor is not None:
            watch.monitor.acknowledged(message.sequence, self.kmd.env.now)
        return True

    # -- the process ----------------------------------------------------------------------------

    def _run(self, watch: _Watch):
        kmd, monitor = self.kmd, watch.monitor
        while True:
            yield kmd.env.timeout(monitor.interval)
            if not self._current(watch):
                return  # the SA was cleared or expired, or kmd stopped
            verdict = monitor.tick(kmd.env.now)
            if verdict is Verdict.PROBE:
                self._send(watch, DpdMessage(kind=DpdKind.R_U_THERE, sequence=monitor.sequence))
            elif verdict is Verdict.DEAD:
                self._peer_dead(watch)
                return

    def _current(self, watch: _Watch) -> bool:
        kmd, entry = self.kmd, watch.entry
        return (not kmd.halted and kmd.env.now < watch.ends and not entry.deleted
                and kmd.sas.get(entry.sa.icookie) is entry
                and self._watches.get(entry.sa.icookie) is watch)

    def _send(self, watch: _Watch, message: DpdMessage) -> None:
        entry = watch.entry
        message_id = watch.rng.getrandbits(32) | 1
        self.kmd.transmit(entry, seal_dpd(entry.done, message_id, message), record=False)
        self._trace(entry, message_id, message, sent=True)

    def _trace(self, entry: SaEntry, message_id: int, message: DpdMessage, *,
               sent: bool) -> None:
        done = entry.done
        self.kmd.log.trace(IkeTraceFlag.IKE, msg.dpd_notification(
            local=entry.local_address, remote=entry.peer, role=entry.sa.role.value,
            icookie=done.icookie, rcookie=done.rcookie, message_id=message_id,
            notify=message.kind.value, sequence=message.sequence, sent=sent,
            ports=(entry.local_port, entry.peer_port)))

    def _peer_dead(self, watch: _Watch) -> None:
        kmd, entry = self.kmd, watch.entry
        kmd.log.message(msg.dpd_peer_down(entry.peer))
        kmd.syslog_message(msg.dpd_peer_down(entry.peer))
        kmd.results.dpd(entry.sa.icookie, device=kmd.device, event="peer-dead", peer=entry.peer,
                        at=kmd.env.now, probes=watch.monitor.unanswered)
        self._watches.pop(entry.sa.icookie, None)
        clear_peer_sas(kmd, entry)


def clear_peer_sas(kmd: Kmd, entry: SaEntry) -> None:
    """Remove a dead peer's IKE SA and the IPsec SAs with that peer, telling the peer nothing
    (it is dead): kmd's own delete, with its lines and the VPN-down alarm."""
    kmd.delete_ike_sa(entry, EndReason.PEER_DEAD, notify_peer=False)
