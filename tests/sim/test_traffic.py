"""Traffic through the tunnel (topologies/traffic-ping.yaml): a ping brings the VPN up and
crosses it as ESP, a flow follows, the counters per IPsec SA reach results.json and `show
security ipsec statistics`, and what happens to ESP on the path (an altered copy, a replayed
one, a lossy link, an SPI nobody holds) is counted where Junos counts it."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.esp.inner import InnerPacket
from sim.junos.device_state import DeviceState
from sim.junos.ops import show
from sim.report.pcap import pcap_bytes
from sim.report.traffic_events import esp_sa_table
from sim.scenario import Scenario
from sim.topology import parse_topology
from sim.world.network import PROTO_ESP, Datagram
from tests.sim.tshark import needs_tshark

TOPOLOGY = Path(__file__).resolve().parents[2] / "topologies" / "traffic-ping.yaml"
TEXT = TOPOLOGY.read_text()
BASE = TEXT[:TEXT.index("events:")]
# The ping's echo requests and replies carry 100 data bytes: 128-byte inner packets; the
# flow's datagrams 1000: 1028 bytes.
PING_PACKET, FLOW_PACKET = 20 + 8 + 100, 20 + 8 + 1000


def build(tmp_path: Path, text: str = TEXT) -> Scenario:
    topology = parse_topology(text, source="traffic.yaml")
    return Scenario.build(topology, out=tmp_path)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Scenario, dict]:
    scenario = build(tmp_path_factory.mktemp("traffic"))
    scenario.run()
    scenario.write()
    return scenario, json.loads((scenario.out / "results.json").read_text())


def test_the_first_echo_request_brings_the_tunnel_up_and_the_others_cross_it(run):
    """No initiate event: the first packet finds no SA, is dropped and starts Phase 1 (Junos's
    establish-tunnels on-traffic); the other four are answered through the tunnel."""
    scenario, results = run
    (negotiation,) = results["negotiations"]
    assert (negotiation["initiator"], negotiation["phase1"], negotiation["phase2"]) == (
        "SRX-A", "done", "done")
    assert negotiation["started"] == "2012-09-19T17:20:10Z"
    (ping,) = results["traffic"]["pings"]
    assert ping == {"device": "SRX-A", "source": "10.1.0.1", "destination": "10.2.0.1",
                    "at_s": 10.0, "count": 5, "size": 100, "transmitted": 5, "received": 4,
                    "loss_percent": 20.0,
                    "rtt": {"min_ms": 10.0, "avg_ms": 10.0, "max_ms": 10.0}}  # 2 x 5 ms
    assert results["traffic"]["dropped"]["SRX-A"] == {"no_sa": 1, "unknown_spi": 0,
                                                      "not_allowed": 0, "device_down": 0}
    (flow,) = results["traffic"]["flows"]
    assert (flow["sent"], flow["received"]) == (200, 200)


def test_results_record_the_counters_of_each_sa_pair(run):
    scenario, results = run
    a, b = results["traffic"]["ipsec_sas"]
    assert (a["device"], b["device"]) == ("SRX-A", "SRX-B")
    assert (a["inbound_spi"], a["outbound_spi"]) == (b["outbound_spi"], b["inbound_spi"])
    sent = 4 * PING_PACKET + 200 * FLOW_PACKET
    assert {k: a[k] for k in a if k.endswith(("bytes", "packets"))} == {
        "encrypted_bytes": sent, "encrypted_packets": 204,
        "decrypted_bytes": 4 * PING_PACKET, "decrypted_packets": 4}
    assert {k: b[k] for k in b if k.endswith(("bytes", "packets"))} == {
        "encrypted_bytes": 4 * PING_PACKET, "encrypted_packets": 4,
        "decrypted_bytes": sent, "decrypted_packets": 204}
    errors = ("esp_authentication_failures", "esp_decryption_failures", "replay_errors",
              "bad_headers", "bad_trailers")
    assert [a[k] + b[k] for k in errors] == [0] * 5


def test_show_security_ipsec_statistics_prints_the_counters_as_the_guide_does(run):
    scenario, _ = run
    state = DeviceState.load(scenario.out, "SRX-A")
    assert show(state, "show security ipsec statistics").splitlines() == [
        "ESP Statistics:",
        "  Encrypted bytes:           206112",
        "  Decrypted bytes:              512",
        "  Encrypted packets:            204",
        "  Decrypted packets:              4",
        "AH Statistics:",
        "  Input bytes:                    0",
        "  Output bytes:                   0",
        "  Input packets:                  0",
        "  Output packets:                 0",
        "Errors:",
        "  AH authentication failures: 0, Replay errors: 0",
        "  ESP authentication failures: 0, ESP decryption failures: 0",
        "  Bad headers: 0, Bad trailers: 0",
    ]
    peer = DeviceState.load(scenario.out, "SRX-B")
    (sa,) = peer.ipsec_sas
    lines = show(peer, f"show security ipsec statistics index {sa.index}").splitlines()
    assert lines[1:5] == ["  Encrypted bytes:              512",
                          "  Decrypted bytes:           206112",
                          "  Encrypted packets:              4",
                          "  Decrypted packets:            204"]
    assert show(peer, "show security ipsec statistics index 7") == ""


def _tamper(scenario: Scenario, on_esp_number: int, extra) -> None:
    """Hand the network, instead of the `on_esp_number`th ESP datagram SRX-A sends, what
    `extra` makes of it (copies on the path: an attacker's or a broken router's)."""
    network, send = scenario.world.network, scenario.world.network.send
    seen = []

    def tampering(datagram: Datagram) -> None:
        if datagram.protocol == PROTO_ESP and datagram.src == "30.1.1.31":
            seen.append(datagram)
            if len(seen) == on_esp_number:
                for copy in extra(datagram):
                    send(copy)
                return
        send(datagram)

    network.send = tampering
    for device in scenario.devices.values():
        device.traffic._send = tampering


def test_an_altered_copy_fails_the_icv_and_a_repeated_one_is_a_replay(tmp_path):
    scenario = build(tmp_path)

    def altered_and_repeated(datagram: Datagram) -> list[Datagram]:
        payload = bytearray(datagram.payload)
        payload[30] ^= 0x80
        # The altered copy arrives first (a replay check cannot refuse it: its number is new),
        # then the genuine packet, then the genuine packet again.
        return [replace(datagram, payload=bytes(payload)), datagram, datagram]

    _tamper(scenario, 2, altered_and_repeated)
    scenario.run()
    scenario.write()
    peer = DeviceState.load(scenario.out, "SRX-B")
    lines = show(peer, "show security ipsec statistics").splitlines()
    assert lines[4] == "  Decrypted packets:            204"  # the genuine ones, once each
    assert lines[11:] == ["  AH authentication failures: 0, Replay errors: 1",
                          "  ESP authentication failures: 1, ESP decryption failures: 0",
                          "  Bad headers: 0, Bad trailers: 0"]
    (ping,) = scenario.traffic.pings
    assert ping.received == 4  # the replayed echo request was not answered twice


def test_a_truncated_copy_is_a_bad_header_and_an_unknown_spi_is_dropped(tmp_path):
    scenario = build(tmp_path)

    def truncated_and_foreign(datagram: Datagram) -> list[Datagram]:
        foreign = random.Random(1).randbytes(len(datagram.payload))
        return [replace(datagram, payload=datagram.payload[:20]),
                replace(datagram, payload=foreign), datagram]

    _tamper(scenario, 3, truncated_and_foreign)
    scenario.run()
    b = next(sa for sa in scenario.devices["SRX-B"].traffic.sas)
    stats = b.counters.statistics()
    assert (stats.bad_headers, stats.esp_authentication_failures) == (1, 0)
    assert scenario.traffic.drops["SRX-B"].unknown_spi == 1


def test_a_lossy_link_loses_esp_packets_and_the_counters_say_which(tmp_path):
    text = (BASE.replace("latency: 5ms}", "latency: 5ms, loss: 0.2}")
            + "events:\n  - {at: 5s, initiate: {device: SRX-A, gateway: ike_cert_gw_01}}\n"
              "  - {at: 30s, flow: {from: SRX-A, to: 10.2.0.9, rate: 50pps, duration: 10s}}\n")
    assert "loss: 0.2" in text
    scenario = build(tmp_path, text)
    scenario.run()
    (flow,) = scenario.traffic.flows
    sent = scenario.devices["SRX-A"].traffic.sas[-1].counters.statistics()
    received = scenario.devices["SRX-B"].traffic.sas[-1].counters.statistics()
    assert flow.sent == sent.encrypted_packets == 500
    assert 300 < flow.received < 500
    assert received.decrypted_packets == flow.received


def test_the_same_seed_gives_the_same_esp_bytes(tmp_path):
    captures = []
    for name in ("a", "b"):
        scenario = build(tmp_path / name)
        scenario.run()
        captures.append((pcap_bytes(scenario.world.network.capture,
                                    start=scenario.topology.start), esp_sa_table(scenario)))
    assert captures[0] == captures[1]


@pytest.fixture(scope="module")
def capture(tmp_path_factory, run) -> Path:
    """`ikesim run traffic-ping.yaml --pcap ...`, as a user runs it."""
    here = tmp_path_factory.mktemp("capture")
    cwd = os.getcwd()
    os.chdir(here)
    try:
        assert main(["run", str(TOPOLOGY), "--out", "run", "--pcap", "esp.pcap",
                     "--quiet"]) == 0
    finally:
        os.chdir(cwd)
    return here / "esp.pcap"


def test_the_run_writes_the_esp_keys_in_wiresharks_esp_sa_format(capture):
    table = Path(f"{capture}.esp_sa")
    assert table.stat().st_mode & 0o777 == 0o600
    lines = table.read_text().splitlines()
    hexa = "0x[0-9a-f]"
    assert [re.fullmatch(
        rf'"IPv4","30\.1\.1\.(31|51)","30\.1\.1\.(51|31)","{hexa}{{8}}","AES-CBC \[RFC3602\]",'
        rf'"{hexa}{{32}}","HMAC-SHA-1-96 \[RFC2404\]","{hexa}{{40}}"', line) is not None
        for line in lines] == [True, True]


@needs_tshark
def test_tshark_decrypts_the_esp_traffic_with_the_written_table(capture, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    options = ["-o", "esp.enable_encryption_decode:TRUE",
               "-o", "esp.enable_authentication_check:TRUE"]
    for line in Path(f"{capture}.esp_sa").read_text().splitlines():
        options += ["-o", f"uat:esp_sa:{line}"]
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}

    def tshark(*args: str) -> str:
        return subprocess.run(["tshark", "-r", str(capture), *options, *args],
                              capture_output=True, text=True, env=env, check=True).stdout

    fields = tshark("-Y", "esp", "-T", "fields", "-e", "ip.src", "-e", "ip.dst",
                    "-e", "icmp.type", "-e", "udp.dstport", "-e", "esp.icv_good")
    rows = [line.split("\t") for line in fields.splitlines()]
    # Each ESP packet: outer and inner addresses, then the inner ICMP type or UDP port.
    assert rows[:2] == [["30.1.1.31,10.1.0.1", "30.1.1.51,10.2.0.1", "8", "", "1"],
                        ["30.1.1.51,10.2.0.1", "30.1.1.31,10.1.0.1", "0", "", "1"]]
    assert sum(row[2] == "8" for row in rows) == sum(row[2] == "0" for row in rows) == 4
    assert sum(row[3] == "9" for row in rows) == 200
    assert all(row[4] == "1" for row in rows)  # every ICV checks with the written keys
    assert "Malformed" not in tshark()


def test_the_ike_sa_detail_counts_the_sas_ike_datagrams(run):
    """The responder received Main Mode 1, 3, 5 and Quick Mode 1, 3; it sent the other four."""
    scenario, _ = run
    state = DeviceState.load(scenario.out, "SRX-B")
    lines = show(state, "show security ike security-associations detail").splitlines()
    at = lines.index("  Traffic statistics:")
    ike = [c.datagram for c in scenario.world.network.capture
           if c.datagram.protocol != PROTO_ESP]
    assert {d.payload[:8].hex() for d in ike} == {state.ike_sas[0].initiator_cookie}
    into = sum(len(d.payload) for d in ike if d.dst == "30.1.1.51")
    out = sum(len(d.payload) for d in ike if d.src == "30.1.1.51")
    assert lines[at + 1:at + 5] == [f"   Input  bytes  :{into:>21}",
                                    f"   Output bytes  :{out:>21}",
                                    "   Input  packets:                    5",
                                    "   Output packets:                    4"]


def test_what_the_peer_tunnels_outside_the_proxy_ids_is_dropped_not_delivered(tmp_path):
    """RFC 4301 5.2: a packet an SA carries must match its selectors. SRX-A holds the keys,
    so the packet is authentic; its inner destination is outside SRX-B's 10.2.0.0/24."""
    scenario = build(tmp_path)
    scenario.run()
    a_sa = scenario.devices["SRX-A"].traffic.sas[-1]
    b_traffic = scenario.devices["SRX-B"].traffic
    before = b_traffic.sas[-1].counters.statistics()
    stray = InnerPacket(src="10.1.0.1", dst="10.3.0.1", protocol=1, ident=9, seq=1, data=b"")
    esp = a_sa.outbound.encapsulate(stray.encode())
    b_traffic.receive(scenario.devices["SRX-A"].traffic.wrap(a_sa, esp))
    after = b_traffic.sas[-1].counters.statistics()
    assert after.decrypted_packets == before.decrypted_packets + 1  # authentic and decrypted
    assert vars(scenario.traffic.drops["SRX-B"]) == {"no_sa": 0, "unknown_spi": 0,
                                                     "not_allowed": 1, "device_down": 0}
    assert after.encrypted_packets == before.encrypted_packets  # no answer went back


