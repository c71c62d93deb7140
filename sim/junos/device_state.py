"""What a device looks like when a run ends: the state that `show` and `request` commands read.

A snapshot is saved into the run directory and loaded back by `ikesim show` / `ikesim cli`:

    pki/<device>/            the certificate store (keys 0600, local, requests, ca, crl as PEM);
                             ca/ and crl/ also hold the dynamic CA profiles' certificate and CRL
    devices/<device>/config  the device's Junos configuration, as given
    devices/<device>/state.json   clock, serial, dynamic profiles, CRL sources, IKE/IPsec SAs
    logs/<device>/kmd, pkid  the daemons' logs; messages: the syslog lines (KMD_*)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pki.files import check_name, inside, write_file
from pki.loaders import LoadError
from pki.store import CertificateStore
from sim.esp.sa import EspStatistics
from sim.junos.config import DeviceConfig, parse_config
from sim.junos.state_file import CONFIG_LIMIT, read_log, read_state, read_text, write_json


@dataclass(frozen=True, kw_only=True)
class IkeSaRecord:
    """One IKE SA as `show security ike security-associations` lists it."""

    index: int
    gateway: str | None
    role: str  # Initiator | Responder
    state: str  # UP | DOWN
    initiator_cookie: str  # 16 hex digits
    responder_cookie: str
    mode: str  # Main | Aggressive
    local_address: str
    remote_address: str
    authentication_method: str  # RSA-signatures, DSA-signatures, ECDSA-signatures-256, ...
    authentication_algorithm: str  # sha1, md5, sha-256, sha-384
    encryption_algorithm: str  # 3des-cbc, aes-256-cbc, ...
    prf: str  # hmac-sha1, ...
    dh_group: int
    lifetime_seconds: int
    established: str  # ISO time on the device's clock
    local_id: str  # rendered, e.g. ipv4(udp:500,[0..3]=30.1.1.31)
    remote_id: str
    # "Traffic statistics:" of the detail form: what the SA's IPsec SAs carried (the traffic
    # part counts it; zero until then, as on a tunnel nothing has crossed).
    input_bytes: int = 0
    output_bytes: int = 0
    input_packets: int = 0
    output_packets: int = 0
    # IPsec SAs (one a direction) this IKE SA created and deleted; None: two a live pair.
    ipsec_sas_created: int | None = None
    ipsec_sas_deleted: int = 0
    local_port: int = 500  # 4500 after NAT-T's float
    remote_port: int = 500  # the peer's port as seen: 4500, or a NAT's high port


@dataclass(frozen=True, kw_only=True)
class IpsecSaRecord(EspStatistics):
    """One IPsec SA pair as `show security ipsec security-associations` lists it, with its ESP
    counters (EspStatistics' fields, all 0 until traffic flows)."""

    index: int
    vpn: str
    gateway: str
    local_address: str
    remote_address: str
    inbound_spi: str  # 8 hex digits
    outbound_spi: str
    protocol: str  # ESP
    authentication_algorithm: str  # hmac-sha1-96
    encryption_algorithm: str  # 3des-cbc
    lifetime_seconds: int
    established: str
    local_identity: str  # ipv4_subnet(any:0,[0..7]=10.10.10.0/24)
    remote_identity: str
    policy: str | None = None
    pfs_group: int | None = None
    port: int = 500  # the peer's IKE port: 500, 4500 with NAT-T, or a NAT's high port
    local_port: int = 500
    nat_t: bool = False  # UDP-encapsulated (RFC 3948): ESP travels between the IKE ports
    lifetime_kilobytes: int | None = None  # None: no size limit ("unlim", "Unlimited")
    kilobytes_used: int = 0  # what the pair carried so far, against lifetime_kilobytes

    @property
    def kilobytes_remaining(self) -> int | None:
        """Life:sec/kb's and "Lifesize Remaining:"'s number; None: no size limit."""
        if self.lifetime_kilobytes is None:
            return None
        return max(0, self.lifetime_kilobytes - self.kilobytes_used)


@dataclass(frozen=True, kw_only=True)
class CrlSource:
    url: str | None
    loaded_at: str
    refresh_at: str | None


@dataclass(frozen=True, kw_only=True)
class DeviceState:
    name: str
    serial: str
    now: dt.datetime  # the device's clock when the run ended
    address: str
    config_text: str
    config: DeviceConfig
    store: CertificateStore
    dynamic_profiles: dict[str, str] = field(default_factory=dict)  # name -> parent profile
    crl_sources: dict[str, CrlSource] = field(default_factory=dict)
    ike_sas: tuple[IkeSaRecord, ...] = ()
    ipsec_sas: tuple[IpsecSaRecord, ...] = ()
    kmd_log: tuple[str, ...] = ()
    pkid_log: tuple[str, ...] = ()
    messages_log: tuple[str, ...] = ()
    # Trace files a traceoptions `file NAME` writes besides the daemons' logs, by name.
    trace_logs: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def log_files(self) -> tuple[str, ...]:
        """The files `show log` reads, as `show log ?` lists them."""
        return ("kmd", "pkid", "messages", *sorted(self.trace_logs))

    # -- disk -------------------------------------------------------------------------------

    def save(self, run_dir: Path) -> None:
        """Write the store, configuration and state.json under `run_dir` (and only there)."""
        check_name("device", self.name)
        self.store.save(inside(run_dir, "pki", self.name), within=run_dir)
        folder = inside(run_dir, "devices", self.name)
        folder.mkdir(parents=True, exist_ok=True)
        # The configuration may hold a pre-shared key: not world-readable, like key files.
        write_file(inside(folder, "config"), self.config_text.encode(), mode=0o600)
        write_json(inside(folder, "state.json"), {
            "name": self.name, "serial": self.serial, "address": self.address,
            "now": self.now.isoformat(),
            "dynamic_profiles": self.dynamic_profiles,
            "crl_sources": {k: asdict(v) for k, v in self.crl_sources.items()},
            "ike_sas": [asdict(sa) for sa in self.ike_sas],
            "ipsec_sas": [asdict(sa) for sa in self.ipsec_sas],
        })

    @classmethod
    def load(cls, run_dir: Path, device: str) -> DeviceState:
        """Raises LoadError (or FileRefused) naming what is missing or broken; everything read
        is checked first (sim.junos.state_file), as the folder may come from anyone."""
        check_name("device", device)
        folder = inside(run_dir, "devices", device)
        state_file = inside(folder, "state.json")
        if not state_file.is_file():
            known = sorted(p.name for p in (run_dir / "devices").glob("*")) \
                if (run_dir / "devices").is_dir() else []
            hint = f" (devices here: {', '.join(known)})" if known else ""
            raise LoadError(str(run_dir), f"no device {device} in this run directory{hint}")
        state = read_state(state_file, device=device, records=_RECORDS)
        text = read_text(inside(folder, "config"), limit=CONFIG_LIMIT)
        store = CertificateStore.load(inside(run_dir, "pki", device))
        logs = {name: read_log(inside(run_dir, "logs", device, name))
                for name in ("kmd", "pkid", "messages")}
        config = parse_config(text, source=device)
        traces = {name: read_log(inside(run_dir, "logs", device, name))
                  for name in _trace_file_names(config) if name not in logs}
        return cls(name=device, config_text=text, config=config,
                   store=store, kmd_log=logs["kmd"], pkid_log=logs["pkid"],
                   messages_log=logs["messages"], trace_logs=traces, **state)


def _trace_file_names(config: DeviceConfig) -> list[str]:
    """The trace files the configuration names (`security ike traceoptions file NAME`)."""
    names = []
    for trace in (config.ike.traceoptions, config.pki.traceoptions):
        name = trace.file.name if trace is not None else None
        if name is not None and name not in names:
            names.append(check_name("trace file", name))
    return names


_RECORDS = {"ike_sas": IkeSaRecord, "ipsec_sas": IpsecSaRecord, "crl_sources": CrlSource}
