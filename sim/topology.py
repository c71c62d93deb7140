"""Topology files: CAs, CRL servers, devices with their Junos configuration, links and timed
events, read from YAML and checked before anything runs.

Every problem is a `TopologyError` whose one line names the file, the line and the entry:
`figure4.yaml line 12: devices.Host-A.address: '30.1.1' is not an IPv4 address`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from cryptography import x509

from pki.csr import RequestParams
from pki.keys import KeySpec, KeyType
from pki.names import SubjectError, parse_subject
from pki.profiles import ConfigError
from sim.durations import parse_duration, signed_duration
from sim.expand import expand_devices, expand_events, substitute_parameters
from sim.gateway import interface_address
from sim.junos.config import DeviceConfig, parse_config
from sim.junos.setcmd import ConfigSyntaxError
from sim.network import LinkSpec
from sim.servers import ServerSpec
from sim.yaml_lines import Located, YamlError, load


class TopologyError(ValueError):
    def __init__(self, source: str, line: int | None, problem: str) -> None:
        where = f"{source} line {line}" if line else source
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.line = line
        self.problem = problem


def parse_key(value: object) -> KeySpec:
    """`rsa-1024`, `rsa-2048`, `dsa-1024`, `ecdsa-256`, ..."""
    kind, _, size = str(value).partition("-")
    try:
        return KeySpec(type=KeyType(kind), size=int(size))
    except ValueError as exc:
        raise ValueError(f"key {value!r}: {exc}" if "size" in str(exc) else
                         f"key {value!r}: expected rsa-N, dsa-N or ecdsa-N") from None


# -- values -----------------------------------------------------------------------------------


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


@dataclass(frozen=True, kw_only=True)
class LinkEntry:
    a: str
    b: str
    spec: LinkSpec


@dataclass(frozen=True, kw_only=True)
class EventEntry:
    at: float
    action: str  # initiate | revoke | server-down | server-up | publish-crl | clock | verify-local
    args: Mapping[str, object]
    line: int


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


# -- reading ----------------------------------------------------------------------------------

_EVENT_ARGS = {
    "initiate": {"device", "gateway"},
    "revoke": {"ca", "certificate", "reason"},
    "server-down": {"server"},
    "server-up": {"server"},
    "publish-crl": {"ca"},
    "clock": {"device", "offset"},
    "verify-local": {"device", "certificate-id"},
}


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: Located | None, key: object, problem: str) -> TopologyError:
        line = None
        if isinstance(where, Located):
            line = where.lines.get(key, where.line) if key is not None else where.line
        return TopologyError(self.source, line, problem)

    def mapping(self, parent: Located, key: str, path: str, *, required: bool = False
                ) -> Located:
        value = parent.get(key)
        if value is None:
            if required:
                raise self.fail(parent, None, f"{path}: missing")
            empty = Located()
            empty.line = parent.lines.get(key, parent.line)
            return empty
        if not isinstance(value, Located):
            raise self.fail(parent, key, f"{path}: expected a mapping")
        return value

    def only(self, entry: Located, allowed: set[str], path: str) -> None:
        for key in entry:
            if key not in allowed:
                raise self.fail(entry, key, f"{path}.{key}: unknown entry (expected one of "
                                            f"{', '.join(sorted(allowed))})")

    def convert(self, entry: Located, key: str, path: str, fn, default=None):
        if key not in entry or entry[key] is None:
            return default
        try:
            return fn(entry[key])
        except (ValueError, TypeError, SubjectError) as exc:
            raise self.fail(entry, key, f"{path}.{key}: {exc}") from None


def _ipv4(value: object) -> str:
    try:
        return str(ipaddress.IPv4Address(str(value)))
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 address") from None


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError("expected a string or a list of strings")


def _subject(value: object) -> str:
    parse_subject(str(value), device_serial="0")
    return str(value)


def load_topology(path: str | Path, *, parameters: dict[str, str] | None = None) -> Topology:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise TopologyError(str(path), None, exc.strerror or str(exc)) from None
    return parse_topology(text, source=str(path), parameters=parameters)


def parse_topology(text: str, *, source: str,
                   parameters: dict[str, str] | None = None) -> Topology:
    """`parameters` override the file's `parameters:` defaults (see sim.expand)."""
    r = _Reader(source)
    try:
        text, _ = substitute_parameters(text, parameters)
        root = load(text)
        if isinstance(root, Located) and isinstance(root.get("devices"), Located):
            root["devices"] = expand_devices(root["devices"])
    except YamlError as exc:
        raise TopologyError(source, exc.line, exc.problem) from None
    if not isinstance(root, Located):
        raise TopologyError(source, None, "expected a mapping at the top level")
    r.only(root, {"name", "description", "start", "seed", "duration", "cas", "servers",
                  "devices", "links", "events", "troubleshoot", "parameters", "cross-certify"},
           "topology")
    name = str(root.get("name") or Path(source).stem)
    start = r.convert(root, "start", "start", _start, default=None)
    if start is None:
        raise r.fail(root, None, "start: missing (a date such as 2012-09-17T22:00:00Z)")
    seed = r.convert(root, "seed", "seed", int, default=1)
    duration = r.convert(root, "duration", "duration", parse_duration, default=300.0)
    cas = _cas(r, r.mapping(root, "cas", "cas", required=True))
    cross = _cross_certify(r, root, cas)
    servers = _servers(r, r.mapping(root, "servers", "servers"))
    devices = _devices(r, r.mapping(root, "devices", "devices", required=True), cas, cross)
    links = _links(r, root, devices)
    try:
        root["events"] = expand_events(root.get("events") or [], list(devices), seed=seed)
    except YamlError as exc:
        raise TopologyError(source, exc.line, exc.problem) from None
    events = _events(r, root, cas, servers, devices)
    troubleshoot = _troubleshoot(r, root, devices)
    return Topology(name=name, description=str(root.get("description") or "").strip(),
                    source=source, start=start, seed=seed, duration=duration,
                    cas=MappingProxyType(cas), servers=MappingProxyType(servers),
                    devices=MappingProxyType(devices), links=links, events=events,
                    troubleshoot=troubleshoot, cross_certify=cross)


