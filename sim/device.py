"""An SRX device in the simulated world: its Junos configuration, certificate store, clock,
and its two daemons, kmd and pkid, each writing its own log under `logs/<device>/`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pki.daemon import PkiDaemon
from pki.profiles import PkiTraceFlag
from pki.store import CertificateStore
from sim.junos.config import DeviceConfig
from sim.junos.logs import DaemonLog
from sim.kmd import Kmd
from sim.pkid import Pkid, PkidTiming
from sim.results import Results
from sim.servers import CrlServer
from sim.world import World


class Device:
    def __init__(self, world: World, *, name: str, address: str, serial: str,
                 config: DeviceConfig, store: CertificateStore, log_dir: Path,
                 results: Results, resolve, clock_offset: float = 0.0,
                 pkid_timing: PkidTiming | None = None) -> None:
        self.world = world
        self.name = name
        self.address = address
        self.serial = serial
        self.config = config
        self.clock_offset = clock_offset
        self.store = store
        ike_trace = config.ike.traceoptions
        pki_trace = config.pki.traceoptions
        self.kmd_log = DaemonLog(
            directory=log_dir, daemon="kmd", clock=self.now,
            trace_file=ike_trace.file if ike_trace else None,
            traces=ike_trace.traces if ike_trace
            else (lambda flag: False))
        self.pkid_log = DaemonLog(
            directory=log_dir, daemon="pkid", clock=self.now,
            trace_file=pki_trace.file if pki_trace else None,
            traces=(lambda flag: pki_trace.traces(PkiTraceFlag(flag))) if pki_trace
            else (lambda flag: False))
        self.pki = PkiDaemon.start(config.pki.ca_profiles, store, at=self.now())
        self.pkid = Pkid(world.env, device=name, daemon=self.pki, log=self.pkid_log,
                         clock=self.now, resolve=resolve, timing=pkid_timing)
        self.kmd = Kmd(world.env, device=name, address=address, config=config,
                       store=lambda: self.pki.store, pkid=self.pkid, log=self.kmd_log,
                       send=world.network.send, rng=world.rng("kmd", name), results=results,
                       clock=self.now)
        for local in self.addresses():
            world.network.attach(local, self.kmd.receive)

    def now(self) -> dt.datetime:
        """The device's own clock: the true time plus its offset (a wrong clock is a case)."""
        return self.world.now() + dt.timedelta(seconds=self.clock_offset)

    def addresses(self) -> list[str]:
        found = [self.address]
        for iface in self.config.interfaces.values():
            for unit in iface.units.values():
                for address in unit.addresses:
                    if str(address.ip) not in found:
                        found.append(str(address.ip))
        return found


def server_resolver(servers: dict[str, CrlServer]):
    """host (address or name) -> the CRL server answering for it."""
    table: dict[str, CrlServer] = {}
    for server in servers.values():
        table[server.spec.address] = server
        for host in server.spec.hostnames:
            table[host.lower()] = server
    return lambda host: table.get(host.lower())
