"""Topology files: CAs, CRL servers, devices with their Junos configuration, links and timed
events, read from YAML and checked before anything runs.

Every problem is a `TopologyError` whose one line names the file, the line and the entry:
`figure4.yaml line 12: devices.Host-A.address: '30.1.1' is not an IPv4 address`.

A topology file is input ikesim did not write: it is read with a size limit, parsed with
bounded nesting and aliases, its groups and wildcards are counted before they are expanded
(sim.topology.limits), and every name that becomes a path (the topology's, devices', CAs',
servers', certificate-ids, ca-profiles) is a plain name (pki.files.check_name).

The sections are read by one module each: cas, network (servers and links), devices, events;
parameters and expand come first, yaml_lines under them all.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import MappingProxyType

from pki.files import FileRefused, check_name, read_regular, shown
from sim.topology.cas import check_scep_servers, read_cas, read_cross_certify
from sim.topology.devices import read_devices
from sim.topology.durations import parse_duration
from sim.topology.enroll_events import re_enrollment_problem
from sim.topology.events import read_events, read_troubleshoot
from sim.topology.expand import expand_devices, expand_events
from sim.topology.limits import (
    EARLIEST_START,
    LATEST_START,
    LONGEST_RUN,
    MAX_SEED,
    TOPOLOGY_MAX_BYTES,
)
from sim.topology.network import read_links, read_servers
from sim.topology.ocsp import check_ocsp_hosts
from sim.topology.parameters import load_with_parameters
from sim.topology.reader import Reader, integer, key_spec, text
from sim.topology.values import (
    CA_HEAD_START,
    EE_HEAD_START,
    CaEntry,
    DeviceEntry,
    EnrollEntry,
    EventEntry,
    LinkEntry,
    LookFor,
    Topology,
    TopologyError,
    Troubleshoot,
)
from sim.topology.workload import check_workload
from sim.topology.yaml_lines import Located, YamlError

__all__ = [
    "CA_HEAD_START",
    "EE_HEAD_START",
    "CaEntry",
    "DeviceEntry",
    "EnrollEntry",
    "EventEntry",
    "LinkEntry",
    "LookFor",
    "Topology",
    "TopologyError",
    "Troubleshoot",
    "load_topology",
    "parse_key",
    "parse_topology",
]

parse_key = key_spec  # `rsa-2048` -> KeySpec: the name callers know

_SECTIONS = {"name", "description", "start", "seed", "duration", "cas", "servers", "devices",
             "links", "events", "troubleshoot", "parameters", "cross-certify"}


def load_topology(path: str | Path, *, parameters: dict[str, str] | None = None) -> Topology:
    path = Path(path)
    try:
        data = read_regular(path, limit=TOPOLOGY_MAX_BYTES)
    except FileRefused as exc:
        raise TopologyError(str(path), None, exc.problem) from None
    try:
        text_ = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TopologyError(str(path), None, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                                             f"offset {exc.start})") from None
    return parse_topology(text_, source=str(path), parameters=parameters)


def parse_topology(text_: str, *, source: str, parameters: dict[str, str] | None = None,
                   seed: int | None = None) -> Topology:
    """`parameters` override the file's `parameters:` defaults (see sim.topology.parameters);
    `seed` the file's `seed:`, which also staggers `spread` events (a study's seeds)."""
    r = Reader(source)
    try:
        root = load_with_parameters(text_, parameters)
        if isinstance(root, Located) and isinstance(root.get("devices"), Located):
            root["devices"] = expand_devices(root["devices"])
    except YamlError as exc:
        raise TopologyError(source, exc.line, exc.problem) from None
    if not isinstance(root, Located):
        raise TopologyError(source, 1, "expected a mapping at the top level")
    r.only(root, _SECTIONS, "topology")
    name = r.convert(root, "name", "", _name) or _default_name(r, root, source)
    start = r.convert(root, "start", "", _start)
    if start is None:
        raise r.fail(root, None, "start: missing (a date such as 2012-09-17T22:00:00Z)")
    file_seed = r.convert(root, "seed", "", integer(0, MAX_SEED), default=1)
    seed = file_seed if seed is None else integer(0, MAX_SEED)(seed)
    duration = r.convert(root, "duration", "", _duration, default=300.0)
    cas = read_cas(r, r.mapping(root, "cas", "", required=True), duration=duration)
    cross = read_cross_certify(r, root, cas)
    servers = read_servers(r, r.mapping(root, "servers", ""))
    check_ocsp_hosts(r, r.mapping(root, "cas", ""), cas, servers)
    check_scep_servers(r, root["cas"], cas, servers)
    devices = read_devices(r, r.mapping(root, "devices", "", required=True), cas, cross,
                           start=start)
    links = read_links(r, root, devices.entries, servers)
    try:
        expanded = expand_events(root.get("events") or [], list(devices.entries), seed=seed,
                                 line=root.lines.get("events", root.line))
    except YamlError as exc:
        raise TopologyError(source, exc.line, exc.problem) from None
    events = read_events(r, expanded, cas=cas, servers=servers, devices=devices.entries,
                         cross=cross, fallback=root)
    check_workload(source, root.lines.get("duration", root.line), devices.entries, links,
                   events, duration)
    problem = re_enrollment_problem(devices.entries, cas, duration)
    if problem is not None:
        raise TopologyError(source, root.lines.get("duration", root.line), f"duration: {problem}")
    troubleshoot = read_troubleshoot(r, root, devices.entries)
    return Topology(name=name, description=r.convert(root, "description", "", text,
                                                     default="").strip(),
                    source=source, start=start, seed=seed, duration=duration,
                    cas=MappingProxyType(cas), servers=MappingProxyType(servers),
                    devices=MappingProxyType(devices.entries), links=links, events=events,
                    troubleshoot=troubleshoot, cross_certify=cross, warnings=devices.warnings)


def _name(value: object) -> str:
    try:
        return check_name("topology name", value)
    except FileRefused as exc:
        raise ValueError(str(exc)) from None


def _default_name(r: Reader, root: Located, source: str) -> str:
    """Without `name:`, the file's name without .yaml (it names the run folder)."""
    stem = Path(source).stem
    try:
        return _name(stem)
    except ValueError:
        raise r.fail(root, None, f"name: missing, and the file name {stem!r} is not a usable "
                                 "name; add name: to the topology") from None


def _start(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime(value.year, value.month, value.day)
    else:
        try:
            when = dt.datetime.fromisoformat(value)  # a str, or TypeError
        except (TypeError, ValueError):
            raise ValueError(f"{shown(value)} is not a date such as 2012-09-17T22:00:00Z") \
                from None
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    if not EARLIEST_START <= when <= LATEST_START:
        raise ValueError(f"{when.isoformat()} is outside {EARLIEST_START.year}.."
                         f"{LATEST_START.year} (certificates, CRLs and captures need dates "
                         "around the start)")
    return when


def _duration(value: object) -> float:
    return parse_duration(value, at_most=LONGEST_RUN, positive=True)