def test_ikesim_run_sums_up_each_ping_and_flow(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(TOPOLOGY), "--out", "run"]) == 0
    out = capsys.readouterr().out.splitlines()
    at = out.index("--- 10.2.0.1 ping statistics --- (from 10.1.0.1 behind SRX-A at 10 s)")
    assert out[at + 1:at + 4] == [
        "5 packets transmitted, 4 packets received, 20% packet loss",
        "round-trip min/avg/max/stddev = 10.000/10.000/10.000/0.000 ms",
        "--- flow 10.1.0.1 -> 10.2.0.9 --- (behind SRX-A at 30 s, 20 pps for 10 s): "
        "200 packets sent, 200 received"]


def _reordering(no_anti_replay: bool) -> str:
    """A link whose jitter (4 ms) reorders a 10,000 packets/s flow far past a 32-packet
    window; with `no-anti-replay` on SRX-B's VPN."""
    text = BASE.replace("latency: 5ms}", "latency: 5ms, jitter: 4ms}")
    if no_anti_replay:
        anchor = ("      set security ipsec vpn ipsec_cert_vpn_01 ike proxy-identity local "
                  "10.2.0.0/24\n")
        assert anchor in text
        text = text.replace(anchor, anchor + "      set security ipsec vpn ipsec_cert_vpn_01 "
                                             "ike no-anti-replay\n")
    return text + ("events:\n  - {at: 5s, initiate: {device: SRX-A, gateway: ike_cert_gw_01}}\n"
                   "  - {at: 30s, flow: {from: SRX-A, to: 10.2.0.9, rate: 10000pps, "
                   "duration: 0.2s, size: 100}}\n")


