"""The `servers:` and `links:` sections: CRL distribution points and the links between
devices, with delays, capacities and loss in ranges a real network has.

    servers:
      crl-server: {address: 10.0.0.9, latency: 20ms, capacity: 4, bandwidth: 1250000}
    links:
      - {between: [Host-A, Host-B], latency: 5ms, jitter: 1ms, loss: 0.01}
      - {between: [Host-A, Host-C], mtu: 1400, fragments: drop}

`mtu` is the path MTU in bytes (576..9216, default 1500; see sim.world.ip_fragments for the range);
`fragments: drop` is a firewall on the path that drops IP fragments (`allow` by default).
"""

from __future__ import annotations

from collections.abc import Mapping

from pki.files import shown
from sim.topology.limits import (
    MAX_BANDWIDTH,
    MAX_SERVER_CAPACITY,
    MIN_BANDWIDTH,
)
from sim.topology.nat import read_nat, used_addresses
from sim.topology.reader import Reader, delay, integer, ipv4, number, strings
from sim.topology.specs import DEFAULT_MTU, MAX_MTU, MIN_MTU, Fragments, LinkSpec, ServerSpec
from sim.topology.values import DeviceEntry, LinkEntry
from sim.topology.yaml_lines import Located

_PROTOCOLS = ("http", "ldap")
_FRAGMENTS = tuple(f.value for f in Fragments)


def _fragments(value: object) -> Fragments:
    if not isinstance(value, str) or value not in _FRAGMENTS:
        raise ValueError(f"{shown(value)}: one of {', '.join(_FRAGMENTS)}")
    return Fragments(value)


def _protocols(value: object) -> tuple[str, ...]:
    protocols = strings(value)
    for protocol in protocols:
        if protocol not in _PROTOCOLS:
            raise ValueError(f"{shown(protocol)}: one of {', '.join(_PROTOCOLS)}")
    return protocols


def read_servers(r: Reader, section: Located) -> dict[str, ServerSpec]:
    servers: dict[str, ServerSpec] = {}
    for name, entry, path in r.entries(section, "server", "servers", {
            "address", "hostnames", "latency", "capacity", "bandwidth", "protocols"}):
        servers[name] = ServerSpec(
            name=name, address=r.convert(entry, "address", path, ipv4, default="0.0.0.0"),
            hostnames=r.convert(entry, "hostnames", path, strings, default=()),
            latency=r.convert(entry, "latency", path, delay, default=0.02),
            capacity=r.convert(entry, "capacity", path, integer(1, MAX_SERVER_CAPACITY),
                               default=4),
            bandwidth=r.convert(entry, "bandwidth", path, number(MIN_BANDWIDTH, MAX_BANDWIDTH),
                                default=1_250_000.0),
            protocols=r.convert(entry, "protocols", path, _protocols, default=_PROTOCOLS),
        )
    return servers


def read_links(r: Reader, root: Located, devices: Mapping[str, DeviceEntry],
               servers: Mapping[str, ServerSpec] | None = None) -> tuple[LinkEntry, ...]:
    links = []
    taken = used_addresses(devices, servers)
    nats: list[tuple[str, str, str]] = []
    for item in r.items(root, "links", ""):
        if not isinstance(item, Located):
            raise r.fail(root, "links", "links: each entry must be a mapping")
        r.only(item, {"between", "latency", "jitter", "loss", "mtu", "fragments", "nat"},
               "links[]")
        pair = item.get("between")
        if not (isinstance(pair, list) and len(pair) == 2):
            raise r.fail(item, "between", f"links[].between: expected two device names, "
                                          f"got {shown(pair)}")
        for end in pair:
            if not isinstance(end, str) or end not in devices:
                raise r.fail(item, "between", f"links[].between: no device named {shown(end)}")
        if pair[0] == pair[1]:
            raise r.fail(item, "between", f"links[].between: {pair[0]} twice; a link joins two "
                                          "devices")
        spec = LinkSpec(latency=r.convert(item, "latency", "links[]", delay, default=0.005),
                        jitter=r.convert(item, "jitter", "links[]", delay, default=0.0),
                        loss=r.convert(item, "loss", "links[]", number(0.0, 1.0), default=0.0),
                        mtu=r.convert(item, "mtu", "links[]", integer(MIN_MTU, MAX_MTU),
                                      default=DEFAULT_MTU),
                        fragments=r.convert(item, "fragments", "links[]", _fragments,
                                            default=Fragments.ALLOW))
        links.append(LinkEntry(a=pair[0], b=pair[1], spec=spec,
                               nat=read_nat(r, item, pair, devices, taken, nats)))
    return tuple(links)


