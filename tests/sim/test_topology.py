"""Topology files: parameters, device groups, event wildcards, cross-certification, and the
one-line errors for each kind of mistake."""

from __future__ import annotations

import pytest

from sim.topology import TopologyError, parse_topology
from tests.sim.scenarios import pair

GROUP = """\
name: group
parameters: {branches: 3, spread: 10s}
start: 2014-06-02T08:00:00Z
cas:
  Root-CA: {subject: "CN=Root-CA", key: ecdsa-256}
devices:
  Hub:
    address: 198.51.100.1
  Branch:
    count: ${branches}
    address-pool: 10.64.0.0/29
    enroll: [{certificate-id: "{name}", ca: Root-CA, subject: "CN={name}",
              ip-address: "{address}"}]
    config: |
      set interfaces ge-0/0/0 unit 0 family inet address {address}/29
      set security ike proposal p authentication-method rsa-signatures
      set security ike proposal p dh-group group14
      set security ike proposal p authentication-algorithm sha-256
      set security ike proposal p encryption-algorithm aes-128-cbc
      set security ike policy pol proposals p
      set security ike policy pol certificate local-certificate {name}
      set security ike gateway gw ike-policy pol
      set security ike gateway gw address 198.51.100.1
      set security ike gateway gw external-interface ge-0/0/0.0
events:
  - {at: 5s, clock: {device: "Branch-*", offset: 1s}}
  - {at: 5s, initiate: {device: "Branch-000[12]", gateway: gw, spread: "${spread}"}}
"""


def test_groups_parameters_and_wildcards_expand():
    t = parse_topology(GROUP, source="g.yaml")
    assert list(t.devices) == ["Hub", "Branch-0001", "Branch-0002", "Branch-0003"]
    branch = t.devices["Branch-0002"]
    assert branch.address == "10.64.0.2"
    assert branch.enroll[0].certificate_id == "Branch-0002"
    assert branch.enroll[0].ip_address == "10.64.0.2"
    assert "address 10.64.0.2/29" in branch.config_text
    clocks = [e for e in t.events if e.action == "clock"]
    starts = [e for e in t.events if e.action == "initiate"]
    assert [e.args["device"] for e in clocks] == ["Branch-0001", "Branch-0002", "Branch-0003"]
    assert sorted(e.args["device"] for e in starts) == ["Branch-0001", "Branch-0002"]
    assert all(5 <= e.at <= 15 for e in starts) and "spread" not in starts[0].args
    assert parse_topology(GROUP, source="g.yaml").events == t.events  # repeatable


def test_a_parameter_overrides_the_default():
    t = parse_topology(GROUP, source="g.yaml", parameters={"branches": "5"})
    assert len(t.devices) == 6


@pytest.mark.parametrize(
    ("change", "parameters", "message"),
    [
        (("count: ${branches}", "count: ${branches}"), {"nodes": "2"},
         "g.yaml: --param nodes: no such parameter (parameters: branches, spread)"),
        (("count: ${branches}", "count: ${brnaches}"), None,
         "g.yaml line 10: ${brnaches}: no parameter named brnaches"),
        (("10.64.0.0/29", "10.64.0.0/30"), None,
         "g.yaml line 11: devices.Branch.address-pool: 10.64.0.0/30 has fewer than 3 "
         "addresses"),
        (('"Branch-000[12]"', '"Spoke-*"'), None,
         "g.yaml line 27: events.initiate.device: 'Spoke-*' matches no device"),
        (('certificate-id: "{name}"', "certificate-id: shared"), None,
         "g.yaml line 12: devices.Branch-0002.enroll: certificate-id shared is already "
         "Branch-0001's"),
    ],
    ids=["unknown-param", "unknown-placeholder", "small-pool", "glob", "shared-id"],
)
def test_mistakes_name_the_file_and_line(change, parameters, message):
    text = GROUP.replace(*change)
    with pytest.raises(TopologyError) as err:
        parse_topology(text, source="g.yaml", parameters=parameters)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("{at: 1s, initiate: {device: Host-A, gateway: nope}}",
         "events.initiate: Host-A has no IKE gateway 'nope'"),
        ("{at: 1s, revoke: {ca: CA-A, certificate: Host-B}}",
         "events.revoke: Host-B was issued by CA-B, not CA-A"),
        ("{at: 1s, revoke: {ca: CA-B, certificate: Host-B, reason: stolen}}",
         "events.revoke: reason 'stolen': one of "),
        ("{at: 1s, revoke: {ca: CA-B, certificate: Host-C}}",
         "events.revoke: no certificate-id or CA named 'Host-C'"),
        ("{at: 1s, clock: {device: Host-A, offset: soon}}",
         "events.clock: offset: 'soon' is not a duration"),
        ("{at: 1s, verify-local: {device: Host-A, certificate-id: Host-B}}",
         "events.verify-local: Host-A has no certificate-id 'Host-B'"),
    ],
    ids=["gateway", "issuer", "reason", "certificate", "offset", "certificate-id"],
)
def test_events_are_checked_before_the_run(event, message):
    text = pair(events=f"  - {event}")
    line = text.splitlines().index(f"  - {event}") + 1
    with pytest.raises(TopologyError) as err:
        parse_topology(text, source="t.yaml")
    assert str(err.value).startswith(f"t.yaml line {line}: {message}")


def test_a_cross_certificate_must_be_declared():
    text = pair().replace("ca-certificates: {Root-CA: Root-CA, CA-A: CA-A}",
                          "ca-certificates: {Root-CA: Root-CA, X: CA-A by Root-CA}")
    line = text.splitlines().index(
        "    ca-certificates: {Root-CA: Root-CA, X: CA-A by Root-CA}") + 1
    with pytest.raises(TopologyError) as err:
        parse_topology(text, source="t.yaml")
    assert str(err.value) == (f"t.yaml line {line}: devices.Host-A.ca-certificates.X: no "
                              "cross-certify of CA-A by Root-CA")


def test_an_enrollment_needs_a_name_for_the_subject_alternative_name():
    """As generate-certificate-request: a domain-name, an ip-address or an e-mail address."""
    text = pair().replace(', ip-address: 10.0.0.1,\n              domain-name: host-a.example.net}',
                          "}")
    line = next(n for n, row in enumerate(text.splitlines(), 1)
                if "certificate-id: Host-A" in row)
    with pytest.raises(TopologyError) as err:
        parse_topology(text, source="t.yaml")
    assert str(err.value).startswith(f"t.yaml line {line}: devices.Host-A.enroll: ")
    assert "domain-name" in str(err.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [("start: 2013-03-01T09:00:00Z", "start: soon",
      "t.yaml line 2: start: 'soon' is not a date such as 2012-09-17T22:00:00Z"),
     ("duration: 10m", "duration: long",
      "t.yaml line 4: duration: 'long' is not a duration (e.g. 20ms, 10s, 5m, 2h, 8h20m, 7d)"),
     ("seed: 7", "seed: lucky", "t.yaml line 3: seed: 'lucky' is not a whole number")],
    ids=["start", "duration", "seed"],
)
def test_top_level_entries_are_named_once(old, new, message):
    """Not `start.start:` or `duration.duration:`."""
    with pytest.raises(TopologyError) as err:
        parse_topology(pair().replace(old, new), source="t.yaml")
    assert str(err.value) == message