def test_packets_reordered_past_the_window_are_replay_errors(tmp_path):
    scenario = build(tmp_path, _reordering(no_anti_replay=False))
    scenario.run()
    (flow,) = scenario.traffic.flows
    stats = scenario.devices["SRX-B"].traffic.sas[-1].counters.statistics()
    assert flow.sent == 2000 and stats.replay_errors > 100
    assert stats.decrypted_packets + stats.replay_errors == 2000 == flow.received + \
        stats.replay_errors


def test_no_anti_replay_takes_every_reordered_packet(tmp_path):
    scenario = build(tmp_path, _reordering(no_anti_replay=True))
    scenario.run()
    stats = scenario.devices["SRX-B"].traffic.sas[-1].counters.statistics()
    assert (stats.decrypted_packets, stats.replay_errors) == (2000, 0)
    state = scenario.devices["SRX-B"].snapshot()
    assert "Anti-replay service: disabled" in show(
        state, "show security ipsec security-associations detail")


def test_esp_for_an_sa_past_its_lifetime_is_dropped(tmp_path):
    """SRX-B's clock jumps an hour at 60 s: its SA (3600 s) is past its lifetime there, while
    SRX-A's still sends on it."""
    text = BASE + ("events:\n  - {at: 5s, initiate: {device: SRX-A, gateway: ike_cert_gw_01}}\n"
                   "  - {at: 50s, flow: {from: SRX-A, to: 10.2.0.9, rate: 10pps, "
                   "duration: 20s}}\n"
                   "  - {at: 60s, clock: {device: SRX-B, offset: 1h}}\n")
    scenario = build(tmp_path, text)
    scenario.run()
    (flow,) = scenario.traffic.flows
    assert flow.sent == 200 and flow.received == 100
    assert scenario.traffic.drops["SRX-B"].unknown_spi == 100


