"""Topologies that describe many devices at once: device groups and event wildcards.

    devices:
      Spoke:
        count: ${spokes}                           # Spoke-0001 .. Spoke-1000
        address-pool: 10.1.0.0/16                  # the n-th host address of the pool
        keep: [Spoke-0001, "Spoke-01*"]            # members that get files in the run folder
        enroll: [{certificate-id: "{name}", ...}]  # {name}, {address}, {index} are filled in
        config: |
          set security ike gateway to-hub local-identity inet {address}
    events:
      - {at: 10s, initiate: {device: "Spoke-*", gateway: to-hub, spread: 60s}}

Members of a group get no files of their own in the run folder (logs, store, configuration,
state) unless `keep:` (or `ikesim run --keep`) names them: a run's output grows with what the
user looks at, not with `count`. Named devices always get theirs.

Expansion happens before the topology is checked, so errors still name the template's line.
What expansion would cost is checked first: every group's count and address pool, the number of
devices and the size of their entries in all, and the number of events wildcards make.
"""

from __future__ import annotations

import copy
import fnmatch
import ipaddress
import random
import re
from dataclasses import dataclass

from pki.files import FileRefused, check_name, shown
from sim.topology.durations import format_duration, parse_duration
from sim.topology.limits import (
    LONGEST_RUN,
    MAX_DEVICES,
    MAX_EVENT_ENTRIES,
    MAX_EVENTS,
    MAX_EXPANDED_CHARACTERS,
    MAX_WILDCARDS,
)
from sim.topology.yaml_lines import Located, YamlError

MAX_PATTERN = 128  # a device name is at most 63 characters; a wildcard a little more


@dataclass(frozen=True, kw_only=True)
class _Group:
    name: str
    entry: Located
    count: int
    pool: ipaddress.IPv4Network
    keep: tuple[str, ...]  # patterns of the members that get files


def expand_devices(section: Located) -> Located:
    """Replace each entry with `count` by that many devices named <entry>-0001, ..."""
    groups = _groups(section)
    out = Located()
    out.line = section.line
    for name, entry in section.items():
        group = groups.get(name)
        if group is None:
            out[name] = entry
            out.lines[name] = section.lines.get(name, section.line)
            continue
        width = _width(group.count)
        kept = [re.compile(fnmatch.translate(pattern)).match for pattern in group.keep]
        for index, address in zip(range(1, group.count + 1), group.pool.hosts(), strict=False):
            member = f"{name}-{index:0{width}d}"
            fill = {"name": member, "address": str(address), "index": str(index)}
            copy_ = _fill(entry, fill)
            del copy_["count"], copy_["address-pool"]
            copy_["address"] = str(address)
            copy_.lines["address"] = entry.lines["address-pool"]
            copy_["keep"] = any(match(member) for match in kept)
            copy_.lines["keep"] = entry.lines.get("keep", entry.lines["count"])
            out[member] = copy_
            out.lines[member] = section.lines.get(name, section.line)
    return out


def _groups(section: Located) -> dict[str, _Group]:
    """Every group of `section`, checked (name, count, pool), and the total checked against
    the limits, before one device is made."""
    groups: dict[str, _Group] = {}
    devices = characters = 0
    for name, entry in section.items():
        if not isinstance(entry, Located) or "count" not in entry:
            devices += 1
            continue
        line = section.lines.get(name, section.line)
        try:
            check_name("device group", name)
        except FileRefused as exc:
            raise YamlError(line, f"devices: {exc}") from None
        count = _count(entry, name)
        width = _width(count)
        try:
            check_name("device", f"{name}-{count:0{width}d}")
        except FileRefused as exc:
            raise YamlError(line, f"devices.{name}: member names such as {exc}") from None
        pool = _pool(entry, name, count)
        devices += count
        if devices > MAX_DEVICES:
            raise YamlError(entry.lines.get("count"),
                            f"devices.{name}.count: {count} more devices make {devices:,}; a "
                            f"topology holds at most {MAX_DEVICES:,}")
        characters += count * _characters(entry)
        if characters > MAX_EXPANDED_CHARACTERS:
            raise YamlError(entry.lines.get("count"),
                            f"devices.{name}: {count} copies of this entry make more than "
                            f"{MAX_EXPANDED_CHARACTERS:,} characters of device entries")
        groups[name] = _Group(name=name, entry=entry, count=count, pool=pool,
                              keep=_keep(entry, name))
    return groups


def _width(count: int) -> int:
    return max(4, len(str(count)))


def _count(entry: Located, name: str) -> int:
    value = entry["count"]
    if isinstance(value, str) and value.isdigit() and len(value) <= 9:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise YamlError(entry.lines.get("count"),
                        f"devices.{name}.count: {shown(value)} is not a positive whole number")
    if value > MAX_DEVICES:
        raise YamlError(entry.lines.get("count"),
                        f"devices.{name}.count: {value} is more than a topology holds "
                        f"({MAX_DEVICES:,} devices)")
    return value


