"""Any topology file either loads or is refused with one TopologyError line: a valid topology
with one value (or key) swapped for something hostile never raises anything else."""

from __future__ import annotations

import datetime as dt

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.topology import TopologyError, parse_topology
from tests.sim.scenarios import pair


def _base() -> dict:
    """A topology using every section: parameters, a group, cross-certification, servers with
    every field, each kind of event (a wildcard among them) and a troubleshooting case."""
    document = yaml.safe_load(pair(
        events="  - {at: 1s, initiate: {device: Host-A, gateway: gw}}\n"
               "  - {at: 2s, revoke: {ca: Root-CA, certificate: CA-B}}\n"
               "  - {at: 3s, clock: {device: Host-B, offset: -1h}}\n"
               "  - {at: 4s, server-down: crl-server}\n"
               "  - {at: 5s, clock: {device: 'Branch-*', offset: 1s, spread: 2s}}\n"
               "  - {at: 6s, publish-crl: {ca: CA-A}}\n"
               "  - {at: 7s, verify-local: {device: Host-A, certificate-id: Host-A}}",
        a_extra="    crls: {Root-CA: Root-CA}\n    serial: JN123\n    key-pool: 2\n"
                "    download-timeout: 2s\n    clock-offset: -2d\n    pkid-processing: 10ms",
        server=", hostnames: [crl.example.net], protocols: [http], bandwidth: 1000, capacity: 2",
        cas="  Other: {subject: 'CN=Other', key: ecdsa-256, validity: 400d, path-length: 1, "
            "crl: {url: 'ldap://192.0.2.10/x', extra-revoked: 10, publish-interval: 1h}}"))
    document["parameters"] = {"n": 2}
    document["description"] = "every section"
    document["cross-certify"] = [{"issuer": "Root-CA", "subject": "Other"}]
    document["troubleshoot"] = {"look-for": [{"device": "Host-A", "log": "kmd",
                                              "contains": "x"}], "resolution": "r"}
    document["devices"]["Branch"] = {
        "count": 2, "address-pool": "10.9.0.0/29",
        "enroll": [{"certificate-id": "{name}", "ca": "CA-A", "subject": "CN={name}",
                    "ip-address": "{address}", "not-before": "-1d", "validity": "30d"}],
        "ca-certificates": {"Root-CA": "Root-CA", "X": "Other by Root-CA"},
        "config": "set interfaces ge-0/0/0 unit 0 family inet address {address}/29\n"}
    document["links"].append({"between": ["Host-A", "Branch-0001"], "latency": "1ms",
                              "jitter": "1ms", "loss": 0.5})
    return document


BASE = _base()
HOSTILE = st.sampled_from([  # types, ranges, names and text a topology must not trust
    None, True, 0, -1, 1.5, 10**30, -(10**30), float("inf"), float("-inf"), float("nan"),
    "", ".", "..", "../x", "/etc", "a/b", "x\x00y", "x\ny", "\x1b[31m", "a" * 300, "é",
    "Host-A", "Root-CA", "CA-B", "10.0.0.1", "0s", "-5s", "1e400s", "99999999999999999999d",
    [], [1, 2], ["Host-A"], {}, {"a": 1}, {"url": 1}, dt.date(1, 1, 1),
    dt.datetime(9999, 12, 31, tzinfo=dt.UTC),
])


def _paths(value, prefix=()):
    """Every (path to a value) and (path to a mapping, key) in the document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield prefix + (key,)
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield prefix + (index,)
            yield from _paths(item, prefix + (index,))


PATHS = list(_paths(BASE))


def _replace(document, path, new, *, key: bool):
    document = yaml.safe_load(yaml.safe_dump(document))
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if key and isinstance(parent, dict) and isinstance(new, int | str | float | bool | None):
        parent[new] = parent.pop(path[-1])
    else:
        parent[path[-1]] = new
    return document


@settings(max_examples=100)
@given(path=st.sampled_from(PATHS), new=HOSTILE, key=st.booleans())
def test_one_hostile_value_is_loaded_or_refused_in_one_line(path, new, key):
    text = yaml.safe_dump(_replace(BASE, path, new, key=key), allow_unicode=True)
    try:
        parse_topology(text, source="t.yaml")
    except TopologyError as exc:
        assert "\n" not in str(exc)
        assert str(exc).startswith("t.yaml")
