"""An SRX device in the simulated world: its Junos configuration, certificate store, clock,
and its two daemons, kmd and pkid, each writing its own log under `logs/<device>/`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pki.daemon import PkiDaemon
from pki.profiles import PkiTraceFlag
from pki.store import CertificateStore
from sim.junos.config import DeviceConfig
from sim.junos.device_state import CrlSource, DeviceState
from sim.junos.logs import DaemonLog
from sim.world.ike_statistics import IkeTrafficCounters
from sim.world.kmd import Kmd
from sim.world.network import Datagram, Sent
from sim.world.pkid import Pkid, PkidTiming
from sim.world.results import Results
from sim.world.servers import CrlServer
from sim.world.traffic import Traffic, carries_esp
from sim.world.traffic_results import TrafficResults
from sim.world.world import World


class Device:
    def __init__(self, world: World, *, name: str, address: str, serial: str,
                 config: DeviceConfig, config_text: str, store: CertificateStore,
                 log_dir: Path | None,
                 results: Results, resolve, clock_offset: float = 0.0,
                 pkid_timing: PkidTiming | None = None,
                 traffic_results: TrafficResults | None = None) -> None:
        self.world = world
        self.name = name
        # log_dir None: a group member the run keeps no files of (sim.topology.expand)
        self.keep = log_dir is not None
        self.address = address
        self.serial = serial
        self.config = config
        self.config_text = config_text
        self.clock_offset = clock_offset
        self.store = store
        self.ike_traffic = IkeTrafficCounters()
        ike_trace = config.ike.traceoptions
        pki_trace = config.pki.traceoptions
        buffered = world.buffers_logs
        self.kmd_log = DaemonLog(
            directory=log_dir, daemon="kmd", clock=self.now,
            trace_file=ike_trace.file if ike_trace else None,
            traces=ike_trace.traces if ike_trace
            else (lambda flag: False), buffered=buffered)
        self.pkid_log = DaemonLog(
            directory=log_dir, daemon="pkid", clock=self.now,
            trace_file=pki_trace.file if pki_trace else None,
            traces=(lambda flag: pki_trace.traces(PkiTraceFlag(flag))) if pki_trace
            else (lambda flag: False), buffered=buffered)
        self.messages_log = DaemonLog(directory=log_dir, daemon="messages", clock=self.now,
                                      buffered=buffered)
        for log in (self.kmd_log, self.pkid_log, self.messages_log):
            world.on_pause(log.flush)
        self.pki = PkiDaemon.start(config.pki.ca_profiles, store, at=self.now())
        self.pkid = Pkid(world.env, device=name, daemon=self.pki, log=self.pkid_log,
                         clock=self.now, resolve=resolve, timing=pkid_timing)
        self.results = results
        self.boots = 0
        self.previous_kmds: list[Kmd] = []  # kmd of each earlier boot (sim.world.power)
        self.kmd = self.start_kmd()
        self.traffic = Traffic(world.env, device=name, kmd=self.kmd, send=world.network.send,
                               rng=world.lazy_rng("esp", name), clock=self.now,
                               results=traffic_results or TrafficResults())
        self.kmd.quick.on_installed.append(self.traffic.installed)
        # IKE runs on the external interface, whose address the topology checked is `address`.
        world.network.attach(address, self._receive)

    def start_kmd(self) -> Kmd:
        """kmd as the device boots (sim.world.power boots it again after a device-down). Each boot
        draws from its own stream: a rebooted device does not repeat its cookies."""
        stream = ("kmd", self.name) if not self.boots else ("kmd", self.name, f"boot-{self.boots}")
        return Kmd(self.world.env, device=self.name, address=self.address, config=self.config,
                   store=lambda: self.pki.store, pkid=self.pkid, log=self.kmd_log,
                   send=self._send_ike, rng=self.world.rng(*stream),
                   results=self.results, clock=self.now, syslog=self.messages_log,
                   boot=self.boots)

    def restart(self) -> None:
        """The `restart` event: kmd forgets its SAs without telling its peers, and the data
        plane loses its SAs with them."""
        self.boots += 1
        self.kmd.boot = self.boots  # a restarted kmd is another process (its pid)
        self.kmd.restart()
        self.traffic.rebooted(self.kmd)

    def rebooted(self) -> None:
        """After sim.world.power booted a new kmd: the data plane lost its SAs with the old one."""
        self.traffic.rebooted(self.kmd)
        self.kmd.quick.on_installed.append(self.traffic.installed)

    def _receive(self, datagram: Datagram) -> None:
        """ESP (also in UDP 4500) goes to the data plane, everything else to kmd."""
        if carries_esp(datagram):
            self.traffic.receive(datagram)
        else:
            self.ike_traffic.received(datagram)
            self.kmd.receive(datagram)

    def _send_ike(self, datagram: Datagram) -> Sent:
        self.ike_traffic.sent(datagram)
        return self.world.network.send(datagram)

    def now(self) -> dt.datetime:
        """The device's own clock: the true time plus its offset (a wrong clock is a case)."""
        return self.world.now() + dt.timedelta(seconds=self.clock_offset)

    def verify_local(self, certificate_id: str) -> None:
        """`request security pki local-certificate verify certificate-id ID`: pkid checks the
        device's own chain, downloading the CRLs of the configured CA profiles on the way."""
        cert = self.pki.store.local_certificates.get(certificate_id)
        if cert is None:
            self.pkid_log.message(f"Local certificate {certificate_id} does not exist")
            return
        process = self.pkid.verify(cert, ())

        def report(event) -> None:
            verdict = event.value
            text = (f"Local certificate {certificate_id} verification success" if verdict.ok
                    else f"Local certificate {certificate_id} verification failed: "
                         f"{verdict.result.message}")
            self.pkid_log.trace("certificate-verification", text)

        process.callbacks.append(report)

    def snapshot(self) -> DeviceState:
        """The state `show` commands read, as the run leaves it."""
        daemon = self.pki
        store = daemon.store
        for name, cert in daemon.dynamic.items():
            store = store.add_ca_certificate(name, cert)
        for name in list(store.crls):
            store = store.clear_crl(name)
        for name, cached in sorted(daemon.crls.items()):
            store = store.add_crl(name, cached.crl)
        parents = {name: _parent_of(daemon, name) for name in daemon.dynamic}
        return DeviceState(
            name=self.name, serial=self.serial, now=self.now(), address=self.address,
            config_text=self.config_text, config=self.config, store=store,
            dynamic_profiles=parents,
            crl_sources={name: CrlSource(
                url=cached.url, loaded_at=cached.loaded_at.isoformat(),
                refresh_at=cached.refresh_at.isoformat() if cached.refresh_at else None)
                for name, cached in sorted(daemon.crls.items())},
            # kmd's own state: an SA is listed until kmd deletes it (sim.world.sa_lifecycle); a
            # device that is down (sim.world.power) holds none: it will boot without them
            ike_sas=() if self.kmd.halted else tuple(
                self.ike_traffic.record(sa) for sa in self.kmd.ike_sas),
            ipsec_sas=() if self.kmd.halted else self.traffic.records(self.kmd.quick.records()),
            kmd_log=tuple(self.kmd_log.lines),
            pkid_log=tuple(self.pkid_log.lines),
            messages_log=tuple(self.messages_log.lines))

    def addresses(self) -> list[str]:
        found = [self.address]
        for iface in self.config.interfaces.values():
            for unit in iface.units.values():
                for address in unit.addresses:
                    if str(address.ip) not in found:
                        found.append(str(address.ip))
        return found


def _parent_of(daemon: PkiDaemon, dynamic: str) -> str:
    return daemon.parents.get(dynamic, "")


def server_resolver(servers: dict[str, CrlServer]):
    """host (address or name) -> the CRL server answering for it."""
    table: dict[str, CrlServer] = {}
    for server in servers.values():
        table[server.spec.address] = server
        for host in server.spec.hostnames:
            table[host.lower()] = server
    return lambda host: table.get(host.lower())
