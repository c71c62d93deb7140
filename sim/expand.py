"""Topologies that describe many devices at once: parameters, device groups, event wildcards.

    parameters: {spokes: 1000, crl-capacity: 4}     # ${spokes} anywhere in the file; a run
                                                   # overrides with --param spokes=200
    devices:
      Spoke:
        count: ${spokes}                           # Spoke-0001 .. Spoke-1000
        address-pool: 10.1.0.0/16                  # the n-th host address of the pool
        enroll: [{certificate-id: "{name}", ...}]  # {name}, {address}, {index} are filled in
        config: |
          set security ike gateway to-hub local-identity inet {address}
    events:
      - {at: 10s, initiate: {device: "Spoke-*", gateway: to-hub, spread: 60s}}

Expansion happens before the topology is checked, so errors still name the template's line.
"""

from __future__ import annotations

import copy
import fnmatch
import ipaddress
import random
import re

from sim.durations import parse_duration
from sim.yaml_lines import Located, YamlError, load

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9_-]*)\}")


def substitute_parameters(text: str, overrides: dict[str, str] | None = None
                          ) -> tuple[str, dict[str, object]]:
    """Replace ${name} with the parameter's value (an override, else the file's default)."""
    overrides = overrides or {}
    if "parameters" not in text and not _PLACEHOLDER.search(text):
        if overrides:
            raise YamlError(None, f"--param {next(iter(overrides))}: this topology has no "
                                  "parameters")
        return text, {}
    # Parse once with the placeholders neutralised, to read the defaults.
    draft = load(_PLACEHOLDER.sub("0", text))
    defaults = draft.get("parameters") if isinstance(draft, Located) else None
    values: dict[str, object] = dict(defaults or {})
    for name, value in overrides.items():
        if name not in values:
            known = ", ".join(sorted(values)) or "none"
            raise YamlError(None, f"--param {name}: no such parameter (parameters: {known})")
        values[name] = value
    for number, line in enumerate(text.splitlines(), 1):
        for name in _PLACEHOLDER.findall(line):
            if name not in values:
                raise YamlError(number, f"${{{name}}}: no parameter named {name}")
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text), values


def expand_devices(section: Located) -> Located:
    """Replace each entry with `count` by that many devices named <entry>-0001, ..."""
    out = Located()
    out.line = section.line
    for name, entry in section.items():
        if not isinstance(entry, Located) or "count" not in entry:
            out[name] = entry
            out.lines[name] = section.lines.get(name, section.line)
            continue
        count = _positive(entry, "count", name)
        pool = entry.get("address-pool")
        if pool is None:
            raise YamlError(entry.lines.get("count"), f"devices.{name}: a group with count "
                                                      "needs an address-pool")
        try:
            hosts = ipaddress.IPv4Network(str(pool)).hosts()
        except ValueError as exc:
            raise YamlError(entry.lines.get("address-pool"),
                            f"devices.{name}.address-pool: {exc}") from None
        width = max(4, len(str(count)))
        for index in range(1, count + 1):
            address = next(hosts, None)
            if address is None:
                raise YamlError(entry.lines.get("address-pool"),
                                f"devices.{name}.address-pool: {pool} has fewer than "
                                f"{count} addresses")
            member = f"{name}-{index:0{width}d}"
            fill = {"name": member, "address": str(address), "index": str(index)}
            copy_ = _fill(entry, fill)
            del copy_["count"], copy_["address-pool"]
            copy_["address"] = str(address)
            copy_.lines["address"] = entry.lines["address-pool"]
            out[member] = copy_
            out.lines[member] = section.lines.get(name, section.line)
    return out


def expand_events(events: list, device_names: list[str], *, seed: int) -> list:
    """`device: "Spoke-*"` makes one event per matching device; `spread: 60s` staggers them
    uniformly (and repeatably) after `at`."""
    rng = random.Random(f"{seed}/events")
    out = []
    for item in events:
        action = next((k for k in item if k != "at"), None) if isinstance(item, dict) else None
        args = item.get(action) if action else None
        pattern = args.get("device") if isinstance(args, dict) else None
        if not (isinstance(pattern, str) and any(c in pattern for c in "*?[")):
            out.append(item)
            continue
        matches = [d for d in device_names if fnmatch.fnmatchcase(d, pattern)]
        if not matches:
            raise YamlError(getattr(item, "line", None),
                            f"events.{action}.device: {pattern!r} matches no device")
        try:
            spread = parse_duration(args.get("spread", 0))
            start = parse_duration(item["at"])
        except ValueError as exc:
            raise YamlError(getattr(item, "line", None), f"events.{action}: {exc}") from None
        for device in matches:
            clone = copy.copy(item)
            clone[action] = {**{k: v for k, v in args.items() if k != "spread"},
                             "device": device}
            clone["at"] = start + (rng.uniform(0, spread) if spread else 0.0)
            out.append(clone)
    return out


def _positive(entry: Located, key: str, name: str) -> int:
    try:
        value = int(entry[key])
    except (TypeError, ValueError):
        value = 0
    if value < 1:
        raise YamlError(entry.lines.get(key), f"devices.{name}.{key}: a positive whole number")
    return value


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