def _start(value: object) -> dt.datetime:
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _cas(r: _Reader, section: Located) -> dict[str, CaEntry]:
    cas: dict[str, CaEntry] = {}
    for name, entry in section.items():
        path = f"cas.{name}"
        if not isinstance(entry, Located):
            raise r.fail(section, name, f"{path}: expected a mapping")
        r.only(entry, {"subject", "issuer", "key", "crl", "validity", "path-length"}, path)
        crl = r.mapping(entry, "crl", f"{path}.crl")
        r.only(crl, {"url", "lifetime", "publish-interval"}, f"{path}.crl")
        issuer = entry.get("issuer")
        if issuer is not None and issuer not in section:
            raise r.fail(entry, "issuer", f"{path}.issuer: no CA named {issuer!r}")
        cas[name] = CaEntry(
            name=name,
            subject=r.convert(entry, "subject", path, _subject, default=f"CN={name}"),
            issuer=issuer,
            key=r.convert(entry, "key", path, parse_key, default=KeySpec(size=2048)),
            crl_urls=r.convert(crl, "url", f"{path}.crl", _strings, default=()),
            crl_lifetime=r.convert(crl, "lifetime", f"{path}.crl", parse_duration,
                                   default=7 * 86400.0),
            publish_interval=r.convert(crl, "publish-interval", f"{path}.crl", parse_duration),
            validity_days=r.convert(entry, "validity", path, lambda v: int(
                parse_duration(v) // 86400), default=5 * 365),
            path_length=r.convert(entry, "path-length", path, int),
        )
    return cas


def _servers(r: _Reader, section: Located) -> dict[str, ServerSpec]:
    servers: dict[str, ServerSpec] = {}
    for name, entry in section.items():
        path = f"servers.{name}"
        if not isinstance(entry, Located):
            raise r.fail(section, name, f"{path}: expected a mapping")
        r.only(entry, {"address", "hostnames", "latency", "capacity", "bandwidth",
                       "protocols"}, path)
        try:
            servers[name] = ServerSpec(
                name=name, address=r.convert(entry, "address", path, _ipv4, default="0.0.0.0"),
                hostnames=r.convert(entry, "hostnames", path, _strings, default=()),
                latency=r.convert(entry, "latency", path, parse_duration, default=0.02),
                capacity=r.convert(entry, "capacity", path, int, default=4),
                bandwidth=r.convert(entry, "bandwidth", path, float, default=1_250_000.0),
                protocols=r.convert(entry, "protocols", path, _strings, default=("http", "ldap")),
            )
        except ValueError as exc:
            raise r.fail(entry, None, f"{path}: {exc}") from None
    return servers


def _devices(r: _Reader, section: Located, cas: dict[str, CaEntry],
             cross: tuple[tuple[str, str], ...] = ()) -> dict[str, DeviceEntry]:
    devices: dict[str, DeviceEntry] = {}
    seen_addresses: dict[str, str] = {}
    seen_ids: dict[str, str] = {}
    for name, entry in section.items():
        path = f"devices.{name}"
        if not isinstance(entry, Located):
            raise r.fail(section, name, f"{path}: expected a mapping")
        r.only(entry, {"address", "serial", "clock-offset", "enroll", "ca-certificates", "crls",
                       "config", "pkid-processing", "download-timeout", "key-pool"}, path)
        address = r.convert(entry, "address", path, _ipv4)
        if address is None:
            raise r.fail(entry, None, f"{path}.address: missing")
        if address in seen_addresses:
            raise r.fail(entry, "address", f"{path}.address: {address} is already "
                                           f"{seen_addresses[address]}'s")
        seen_addresses[address] = name
        enroll = entry.get("enroll") or []
        if isinstance(enroll, Located):
            enroll = [enroll]
        if not isinstance(enroll, list):
            raise r.fail(entry, "enroll", f"{path}.enroll: expected a list of mappings")
        enrollments = tuple(_enroll(r, item, f"{path}.enroll", entry, cas) for item in enroll)
        for item, enrollment in zip(enroll, enrollments, strict=True):
            # Certificates are named by certificate-id in the CA hierarchy (and in revoke
            # events), so one id may be used by one device only.
            holder = seen_ids.setdefault(enrollment.certificate_id, name)
            if holder != name:
                raise r.fail(item, "certificate-id",
                             f"{path}.enroll: certificate-id {enrollment.certificate_id} is "
                             f"already {holder}'s")
        profiles = {}
        for key in ("ca-certificates", "crls"):
            table = r.mapping(entry, key, f"{path}.{key}")
            for profile, ca in table.items():
                subject, _, issuer = str(ca).partition(" by ")
                if key == "ca-certificates" and issuer:
                    # "Root-B by Root-A": the cross certificate Root-A issued to Root-B.
                    if (issuer, subject) not in cross:
                        raise r.fail(table, profile, f"{path}.{key}.{profile}: no "
                                                     f"cross-certify of {subject} by {issuer}")
                elif ca not in cas:
                    raise r.fail(table, profile, f"{path}.{key}.{profile}: no CA named {ca!r}")
            profiles[key] = MappingProxyType(dict(table))
        config_text = entry.get("config") or ""
        if not isinstance(config_text, str):
            raise r.fail(entry, "config", f"{path}.config: expected Junos configuration text")
        config = _config(r, entry, name, config_text)
        _check_external_addresses(r, entry, name, address, config)
        devices[name] = DeviceEntry(
            name=name, address=address,
            serial=str(entry.get("serial") or _serial_for(name)),
            clock_offset=r.convert(entry, "clock-offset", path, signed_duration, default=0.0),
            enroll=enrollments, ca_certificates=profiles["ca-certificates"],
            crls=profiles["crls"], config=config, config_text=config_text,
            pkid_processing=r.convert(entry, "pkid-processing", path, parse_duration,
                                      default=0.005),
            download_timeout=r.convert(entry, "download-timeout", path, parse_duration,
                                       default=5.0),
            key_pool=r.convert(entry, "key-pool", path, _pool_size),
        )
    return devices


def _check_external_addresses(r: _Reader, entry: Located, name: str, address: str,
                              config: DeviceConfig) -> None:
    """Each gateway's external interface must carry the device's address: that is where the
    peers send IKE to."""
    for gateway in config.ike.gateways.values():
        found = interface_address(config, gateway.external_interface)
        if found is not None and found != address:
            raise r.fail(entry, "address",
                         f"devices.{name}.address: {address}, but gateway {gateway.name}'s "
                         f"external-interface {gateway.external_interface} has {found}")


def _pool_size(value: object) -> int:
    size = int(value)
    if size < 1:
        raise ValueError(f"{value}: a pool holds at least one key")
    return size


def _serial_for(device: str) -> str:
    # A stable, SRX-looking chassis serial (JN + 10 characters) when the topology gives none.
    return "JN" + hashlib.sha256(device.encode()).hexdigest()[:10].upper()




def _enroll(r: _Reader, item: object, path: str, parent: Located,
            cas: dict[str, CaEntry]) -> EnrollEntry:
    if not isinstance(item, Located):
        raise r.fail(parent, "enroll", f"{path}: each entry must be a mapping")
    r.only(item, {"certificate-id", "ca", "subject", "domain-name", "email", "ip-address", "key",
                  "not-before", "validity"}, path)
    cid = item.get("certificate-id")
    ca = item.get("ca")
    if not cid or ca not in cas:
        raise r.fail(item, None, f"{path}: needs a certificate-id and a ca from cas "
                                 f"(got ca {ca!r})")
    entry = EnrollEntry(
        certificate_id=str(cid), ca=ca,
        subject=r.convert(item, "subject", path, _subject, default=f"CN={cid}"),
        domain_name=item.get("domain-name"), email=item.get("email"),
        ip_address=r.convert(item, "ip-address", path, _ipv4),
        key=r.convert(item, "key", path, parse_key, default=KeySpec()),
        not_before=r.convert(item, "not-before", path, signed_duration),
        validity_days=r.convert(item, "validity", path,
                                lambda v: int(parse_duration(v) // 86400)),
    )
    try:
        # The enrollment is a certificate request: check it as the request command would.
        RequestParams(certificate_id=entry.certificate_id, subject=entry.subject,
                      domain_name=entry.domain_name, ip_address=entry.ip_address,
                      email=entry.email, device_serial="0")
    except (ValueError, TypeError) as exc:
        raise r.fail(item, None, f"{path}: {exc}") from None
    return entry


def _config(r: _Reader, entry: Located, device: str, text: str) -> DeviceConfig:
    first = entry.value_lines.get("config", entry.line)
    try:
        return parse_config(text, source=device)
    except (ConfigSyntaxError, ConfigError) as exc:
        line = getattr(exc, "line", None)
        if line is None:
            found = re.search(r" config line (\d+)", str(exc))
            line = int(found.group(1)) if found else None
        file_line = first + line - 1 if line else entry.lines.get("config")
        raise TopologyError(r.source, file_line, f"devices.{device}.config: {exc}") from None


def _links(r: _Reader, root: Located, devices: dict[str, DeviceEntry]) -> tuple[LinkEntry, ...]:
    links = []
    for item in root.get("links") or []:
        if not isinstance(item, Located):
            raise r.fail(root, "links", "links: each entry must be a mapping")
        r.only(item, {"between", "latency", "jitter", "loss"}, "links[]")
        pair = item.get("between")
        if not (isinstance(pair, list) and len(pair) == 2 and all(p in devices for p in pair)):
            raise r.fail(item, "between", f"links[].between: expected two device names, "
                                          f"got {pair!r}")
        try:
            spec = LinkSpec(latency=r.convert(item, "latency", "links[]", parse_duration,
                                              default=0.005),
                            jitter=r.convert(item, "jitter", "links[]", parse_duration,
                                             default=0.0),
                            loss=r.convert(item, "loss", "links[]", float, default=0.0))
        except ValueError as exc:
            raise r.fail(item, None, f"links[]: {exc}") from None
        links.append(LinkEntry(a=pair[0], b=pair[1], spec=spec))
    return tuple(links)


def _events(r: _Reader, root: Located, cas, servers, devices) -> tuple[EventEntry, ...]:
    events = []
    for item in root.get("events") or []:
        if not isinstance(item, Located) or "at" not in item:
            raise r.fail(root, "events", "events: each entry needs 'at' and one action")
        actions = [k for k in item if k != "at"]
        if len(actions) != 1 or actions[0] not in _EVENT_ARGS:
            raise r.fail(item, None, f"events: expected one action of "
                                     f"{', '.join(_EVENT_ARGS)}; got {', '.join(actions)}")
        action = actions[0]
        args = item[action] if isinstance(item[action], dict) else {"server": item[action]}
        for key in args:
            if key not in _EVENT_ARGS[action]:
                raise r.fail(item, action, f"events.{action}.{key}: unknown argument")
        refs = {"device": devices, "ca": cas, "server": servers}
        for key, table in refs.items():
            if key in args and args[key] not in table:
                raise r.fail(item, action, f"events.{action}.{key}: no {key} named "
                                           f"{args[key]!r}")
        problem = _event_problem(action, args, devices)
        if problem:
            raise r.fail(item, action, f"events.{action}: {problem}")
        at = r.convert(item, "at", "events.at", parse_duration)
        events.append(EventEntry(at=at, action=action, args=MappingProxyType(dict(args)),
                                 line=item.line))
    return tuple(sorted(events, key=lambda e: e.at))


_REASONS = {flag.value for flag in x509.ReasonFlags}


def _event_problem(action: str, args: Mapping[str, object],
                   devices: dict[str, DeviceEntry]) -> str | None:
    """What would make the event fail when it happens: checked before anything runs."""
    device = devices.get(str(args.get("device")))
    for key in sorted(_EVENT_ARGS[action] - {"reason"}):
        if key not in args:
            return f"{key} is missing"
    if action == "initiate" and device and args["gateway"] not in device.config.ike.gateways:
        return f"{device.name} has no IKE gateway {args['gateway']!r}"
    if action == "verify-local" and device and args["certificate-id"] not in {
            e.certificate_id for e in device.enroll}:
        return f"{device.name} has no certificate-id {args['certificate-id']!r}"
    if action == "revoke":
        ids = {e.certificate_id: e.ca for d in devices.values() for e in d.enroll}
        if args["certificate"] not in ids:
            return f"no certificate-id {args['certificate']!r} was enrolled"
        if ids[args["certificate"]] != args["ca"]:
            return (f"{args['certificate']} was issued by {ids[args['certificate']]}, "
                    f"not {args['ca']}")
        if args.get("reason") is not None and args["reason"] not in _REASONS:
            return (f"reason {args['reason']!r}: one of {', '.join(sorted(_REASONS))}")
    if action == "clock":
        try:
            signed_duration(args["offset"])
        except ValueError as exc:
            return f"offset: {exc}"
    return None


def _troubleshoot(r: _Reader, root: Located, devices) -> Troubleshoot | None:
    if root.get("troubleshoot") is None:
        return None
    section = r.mapping(root, "troubleshoot", "troubleshoot")
    r.only(section, {"look-for", "resolution"}, "troubleshoot")
    looks = []
    for item in section.get("look-for") or []:
        if not isinstance(item, Located):
            raise r.fail(section, "look-for", "troubleshoot.look-for: entries are mappings")
        r.only(item, {"device", "log", "contains"}, "troubleshoot.look-for[]")
        if item.get("device") not in devices:
            raise r.fail(item, "device", f"troubleshoot.look-for[].device: no device named "
                                         f"{item.get('device')!r}")
        if item.get("log") not in ("kmd", "pkid"):
            raise r.fail(item, "log", "troubleshoot.look-for[].log: kmd or pkid")
        looks.append(LookFor(device=item["device"], log=item["log"],
                             contains=str(item.get("contains") or "")))
    return Troubleshoot(look_for=tuple(looks),
                        resolution=str(section.get("resolution") or "").strip())


def _cross_certify(r: _Reader, root: Located, cas: dict[str, CaEntry]
                   ) -> tuple[tuple[str, str], ...]:
    """`cross-certify: [{issuer: Root-A, subject: Root-B}, ...]` (the guide's Figure 3)."""
    pairs = []
    for item in root.get("cross-certify") or []:
        if not isinstance(item, Located):
            raise r.fail(root, "cross-certify", "cross-certify: entries are mappings")
        r.only(item, {"issuer", "subject"}, "cross-certify[]")
        issuer, subject = item.get("issuer"), item.get("subject")
        for key, name in (("issuer", issuer), ("subject", subject)):
            if name not in cas:
                raise r.fail(item, key, f"cross-certify[].{key}: no CA named {name!r}")
        if issuer == subject or (issuer, subject) in pairs:
            raise r.fail(item, None, f"cross-certify[]: {issuer} -> {subject} is not a new "
                                     "pair of two CAs")
        pairs.append((issuer, subject))
    return tuple(pairs)