def test_packets_while_the_tunnel_comes_up_start_one_negotiation(tmp_path):
    """Echo requests every 10 ms: those before Quick Mode installs the SA are dropped, and
    only the first starts a negotiation (kmd has one in progress for the others)."""
    text = BASE + ("events:\n  - {at: 10s, ping: {from: SRX-A, to: 10.2.0.1, count: 50, "
                   "interval: 10ms}}\n")
    scenario = build(tmp_path, text)
    scenario.run()
    (negotiation,) = scenario.results.in_order()
    (ping,) = scenario.traffic.pings
    dropped = scenario.traffic.drops["SRX-A"].no_sa
    assert negotiation.phase2 == "done" and dropped > 1
    assert ping.received == 50 - dropped


def test_traffic_after_the_ipsec_sa_expired_starts_quick_mode_on_the_ike_sa(tmp_path):
    """lifetime-seconds 180: the SA that carried the first ping is rekeyed at its soft
    lifetime; the rekey carries nothing and expires, so at 400 s no IPsec SA is left while the
    IKE SA (28800 s) is. The first echo request is dropped and a new Quick Mode runs under the
    same IKE SA."""
    text = BASE.replace("lifetime-seconds 3600", "lifetime-seconds 180") + (
        "events:\n  - {at: 10s, ping: {from: SRX-A, to: 10.2.0.1, count: 2}}\n"
        "  - {at: 400s, ping: {from: SRX-A, to: 10.2.0.1, count: 3}}\n")
    text = text.replace("duration: 2m", "duration: 8m")
    scenario = build(tmp_path, text)
    scenario.run()
    assert [(p.transmitted, p.received) for p in scenario.traffic.pings] == [(2, 1), (3, 2)]
    assert [(n.sa, n.reason) for n in scenario.results.in_order()] == [
        ("ike", "initial"), ("ipsec", "rekey")]  # one IKE SA
    kmd = [line[16:] for line in scenario.devices["SRX-A"].kmd_log.lines]
    assert sum(line.startswith("Phase-2 [initiator] done") for line in kmd) == 3
    assert any(line.startswith("IPSec SA deleted for vpn ipsec_cert_vpn_01 (lifetime expired)")
               for line in kmd)
    assert len(scenario.devices["SRX-A"].traffic.sas) == 3