def _pool(entry: Located, name: str, count: int) -> ipaddress.IPv4Network:
    line = entry.lines.get("address-pool", entry.lines.get("count"))
    pool = entry.get("address-pool")
    if pool is None:
        raise YamlError(entry.lines.get("count"), f"devices.{name}: a group with count needs "
                                                  "an address-pool")
    try:
        if not isinstance(pool, str):
            raise ValueError(f"{shown(pool)} is not an IPv4 network such as 10.1.0.0/16")
        network = ipaddress.IPv4Network(pool)
    except ValueError as exc:
        raise YamlError(line, f"devices.{name}.address-pool: {exc}") from None
    # hosts(): a /31 or /32 has no network and broadcast address to leave out.
    hosts = network.num_addresses - (2 if network.prefixlen <= 30 else 0)
    if hosts < count:
        raise YamlError(line, f"devices.{name}.address-pool: {pool} has fewer than {count} "
                              "addresses")
    return network


def _keep(entry: Located, name: str) -> tuple[str, ...]:
    """`keep:` of a group: member names or wildcards (`Spoke-00*`), one or a list."""
    value = entry.get("keep", [])
    patterns = [value] if isinstance(value, str) else value
    if not isinstance(patterns, list) or len(patterns) > MAX_WILDCARDS or not all(
            isinstance(p, str) and 0 < len(p) <= MAX_PATTERN and p.isprintable()
            for p in patterns):
        raise YamlError(entry.lines.get("keep"),
                        f"devices.{name}.keep: expected member names or wildcards such as "
                        f"{name}-0001 or '{name}-00*' (at most {MAX_WILDCARDS}, each at most "
                        f"{MAX_PATTERN} characters)")
    return tuple(patterns)


def _characters(value: object) -> int:
    """Characters of text in an entry (keys and strings), aliases counted each time."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(_characters(k) + _characters(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(_characters(item) for item in value)
    return 8


def expand_events(events: object, device_names: list[str], *, seed: int,
                  line: int | None = None) -> list:
    """`device: "Spoke-*"` makes one event per matching device; `spread: 60s` staggers them
    uniformly (and repeatably) after `at`."""
    if not isinstance(events, list):
        raise YamlError(line, "events: expected a list of events")
    if len(events) > MAX_EVENT_ENTRIES:
        raise YamlError(line, f"events: {len(events):,} entries; at most {MAX_EVENT_ENTRIES:,}")
    rng = random.Random(f"{seed}/events")
    matchers: dict[str, list[str]] = {}  # pattern -> the devices it matches
    out: list = []
    for item in events:
        action = next((k for k in item if k != "at"), None) if isinstance(item, dict) else None
        args = item.get(action) if action else None
        pattern = args.get("device") if isinstance(args, dict) else None
        where = getattr(item, "line", line)
        if not (isinstance(pattern, str) and any(c in pattern for c in "*?[")):
            out.append(item)
            continue
        if pattern not in matchers and len(matchers) == MAX_WILDCARDS:
            raise YamlError(where, f"events.{action}.device: more than {MAX_WILDCARDS} "
                                   "different wildcards")
        if pattern not in matchers:  # each pattern scans the devices once, however often used
            match = re.compile(fnmatch.translate(pattern)).match
            matchers[pattern] = [d for d in device_names if match(d)]
        matches = matchers[pattern]
        if not matches:
            raise YamlError(where, f"events.{action}.device: {shown(pattern)} matches no "
                                   "device")
        if len(out) + len(matches) > MAX_EVENTS:
            raise YamlError(where, f"events: wildcards make more than {MAX_EVENTS:,} events")
        try:
            spread = parse_duration(args.get("spread", 0), at_most=LONGEST_RUN)
            start = parse_duration(item.get("at"), at_most=LONGEST_RUN)
        except ValueError as exc:
            raise YamlError(where, f"events.{action}: {exc}") from None
        if start + spread > LONGEST_RUN:
            raise YamlError(where, f"events.{action}: at plus spread is more than "
                                   f"{format_duration(LONGEST_RUN)}, the longest run")
        for device in matches:
            clone = copy.copy(item)
            clone[action] = {**{k: v for k, v in args.items() if k != "spread"},
                             "device": device}
            clone["at"] = start + (rng.uniform(0, spread) if spread else 0.0)
            out.append(clone)
    if len(out) > MAX_EVENTS:
        raise YamlError(line, f"events: more than {MAX_EVENTS:,} events")
    return out


def _fill(value: object, fill: dict[str, str]) -> object:
    if isinstance(value, str):
        for key, text in fill.items():
            value = value.replace("{" + key + "}", text)
        return value
    if isinstance(value, Located):
        out = Located()
        out.line, out.lines, out.value_lines = value.line, value.lines, value.value_lines
        for key, item in value.items():
            out[key] = _fill(item, fill)
        return out
    if isinstance(value, list):
        return [_fill(item, fill) for item in value]
    return value
