"""A topology as frozen values: CAs, CRL servers, devices with their Junos configuration,
links, timed events and a troubleshooting case. sim.topology reads them from YAML and checks
every entry against the file; the values check themselves again when built.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from pki.files import check_name
from pki.keys import KeySpec
from pki.scep_ca import ScepPolicy
from sim.junos.config import DeviceConfig
from sim.topology.ocsp import OcspEntry
from sim.topology.specs import LinkSpec, NatSpec, ServerSpec

# CAs exist a while before the simulation starts, and so do the devices' certificates.
CA_HEAD_START = dt.timedelta(days=30)
EE_HEAD_START = dt.timedelta(days=1)
EVENT_ACTIONS = ("initiate", "revoke", "server-down", "server-up", "publish-crl", "clock",
                 "verify-local", "device-down", "device-up", "ping", "flow", "restart",
                 "generate-request", "issue", "load-local", "enroll-ca", "enroll-local")


class TopologyError(ValueError):
    def __init__(self, source: str, line: int | None, problem: str) -> None:
        where = f"{source} line {line}" if line else source
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.line = line
        self.problem = problem


@dataclass(frozen=True, kw_only=True)
class CaEntry:
    name: str
    subject: str
    issuer: str | None
    key: KeySpec
    crl_urls: tuple[str, ...]
    crl_lifetime: float
    publish_interval: float | None
    validity_days: int
    path_length: int | None
    extra_revoked: int = 0  # additional revoked serials on each CRL (a realistic CRL's size)
    email: str | None = None  # emailAddress, first in the CA's name
    digest: str | None = None  # the hash it signs with (sha1 as Junos-era CAs did); None: SHA-2
    cdp_on_own_certificate: bool = False  # a root whose certificate names its own CRL's CDPs
    ocsp: OcspEntry | None = None  # its OCSP responder (sim.topology.ocsp)
    scep: ScepPolicy | None = None  # its SCEP service (sim.topology.cas.read_scep)

    def __post_init__(self) -> None:
        check_name("CA", self.name)
        if self.issuer == self.name:
            raise ValueError(f"CA {self.name}: a CA cannot issue its own certificate")
        if self.crl_lifetime <= 0 or self.validity_days < 1 or self.extra_revoked < 0:
            raise ValueError(f"CA {self.name}: lifetime, validity and extra-revoked out of range")


@dataclass(frozen=True, kw_only=True)
class EnrollEntry:
    certificate_id: str
    ca: str
    subject: str
    domain_name: str | None = None
    email: str | None = None
    ip_address: str | None = None
    key: KeySpec = field(default_factory=KeySpec)
    not_before: float | None = None  # seconds from the start; None: the CA's choice
    validity_days: int | None = None

    def __post_init__(self) -> None:
        check_name("certificate-id", self.certificate_id)
        if self.validity_days is not None and self.validity_days < 1:
            raise ValueError(f"certificate-id {self.certificate_id}: validity under a day")


@dataclass(frozen=True, kw_only=True)
class DeviceEntry:
    name: str
    address: str
    serial: str
    clock_offset: float
    enroll: tuple[EnrollEntry, ...]
    ca_certificates: Mapping[str, str]  # ca-profile -> CA name
    crls: Mapping[str, str]  # ca-profile -> CA name, loaded at start
    config: DeviceConfig
    config_text: str
    pkid_processing: float
    download_timeout: float
    key_pool: int | None = None
    # Whether the run folder gets the device's files (logs, store, configuration, state):
    # named devices do, members of a `count:` group only when asked (sim.topology.expand).
    keep: bool = True

    def __post_init__(self) -> None:
        check_name("device", self.name)
        if not isinstance(self.keep, bool):
            raise TypeError(f"keep must be a bool, not {type(self.keep).__name__}")
        for profile in (*self.ca_certificates, *self.crls):
            check_name("ca-profile", profile)


@dataclass(frozen=True, kw_only=True)
class LinkEntry:
    a: str
    b: str
    spec: LinkSpec
    nat: NatSpec | None = None  # a NAT on the link (sim.topology.nat)


@dataclass(frozen=True, kw_only=True)
class EventEntry:
    at: float
    action: str  # one of EVENT_ACTIONS
    args: Mapping[str, object]
    line: int

    def __post_init__(self) -> None:
        if self.action not in EVENT_ACTIONS:
            raise ValueError(f"event action {self.action!r}: one of {', '.join(EVENT_ACTIONS)}")
        if not 0 <= self.at < float("inf"):
            raise ValueError(f"event at {self.at}: a time from the start")


@dataclass(frozen=True, kw_only=True)
class LookFor:
    """A log line that shows the problem: in `device`'s `log` (kmd or pkid), containing text."""

    device: str
    log: str
    contains: str


@dataclass(frozen=True, kw_only=True)
class Troubleshoot:
    """What `ikesim troubleshoot` prints for a case: the lines to look for, then the guide's
    resolution."""

    look_for: tuple[LookFor, ...]
    resolution: str


@dataclass(frozen=True, kw_only=True)
class Topology:
    name: str
    description: str
    source: str
    start: dt.datetime
    seed: int
    duration: float
    cas: Mapping[str, CaEntry]
    servers: Mapping[str, ServerSpec]
    devices: Mapping[str, DeviceEntry]
    links: tuple[LinkEntry, ...]
    events: tuple[EventEntry, ...]
    troubleshoot: Troubleshoot | None = None
    cross_certify: tuple[tuple[str, str], ...] = ()  # (issuer, subject) CA pairs
    # One-line warnings, already formatted with the file and line (statements ikesim accepts
    # but does not model); `ikesim run` prints each as `ikesim: warning: <line>`.
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_name("topology name", self.name)
        if not 0 < self.duration < float("inf"):
            raise ValueError(f"duration {self.duration}: a run lasts some time")
        if self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