def test_a_peer_that_keeps_refusing_is_asked_again_only_every_ten_seconds(tmp_path):
    """SRX-B offers another DH group: every Phase 1 fails at once (NO_PROPOSAL_CHOSEN). A flow
    of 10 packets a second for 25 s starts a negotiation at 10, 20 and 30 s, not one per
    packet."""
    text = _swap_b(BASE, "ike_cert_prop_01 dh-group group5", "ike_cert_prop_01 dh-group group2")
    text += ("events:\n  - {at: 10s, flow: {from: SRX-A, to: 10.2.0.9, rate: 10pps, "
             "duration: 25s}}\n")
    scenario = build(tmp_path, text)
    scenario.run()
    negotiations = scenario.results.in_order()
    assert [n.started for n in negotiations] == [10.0, 20.0, 30.0]
    assert {n.phase1 for n in negotiations} == {"failed"}
    assert scenario.traffic.drops["SRX-A"].no_sa == 250


def _swap_b(text: str, old: str, new: str) -> str:
    """Replace `old` in SRX-B's configuration only (the second device)."""
    at = text.index("  SRX-B:")
    assert old in text[at:]
    return text[:at] + text[at:].replace(old, new, 1)


def _ipv6_topology() -> str:
    text = BASE
    for old, new in (("local 10.1.0.0/24", "local 2001:db8:a::/64"),
                     ("remote 10.2.0.0/24", "remote 2001:db8:b::/64"),
                     ("local 10.2.0.0/24", "local 2001:db8:b::/64"),
                     ("remote 10.1.0.0/24", "remote 2001:db8:a::/64")):
        assert old in text
        text = text.replace(old, new)
    return text + ("events:\n  - {at: 10s, ping: {from: SRX-A, to: '2001:db8:b::1', "
                   "count: 3}}\n  - {at: 20s, flow: {from: SRX-B, to: '2001:db8:a::9', "
                   "rate: 10pps, duration: 1s, size: 1200}}\n")


