"""The bad-input corpus for traffic events (ping, flow): each refused when the topology loads,
in one line naming the file and the event's line, exit 2, no run folder, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.badinput.conftest import assert_refused, files_under
from tests.badinput.load_refusals import refused_at_load

TOPOLOGY = (Path(__file__).parents[2] / "topologies" / "traffic-ping.yaml").read_text()
BASE = TOPOLOGY[:TOPOLOGY.index("events:")]


def _refused(ikesim, tmp_path: Path, event: str, *fragments: str) -> str:
    text = f"{BASE}events:\n  - {event}\n"
    return refused_at_load(ikesim, tmp_path, text, *fragments)


@pytest.mark.parametrize(("event", "fragments"), [
    ("{at: 10s, ping: {from: SRX-C, to: 10.2.0.1}}",
     ("events.ping.from: no device named 'SRX-C'",)),
    ("{at: 10s, ping: {from: SRX-A}}", ("events.ping: to is missing",)),
    ("{at: 10s, ping: {to: 10.2.0.1}}", ("events.ping: from is missing",)),
    ("{at: 10s, ping: {from: SRX-A, to: 10.9.0.1}}",
     ("events.ping.to: 10.9.0.1 is in no network SRX-A's IPsec VPNs protect "
      "(ipsec_cert_vpn_01: ipv4_subnet(any:0,[0..7]=10.1.0.0/24) -> "
      "ipv4_subnet(any:0,[0..7]=10.2.0.0/24))",)),
    ("{at: 10s, ping: {from: SRX-A, to: '2001:db8::1'}}",
     ("events.ping.to: 2001:db8::1 is in no network SRX-A's IPsec VPNs protect",)),
    ("{at: 10s, ping: {from: SRX-A, to: 10.2.0.300}}",
     ("events.ping.to: '10.2.0.300' is not an IP address",)),
    ("{at: 10s, ping: {from: SRX-A, to: 10.2.0.1, source: 10.2.0.7}}",
     ("events.ping.source: 10.2.0.7 is not in the local proxy ID of SRX-A's VPN "
      "ipsec_cert_vpn_01 (ipv4_subnet(any:0,[0..7]=10.1.0.0/24))",)),
    ("{at: 10s, ping: {from: SRX-A, to: 10.2.0.1, count: 0}}",
     ("events.ping.count: 0 is out of range (1..1,000,000)",)),
    ("{at: 10s, ping: {from: SRX-A, to: 10.2.0.1, count: five}}",
     ("events.ping.count: 'five' is not a whole number",)),
    ("{at: 10s, ping: {from: SRX-A, to: 10.2.0.1, size: 70000}}",
     ("events.ping.size: 70000 is out of range (0..65,000)",)),
    ("{at: 10s, ping: {from: SRX-A, to: 10.2.0.1, interval: 0s}}",
     ("events.ping.interval: '0s': must be more than 0",)),
    ("{at: 10s, ping: {from: SRX-A, to: 10.2.0.1, flood: true}}",
     ("events.ping.flood: unknown argument (expected one of count, from, interval, size, "
      "source, to)",)),
    ("{at: 10s, ping: 10.2.0.1}", ("events.ping: expected a mapping of",)),
    ("{at: 10s, flow: {from: SRX-A, to: 10.2.0.1, duration: 10s}}",
     ("events.flow: rate is missing",)),
    ("{at: 10s, flow: {from: SRX-A, to: 10.2.0.1, rate: fast, duration: 10s}}",
     ("events.flow.rate: 'fast' is not a rate (e.g. 100pps)",)),
    ("{at: 10s, flow: {from: SRX-A, to: 10.2.0.1, rate: 1000000pps, duration: 10s}}",
     ("events.flow.rate: '1000000pps': 0.001pps..100,000pps",)),
    ("{at: 10s, flow: {from: SRX-A, to: 10.2.0.1, rate: 100000pps, duration: 1h}}",
     ("events.flow: 360,000,000 packets (rate x duration); at most 1,000,000 per flow",)),
    ("{at: 10s, flow: {from: SRX-A, to: 10.2.0.1, rate: 0.5pps, duration: 1s}}",
     ("events.flow: 0.5 packets (rate x duration); at least 1",)),
    ("{at: 10s, flow: {from: SRX-A, to: 10.2.0.1, rate: 10pps, duration: forever}}",
     ("events.flow.duration: 'forever' is not a duration",)),
    ("{at: 10s, flow: {from: SRX-A, to: \"10.2.0.1\\n\", rate: 10pps, duration: 1s}}",
     ("events.flow.to: '10.2.0.1\\n' is not an IP address",)),
])
def test_bad_traffic_events_are_refused_at_load(ikesim, tmp_path, event, fragments):
    _refused(ikesim, tmp_path, event, *fragments)


def test_a_vpn_that_protects_every_address_needs_a_source(ikesim, tmp_path):
    global BASE
    saved = BASE
    try:
        BASE = saved.replace("proxy-identity local 10.1.0.0/24", "proxy-identity local "
                                                                  "0.0.0.0/0")
        _refused(ikesim, tmp_path, "{at: 10s, ping: {from: SRX-A, to: 10.2.0.1}}",
                 "events.ping: SRX-A's VPN ipsec_cert_vpn_01 protects every local address; "
                 "give a source")
    finally:
        BASE = saved


def test_a_symlink_where_the_esp_key_table_goes_is_refused_before_the_run(ikesim, tmp_path):
    (tmp_path / "t.yaml").write_text(TOPOLOGY)
    (tmp_path / "victim").write_text("precious\n")
    (tmp_path / "esp.pcap.esp_sa").symlink_to(tmp_path / "victim")
    before = files_under(tmp_path)
    assert_refused(ikesim("run", "t.yaml", "--out", "run", "--pcap", "esp.pcap"),
                   "--pcap esp.pcap:", "esp.pcap.esp_sa")
    assert files_under(tmp_path) == before and not (tmp_path / "run").exists()


def test_traffic_events_together_are_bounded(ikesim, tmp_path):
    """Each flow is within its own bound; the third brings the total past a million packets."""
    flows = "".join(f"  - {{at: {n}s, flow: {{from: SRX-A, to: 10.2.0.1, rate: 100000pps, "
                    f"duration: 4s, size: 10}}}}\n" for n in (10, 20, 30))
    text = f"{BASE}events:\n{flows}"
    (tmp_path / "t.yaml").write_text(text)
    line = len(text.splitlines())
    assert_refused(ikesim("run", "t.yaml"), f"t.yaml line {line}: events.flow: with this one "
                   "the traffic events send 1,200,000 packets of 45,600,000 bytes; at most "
                   "1,000,000 and 268,435,456 in all")


def test_big_pings_are_bounded_by_their_bytes(ikesim, tmp_path):
    text = (f"{BASE}events:\n  - {{at: 10s, ping: {{from: SRX-A, to: 10.2.0.1, count: 3000, "
            f"size: 65000, interval: 1ms}}}}\n")
    (tmp_path / "t.yaml").write_text(text)
    assert_refused(ikesim("run", "t.yaml"), "events.ping: with this one the traffic events "
                   "send 6,000 packets of 390,168,000 bytes")