def test_ipv6_traffic_crosses_an_ipv6_in_ipv4_tunnel(tmp_path):
    """Next header 41, ICMPv6 echoes answered, UDP with its mandatory checksum."""
    scenario = build(tmp_path, _ipv6_topology())
    scenario.run()
    (ping,) = scenario.traffic.pings
    (flow,) = scenario.traffic.flows
    assert (ping.source, ping.transmitted, ping.received) == ("2001:db8:a::1", 3, 2)
    assert (flow.source, flow.sent, flow.received) == ("2001:db8:b::1", 10, 10)
    b = scenario.devices["SRX-B"].traffic.sas[-1].counters.statistics()
    assert (b.decrypted_packets, b.decrypted_bytes) == (2, 2 * (40 + 8 + 56))
    assert (b.encrypted_packets, b.encrypted_bytes) == (12, 2 * 104 + 10 * (40 + 8 + 1200))
    if shutil.which("tshark") is None:
        return
    pcap = tmp_path / "v6.pcap"
    pcap.write_bytes(pcap_bytes(scenario.world.network.capture, start=scenario.topology.start))
    options = ["-o", "esp.enable_encryption_decode:TRUE"]
    for line in esp_sa_table(scenario):
        options += ["-o", f"uat:esp_sa:{line}"]
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / ".config")}
    fields = subprocess.run(
        ["tshark", "-r", str(pcap), *options, "-o", "udp.check_checksum:TRUE", "-Y", "esp",
         "-T", "fields", "-e", "ipv6.src", "-e", "icmpv6.type", "-e", "icmpv6.checksum.status",
         "-e", "udp.checksum.status"],
        capture_output=True, text=True, env=env, check=True).stdout
    rows = [line.split("\t") for line in fields.splitlines()]
    # Wireshark checks every checksum: 1 is Good.
    assert rows[:4] == [["2001:db8:a::1", "128", "1", ""], ["2001:db8:b::1", "129", "1", ""]] * 2
    assert rows[4:] == [["2001:db8:b::1", "", "", "1"]] * 10


def test_a_flow_that_fills_the_kilobyte_lifetime_is_carried_on_by_its_rekey(tmp_path):
    """lifetime-kilobytes 64: a flow of 1000-byte datagrams fills it in about 60 packets.
    The initiator rekeys at the soft share, the new SA carries the rest of the flow and the
    old one is deleted: no datagram of the flow is lost (sim.world.traffic tells kmd what each SA
    carried)."""
    text = BASE.replace("lifetime-seconds 3600",
                        "lifetime-seconds 3600\n"
                        "      set security ipsec proposal ipsec_prop_01 lifetime-kilobytes 64")
    assert text.count("lifetime-kilobytes 64") == 2
    text += ("events:\n  - {at: 10s, ping: {from: SRX-A, to: 10.2.0.1, count: 2}}\n"
             "  - {at: 20s, flow: {from: SRX-A, to: 10.2.0.9, rate: 20pps, duration: 10s, "
             "size: 1000}}\n")
    scenario = build(tmp_path, text)
    scenario.run()
    (flow,) = scenario.traffic.flows
    assert (flow.sent, flow.received) == (200, 200)
    rekeys = [n for n in scenario.results.in_order() if n.reason == "rekey"]
    assert len(rekeys) >= 2 and all(n.sa == "ipsec" and n.phase2 == "done" for n in rekeys)
    kmd = [line[16:] for line in scenario.devices["SRX-A"].kmd_log.lines]
    assert any(line.startswith("IPSec SA deleted for vpn ipsec_cert_vpn_01 (replaced by its "
                               "rekey)") for line in kmd)
