"""Issue 9's features together, as a user meets them: dead peer detection on a tunnel that
rekeys all day, a peer that loses power in the middle of a flow, a restart and a device-up that
send INITIAL-CONTACT while traffic runs, a NAT-T tunnel rekeyed every 300 s with traffic (and
a spoke rebooting behind the NAT), a Phase-1 rekey that overtakes an IPsec rekey, and a rekey
whose DELETE is lost.
Each topology is built here from a shipped one; the assertions are the kmd and syslog lines,
`show` output and results.json a user reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sim.junos.ops import show
from sim.report.traffic_events import esp_sa_table
from sim.scenario import Scenario
from sim.topology import parse_topology

TOPOLOGIES = Path(__file__).resolve().parents[2] / "topologies"
COOKIES = re.compile(r"\{ ([0-9a-f]{8}) ([0-9a-f]{8}) - ([0-9a-f]{8}) ([0-9a-f]{8}) ")
PROBE = "Sent notification DPD Are You There"


def shipped(name: str) -> str:
    """A shipped topology without its events."""
    text = (TOPOLOGIES / f"{name}.yaml").read_text()
    return text[:text.index("events:")] if "\nevents:" in text else text


def after(text: str, anchor: str, *added: str) -> str:
    """`text` with configuration lines added after each `anchor` line (one per device)."""
    assert anchor in text, anchor
    indent = anchor[:len(anchor) - len(anchor.lstrip())]
    return text.replace(anchor + "\n", anchor + "\n" + "".join(
        f"{indent}{line}\n" for line in added))


def run(tmp_path: Path, text: str, *, write: bool = False) -> Scenario:
    scenario = Scenario.build(parse_topology(text, source="together.yaml"),
                              out=tmp_path / "run")
    scenario.run()
    if write:
        scenario.write()
    return scenario


def kmd(scenario: Scenario, device: str) -> list[str]:
    """kmd's lines without their timestamps."""
    return [line[16:] for line in scenario.devices[device].kmd_log.lines]


def syslog(scenario: Scenario, device: str) -> list[str]:
    return [line.split(": ", 1)[1]
            for line in scenario.devices[device].messages_log.lines]


def alarms(scenario: Scenario, device: str) -> list[str]:
    return [line.split(":")[0] for line in syslog(scenario, device)
            if line.startswith("KMD_")]


def sh(scenario: Scenario, device: str, command: str) -> str:
    return show(scenario.devices[device].snapshot(), command)


# -- DPD on a tunnel that rekeys all day ---------------------------------------------------------

DPD_A = ("dead-peer-detection always-send", "dead-peer-detection interval 10",
         "dead-peer-detection threshold 5")


def _rekey_day_with_dpd(*, down_at: str, duration: str) -> str:
    text = shipped("rekey-day").replace("duration: 1d", f"duration: {duration}")
    text = after(text, "      set security ike gateway gw-day local-identity inet 30.1.1.31",
                 *(f"set security ike gateway gw-day {line}" for line in DPD_A))
    return text + f"events:\n  - {{at: {down_at}, device-down: {{device: SRX-B}}}}\n"


def test_dpd_probes_follow_each_phase1_rekey_and_a_dead_peer_stops_the_rekeys(tmp_path):
    """SRX-A rekeys its IPsec SA every 252 s and its IKE SA every 3024 s, and probes SRX-B
    every 10 s. SRX-B loses power at 7050 s, six seconds before an IPsec rekey: the Quick
    Mode goes unanswered, DPD declares SRX-B dead after five probes, and that ends the Quick
    Mode too instead of leaving it to retransmit for minutes to a dead peer."""
    scenario = run(tmp_path, _rekey_day_with_dpd(down_at="7050s", duration="2h10m"))
    lines = kmd(scenario, "SRX-A")
    phase1 = [i for i, line in enumerate(lines) if line.startswith("ike_st_o_all_done")]
    assert len(phase1) == 3  # up at 0 s, rekeyed at 3024 s and 6048 s
    for number, start in enumerate(phase1):
        cookies = COOKIES.search(lines[start].replace("0x", "")).groups()
        end = phase1[number + 1] if number + 1 < len(phase1) else len(lines)
        probes = [COOKIES.search(line).groups() for line in lines[start:end] if PROBE in line]
        # Every probe in between is on the newest IKE SA: none on the one the rekey deleted.
        assert probes and set(probes) == {cookies}
    old = COOKIES.search(lines[phase1[0]].replace("0x", "")).groups()
    deleted = lines.index(f"IKE SA with 30.1.1.51 deleted (replaced by its rekey): "
                          f"{old[0]}{old[1]} {old[2]}{old[3]}")
    assert phase1[1] < deleted < phase1[2]

    dead = lines.index("KMD_DPD_PEER_DOWN: DPD detected peer 30.1.1.51 is dead")
    assert lines[dead + 1] == ("Phase-2 negotiation with 30.1.1.51 abandoned: its IKE SA was "
                               "deleted (the peer is dead)")
    assert lines[dead + 2].startswith("IKE SA with 30.1.1.51 deleted (the peer is dead): ")
    # Nothing more goes to the dead peer: no probe, no Quick Mode, no rekey.
    assert lines[dead + 3:] == []
    unanswered = [line for line in lines[:dead] if PROBE in line][-5:]
    assert all("Received" not in line for line in lines[lines.index(unanswered[0]):dead])
    # The VPN went down once (its last IPsec SA expired while the rekey was unanswered); the
    # IKE SA's end is DPD's own line.
    assert alarms(scenario, "SRX-A") == ["KMD_VPN_UP_ALARM_USER", "KMD_VPN_DOWN_ALARM_USER",
                                         "KMD_DPD_PEER_DOWN"]
    (rekey,) = [n for n in scenario.results.in_order() if n.phase2 == "failed"]
    assert (rekey.error, rekey.error_detail) == ("IKE SA deleted", "the peer is dead")
    # Neither side lists an SA: SRX-A deleted them, SRX-B has no power (it will boot
    # without them).
    for device in ("SRX-A", "SRX-B"):
        assert sh(scenario, device, "show security ike security-associations") == ""
        ipsec = sh(scenario, device, "show security ipsec security-associations")
        assert ipsec.splitlines()[0] == "Total active tunnels: 0"


# -- a peer loses power during a flow -------------------------------------------------------------

DPD_PING = ("dead-peer-detection always-send", "dead-peer-detection interval 10",
            "dead-peer-detection threshold 3")


def _flow_through_a_power_cut(*, dpd: bool) -> str:
    """traffic-ping's tunnel (on-traffic): a 10 pps flow from 10 s to 210 s; SRX-B is down
    from 60 s to 120 s. With `dpd`, SRX-A probes every 10 s and gives up after 3."""
    text = shipped("traffic-ping").replace("duration: 2m", "duration: 4m")
    if dpd:
        text = after(text, "      set security ike gateway ike_cert_gw_01 local-identity inet "
                           "30.1.1.31",
                     *(f"set security ike gateway ike_cert_gw_01 {line}" for line in DPD_PING))
    return text + ("events:\n"
                   "  - {at: 10s, flow: {from: SRX-A, to: 10.2.0.9, rate: 10pps, "
                   "duration: 200s, size: 100}}\n"
                   "  - {at: 60s, device-down: {device: SRX-B}}\n"
                   "  - {at: 120s, device-up: {device: SRX-B}}\n")


def _sa_counters(results: dict, device: str) -> list[dict]:
    return [sa for sa in results["traffic"]["ipsec_sas"] if sa["device"] == device]


def test_dpd_clears_the_tunnel_of_a_dead_peer_and_the_flow_brings_it_back(tmp_path):
    """SRX-A declares SRX-B dead at 90 s (3 probes unanswered) and clears the SAs; the flow's
    next packet finds no SA and starts Phase 1, which retransmits until SRX-B is back and
    completes at 121.6 s. Every packet is accounted for: sent on the first SA (those from 60 s
    to 90 s lost with SRX-B), dropped for want of an SA, or sent on the new one."""
    scenario = run(tmp_path, _flow_through_a_power_cut(dpd=True), write=True)
    results = json.loads((scenario.out / "results.json").read_text())
    (flow,) = results["traffic"]["flows"]
    assert (flow["sent"], flow["received"]) == (2000, 1381)
    first_a, second_a = _sa_counters(results, "SRX-A")
    first_b, second_b = _sa_counters(results, "SRX-B")  # one from each boot of SRX-B
    assert first_b["inbound_spi"] == first_a["outbound_spi"]
    assert second_b["inbound_spi"] == second_a["outbound_spi"]
    no_sa = results["traffic"]["dropped"]["SRX-A"]["no_sa"]
    assert (first_a["encrypted_packets"], no_sa, second_a["encrypted_packets"]) == (799, 318, 883)
    assert first_a["encrypted_packets"] + no_sa + second_a["encrypted_packets"] == flow["sent"]
    assert first_a["encrypted_packets"] - first_b["decrypted_packets"] == 301  # 60 s..90 s
    assert second_b["decrypted_packets"] == second_a["encrypted_packets"]
    assert first_b["decrypted_packets"] + second_b["decrypted_packets"] == flow["received"]

    lines = kmd(scenario, "SRX-A")
    dead = lines.index("KMD_DPD_PEER_DOWN: DPD detected peer 30.1.1.51 is dead")
    assert lines[dead + 1:dead + 4] == [
        f"IPSec SA deleted for vpn ipsec_cert_vpn_01 (the peer is dead): inbound SPI "
        f"0x{first_a['inbound_spi']}, outbound SPI 0x{first_a['outbound_spi']}",
        "IKE SA with 30.1.1.51 deleted (the peer is dead): "
        + lines[dead + 2].rsplit(": ", 1)[1],
        "Phase-1 [initiator] done for local=ipv4(udp:500,[0..3]=30.1.1.31) "
        "remote=ipv4(udp:500,[0..3]=30.1.1.51)"]
    assert [n.started for n in scenario.results.in_order()] == [10.0, 90.1]
    assert alarms(scenario, "SRX-A") == ["KMD_VPN_UP_ALARM_USER", "KMD_DPD_PEER_DOWN",
                                         "KMD_VPN_DOWN_ALARM_USER", "KMD_VPN_UP_ALARM_USER"]
    # `show` lists the SA pair each side holds now, with its counters: a reboot cleared SRX-B's.
    for device, counter, spi in (("SRX-A", "Encrypted packets", second_a["outbound_spi"]),
                                 ("SRX-B", "Decrypted packets", second_b["inbound_spi"])):
        statistics = sh(scenario, device, "show security ipsec statistics").splitlines()
        assert f"  {counter}:{883:>15}" in statistics
        sas = sh(scenario, device, "show security ipsec security-associations").splitlines()
        assert sas[0] == "Total active tunnels: 1" and spi in sas[2] + sas[3]


def test_the_written_esp_keys_cover_the_sas_of_each_boot(tmp_path):
    """Wireshark decrypts what each SA carried: the key table lists every outbound SA of the
    run, those SRX-B lost when it rebooted included."""
    scenario = run(tmp_path, _flow_through_a_power_cut(dpd=True))
    spis = [line.split(",")[3].strip('"') for line in esp_sa_table(scenario)]
    # SRX-A did not reboot: its two SA pairs name all four SPIs, SRX-B's outbound ones
    # being SRX-A's inbound.
    both = {f"0x{spi:08x}" for sa in scenario.devices["SRX-A"].traffic.sas
            for spi in (sa.keys.outbound_spi, sa.keys.inbound_spi)}
    assert len(spis) == 4 and set(spis) == both


def test_without_dpd_the_rebooted_peer_drops_the_flow_until_the_sa_expires(tmp_path):
    """Without dead-peer-detection SRX-A never learns that SRX-B rebooted: it keeps sending
    on its SA, and SRX-B, which lost it, drops each packet as an unknown SPI (Junos sends no
    INVALID-SPI notification unless `respond-bad-spi` is configured). Nothing starts a new
    negotiation before the SA's lifetime (3600 s) runs out, as on an SRX."""
    scenario = run(tmp_path, _flow_through_a_power_cut(dpd=False), write=True)
    results = json.loads((scenario.out / "results.json").read_text())
    (flow,) = results["traffic"]["flows"]
    (sa_a,) = _sa_counters(results, "SRX-A")
    dropped = results["traffic"]["dropped"]
    assert (flow["sent"], sa_a["encrypted_packets"], dropped["SRX-A"]["no_sa"]) == (2000, 1998, 2)
    # Lost while SRX-B was down (60 s to 120 s), then refused by the rebooted SRX-B.
    assert dropped["SRX-B"]["unknown_spi"] == 900
    assert flow["received"] == 1998 - 600 - 900
    assert len(scenario.results.in_order()) == 1
    assert sh(scenario, "SRX-A", "show security ipsec security-associations").splitlines()[0] \
        == "Total active tunnels: 1"
    assert sh(scenario, "SRX-B", "show security ipsec security-associations").splitlines()[0] \
        == "Total active tunnels: 0"


# -- restart and device-up: INITIAL-CONTACT while a flow runs ------------------------------------

FLOW = ("  - {at: 10s, flow: {from: SRX-A, to: 10.2.0.9, rate: 10pps, duration: 200s, "
        "size: 100}}\n")


@pytest.mark.parametrize("events, back_at, lost", [
    ("  - {at: 60s, restart: {device: SRX-A}}\n", 60.0, 0),
    ("  - {at: 60s, device-down: {device: SRX-A}}\n"
     "  - {at: 80s, device-up: {device: SRX-A}}\n", 80.0, 200),
], ids=["restart", "device-up"])
def test_the_next_sa_after_a_reboot_says_initial_contact_and_traffic_resumes(
        tmp_path, events, back_at, lost):
    """SRX-A loses its SAs (kmd restarts, or the device loses power and boots) and tells
    SRX-B nothing. The flow's next packet starts a new negotiation, whose message 5 says
    INITIAL-CONTACT: SRX-B deletes the SAs it still held for SRX-A, and the flow goes on
    under the new pair. While SRX-A is down its hosts' packets meet nothing: no SA counts
    them (results.json says `device_down`)."""
    text = shipped("traffic-ping").replace("duration: 2m", "duration: 4m")
    scenario = run(tmp_path, text + "events:\n" + FLOW + events, write=True)
    first, second = scenario.results.in_order()
    assert second.started == back_at and (second.phase1, second.phase2) == ("done", "done")
    old = scenario.devices["SRX-B"].kmd.sas[bytes.fromhex(first.icookie)]
    old_sa = scenario.devices["SRX-B"].traffic.sas[0]
    lines = kmd(scenario, "SRX-B")
    start = lines.index("Initial contact received from 30.1.1.31: deleting the older SAs "
                        "with this peer")
    assert lines[start + 1:start + 4] == [
        f"IPSec SA deleted for vpn ipsec_cert_vpn_01 (the peer sent INITIAL-CONTACT): inbound "
        f"SPI 0x{old_sa.record.inbound_spi}, outbound SPI 0x{old_sa.record.outbound_spi}",
        f"IKE SA with 30.1.1.31 deleted (the peer sent INITIAL-CONTACT): {first.icookie} "
        f"{old.done.rcookie.hex()}",
        "Phase-2 [responder] done for p1_local=ipv4(udp:500,[0..3]=30.1.1.51) "
        "p1_remote=ipv4(udp:500,[0..3]=30.1.1.31) p2_local=ipv4_subnet(any:0,[0..7]="
        "10.2.0.0/24) p2_remote=ipv4_subnet(any:0,[0..7]=10.1.0.0/24)"]
    assert alarms(scenario, "SRX-B") == ["KMD_VPN_UP_ALARM_USER", "KMD_VPN_DOWN_ALARM_USER",
                                         "KMD_VPN_UP_ALARM_USER"]
    assert syslog(scenario, "SRX-B")[3].endswith(
        "Reason: Peer sent initial contact. Corresponding IKE/IPSec SAs are deleted")
    # SRX-A's kmd after the restart or the boot is another process: another pid in syslog.
    pids = [line.split(" kmd[", 1)[1].split("]", 1)[0]
            for line in scenario.devices["SRX-A"].messages_log.lines if " kmd[" in line]
    assert len(set(pids)) == 2 and pids[0] != pids[-1]

    results = json.loads((scenario.out / "results.json").read_text())
    (flow,) = results["traffic"]["flows"]
    first_a, second_a = _sa_counters(results, "SRX-A")
    first_b, second_b = _sa_counters(results, "SRX-B")
    dropped = results["traffic"]["dropped"]["SRX-A"]
    # Two packets before the first SA, one when SRX-A came back; the rest under an SA.
    assert (dropped["no_sa"], dropped["device_down"]) == (3, lost)
    assert first_a["encrypted_packets"] == first_b["decrypted_packets"] == 498  # to 60 s
    assert second_a["encrypted_packets"] == second_b["decrypted_packets"] == 1499 - lost
    assert (flow["sent"], flow["received"]) == (2000, 2000 - 3 - lost)
    for device, peer in (("SRX-A", "30.1.1.51"), ("SRX-B", "30.1.1.31")):
        ike = sh(scenario, device, "show security ike security-associations").splitlines()
        assert len(ike) == 2 and second.icookie in ike[1] and ike[1].endswith(peer)
        ipsec = sh(scenario, device, "show security ipsec security-associations").splitlines()
        assert ipsec[0] == "Total active tunnels: 1"


# -- NAT-T through two hours of 300 s IPsec rekeys, with traffic and DPD ---------------------------

SPOKE, HUB, PUBLIC = "10.0.1.2", "203.0.113.1", "198.51.100.7"
MARKER = b"\x00\x00\x00\x00"  # RFC 3948's non-ESP marker: IKE on 4500


@pytest.fixture(scope="module")
def nat_day(tmp_path_factory) -> tuple[Scenario, dict]:
    """nat-t.yaml for two hours: a 300 s IPsec SA, DPD from the spoke every 10 s, and a
    datagram a second each way from 10 s."""
    text = shipped("nat-t").replace("duration: 2m", "duration: 2h")
    text = after(text, "      set security ipsec proposal ipsec_prop encryption-algorithm "
                       "aes-128-cbc", "set security ipsec proposal ipsec_prop lifetime-seconds 300")
    text = after(text, "      set security ike gateway to_hub nat-keepalive 20",
                 *(f"set security ike gateway to_hub {line}" for line in DPD_A))
    text += ("events:\n"
             "  - {at: 10s, flow: {from: Spoke, source: 10.1.0.1, to: 10.2.0.9, rate: 1pps, "
             "duration: 7000s, size: 100}}\n"
             "  - {at: 20s, flow: {from: Hub, source: 10.2.0.9, to: 10.1.0.1, rate: 1pps, "
             "duration: 7000s, size: 100}}\n")
    scenario = run(tmp_path_factory.mktemp("nat-day"), text, write=True)
    return scenario, json.loads((scenario.out / "results.json").read_text())


def test_each_rekeys_esp_stays_in_udp_4500_through_the_nat(nat_day):
    scenario, results = nat_day
    negotiations = scenario.results.in_order()
    assert len(negotiations) == 29 and {(n.phase1, n.phase2) for n in negotiations} == {
        ("done", "done")}  # the tunnel, then a Quick Mode every 252 s
    wire = [c.datagram for c in scenario.world.network.capture]
    assert not [d for d in wire if d.protocol == 50]  # no bare ESP: the NAT would drop it
    esp = [d for d in wire if d.dport in (4500, 49153) and len(d.payload) > 4
           and d.payload[:4] != MARKER]
    assert {(d.src, d.sport, d.dst, d.dport) for d in esp} == {
        (SPOKE, 4500, HUB, 4500), (HUB, 4500, PUBLIC, 49153)}
    # Each SA pair carried the flows for its 252 s, a packet a second each way; the last one,
    # up at 7066 s, after both flows ended, carried nothing.
    for device in ("Spoke", "Hub"):
        counters = _sa_counters(results, device)
        assert len(counters) == 29
        assert {(sa["encrypted_packets"], sa["decrypted_packets"])
                for sa in counters[1:-2]} == {(252, 252)}
        assert (counters[-1]["encrypted_packets"], counters[-1]["decrypted_packets"]) == (0, 0)
    ends = [sa["encrypted_packets"] + sa["decrypted_packets"]
            for sa in _sa_counters(results, "Spoke")]
    assert sum(ends) == 6999 + 7000
    spoke_flow, hub_flow = results["traffic"]["flows"]
    assert (spoke_flow["sent"], spoke_flow["received"]) == (7000, 6999)  # 1st: no SA yet
    assert (hub_flow["sent"], hub_flow["received"]) == (7000, 7000)


def test_keepalives_keep_the_one_nat_mapping_all_along(nat_day):
    scenario, _ = nat_day
    wire = [c.datagram for c in scenario.world.network.capture]
    keepalives = [d for d in wire if d.payload == b"\xff"]
    assert len(keepalives) == (7200 - 10) // 20
    # The router never forgot the mapping: the hub only ever saw its two public ports.
    assert {d.dport for d in wire if d.src == HUB} == {49152, 49153}


def test_dpd_and_deletes_run_over_4500_and_their_lines_say_so(nat_day):
    scenario, _ = nat_day
    spoke, hub = kmd(scenario, "Spoke"), kmd(scenario, "Hub")
    probes = [line for line in spoke if PROBE in line]
    acks = [line for line in hub if "Sent notification DPD I Am Here" in line]
    assert len(probes) == len(acks) == 718  # 20 s .. 7190 s
    assert all(line.startswith(f"{SPOKE}:4500 (Initiator) <-> {HUB}:4500 {{")
               for line in probes)
    assert all(line.startswith(f"{HUB}:4500 (Responder) <-> {PUBLIC}:49153 {{")
               for line in acks)
    sent = [line for line in spoke if "Delete payload sent: ESP SPI" in line]
    received = [line for line in hub if "Delete payload received: ESP SPI" in line]
    assert len(sent) == len(received) == 28
    assert all(f"{SPOKE}:4500 (Initiator)" in line for line in sent)
    assert all(f"<-> {PUBLIC}:49153 {{" in line for line in received)
    assert "KMD_DPD_PEER_DOWN" not in "\n".join(spoke)


def test_show_lists_the_live_pair_and_its_counters_after_the_day(nat_day):
    scenario, results = nat_day
    last = _sa_counters(results, "Hub")[-1]
    sas = sh(scenario, "Hub", "show security ipsec security-associations").splitlines()
    assert sas[0] == "Total active tunnels: 1"
    assert [row.split()[2] for row in sas[2:]] == [last["inbound_spi"], last["outbound_spi"]]
    assert all(" 49153 " in row and row.endswith(PUBLIC) for row in sas[2:])
    statistics = sh(scenario, "Hub", "show security ipsec statistics").splitlines()
    assert statistics[3:5] == [f"  Encrypted packets:{last['encrypted_packets']:>15}",
                               f"  Decrypted packets:{last['decrypted_packets']:>15}"]
    detail = sh(scenario, "Hub", "show security ike security-associations detail")
    assert f"  Local: {HUB}:4500, Remote: {PUBLIC}:49153" in detail.splitlines()
    # The IKE SA's traffic: every IKE datagram of the day (messages 1-4 on 500, then Quick
    # Modes, DELETEs and DPD on 4500 behind the marker; keepalives are not IKE messages).
    ike = [d for d in (c.datagram for c in scenario.world.network.capture)
           if d.protocol == 17 and len(d.payload) > 4 and (d.sport == 500 or d.payload[:4]
                                                           == MARKER)]
    inbound = [d for d in ike if d.dst == HUB]
    outbound = [d for d in ike if d.src == HUB]
    size = sum(len(d.payload) - (4 if d.sport != 500 else 0) for d in inbound)
    assert f"   Input  bytes  :{size:>21}" in detail.splitlines()
    assert f"   Input  packets:{len(inbound):>21}" in detail.splitlines()
    assert f"   Output packets:{len(outbound):>21}" in detail.splitlines()
    assert len(inbound) > 700  # 718 R-U-THEREs alone


# -- a Phase-1 rekey that completes while an IPsec rekey is under way ----------------------------


def test_an_ipsec_rekey_caught_by_a_phase1_rekey_starts_again_and_the_vpn_stays_up(tmp_path):
    """rekey-day with a 900 s IKE SA and 50 ms of latency: at 756 s the IPsec SA's rekey
    starts under the old IKE SA a moment before the Phase-1 rekey completes and deletes that
    SA. The peer drops what comes under the deleted SA, so kmd abandons that Quick Mode and
    starts it again under the new IKE SA; the VPN never goes down."""
    text = (TOPOLOGIES / "rekey-day.yaml").read_text()
    for old, new in (("duration: 1d", "duration: 30m"), ("latency: 5ms}", "latency: 50ms}"),
                     ("ike-day lifetime-seconds 3600", "ike-day lifetime-seconds 900")):
        assert text.count(old) >= 1, old
        text = text.replace(old, new)
    scenario = run(tmp_path, text)
    lines = kmd(scenario, "SRX-A")
    abandoned = lines.index("Phase-2 negotiation with 30.1.1.51 abandoned: its IKE SA was "
                            "deleted (replaced by its rekey)")
    assert lines[abandoned - 3].startswith("Phase-1 [initiator] done")
    assert lines[abandoned + 2].startswith("IKE SA with 30.1.1.51 deleted (replaced by its "
                                           "rekey): ")
    assert lines[abandoned + 3:abandoned + 5] == [
        "ike_get_sa: Invalid cookie, no sa found, SA",  # the peer's answer under the old SA
        "Phase-2 [initiator] done for p1_local=ipv4(udp:500,[0..3]=30.1.1.31) p1_remote="
        "ipv4(udp:500,[0..3]=30.1.1.51) p2_local=ipv4_subnet(any:0,[0..7]=0.0.0.0/0) "
        "p2_remote=ipv4_subnet(any:0,[0..7]=0.0.0.0/0)"]
    assert not [line for line in lines if "retransmission" in line]
    assert alarms(scenario, "SRX-A") == ["KMD_VPN_UP_ALARM_USER"]
    outcomes = [(n.sa, n.phase2, n.error) for n in scenario.results.in_order()]
    assert outcomes.count(("ipsec", "failed", "IKE SA deleted")) == 2  # at 756 s and 1512 s
    assert ("ipsec", "failed", "Timeout") not in outcomes


def test_a_spoke_that_reboots_behind_the_nat_comes_back_with_initial_contact(tmp_path):
    """nat-t.yaml with traffic both ways; the spoke loses power from 600 s to 700 s. Its first
    packet after the boot starts Phase 1 again, through the NAT, with INITIAL-CONTACT: the hub
    drops what it held for the spoke's public address and the tunnel carries on over 4500."""
    text = shipped("nat-t").replace("duration: 2m", "duration: 20m")
    text += ("events:\n"
             "  - {at: 10s, flow: {from: Spoke, source: 10.1.0.1, to: 10.2.0.9, rate: 1pps, "
             "duration: 1000s, size: 100}}\n"
             "  - {at: 20s, flow: {from: Hub, source: 10.2.0.9, to: 10.1.0.1, rate: 1pps, "
             "duration: 1000s, size: 100}}\n"
             "  - {at: 600s, device-down: {device: Spoke}}\n"
             "  - {at: 700s, device-up: {device: Spoke}}\n")
    scenario = run(tmp_path, text, write=True)
    first, second = scenario.results.in_order()
    assert second.started == 700.0 and (second.phase1, second.phase2) == ("done", "done")
    hub = kmd(scenario, "Hub")
    start = hub.index(f"Initial contact received from {PUBLIC}: deleting the older SAs with "
                      "this peer")
    old = scenario.devices["Hub"].kmd.sas[bytes.fromhex(first.icookie)]
    assert hub[start + 2] == (f"IKE SA with {PUBLIC} deleted (the peer sent INITIAL-CONTACT): "
                              f"{first.icookie} {old.done.rcookie.hex()}")
    assert alarms(scenario, "Hub") == ["KMD_VPN_UP_ALARM_USER", "KMD_VPN_DOWN_ALARM_USER",
                                       "KMD_VPN_UP_ALARM_USER"]
    assert not [c for c in scenario.world.network.capture if c.datagram.protocol == 50]
    results = json.loads((scenario.out / "results.json").read_text())
    spoke_flow, hub_flow = results["traffic"]["flows"]
    dropped = results["traffic"]["dropped"]
    # The spoke's hosts lost 100 packets with its power and one waited for each tunnel; the
    # hub's 100 towards the dead spoke crossed the NAT into nothing.
    assert (dropped["Spoke"]["device_down"], dropped["Spoke"]["no_sa"]) == (100, 2)
    assert (spoke_flow["sent"], spoke_flow["received"]) == (1000, 898)
    assert (hub_flow["sent"], hub_flow["received"]) == (1000, 899)
    ike = sh(scenario, "Hub", "show security ike security-associations").splitlines()
    assert len(ike) == 2 and second.icookie in ike[1] and ike[1].endswith(PUBLIC)


# -- a rekey whose DELETE is lost: two SA pairs of one tunnel, each with its own counters --------


def test_show_counts_each_pair_of_a_tunnel_when_the_old_one_outlives_its_rekey(tmp_path):
    """traffic-ping with a 300 s IPsec SA and a flow: SRX-A rekeys at 262 s and deletes the old
    pair, but its DELETE is lost on the way, so SRX-B keeps the old pair (same tunnel index)
    until its lifetime ends at 310 s. At 300 s SRX-B lists both pairs, and `show security ipsec
    statistics` counts what each carried: the old pair's packets, then the new one's."""
    text = shipped("traffic-ping").replace(
        "      set security ipsec proposal ipsec_prop_01 lifetime-seconds 3600",
        "      set security ipsec proposal ipsec_prop_01 lifetime-seconds 300")
    text += ("events:\n  - {at: 10s, flow: {from: SRX-A, to: 10.2.0.9, rate: 10pps, "
             "duration: 390s, size: 100}}\n")
    scenario = Scenario.build(parse_topology(text, source="together.yaml"),
                              out=tmp_path / "run")
    network, send = scenario.world.network, scenario.world.network.send
    lost = []

    def losing_the_first_delete(datagram) -> None:
        informational = datagram.protocol == 17 and len(datagram.payload) > 18 \
            and datagram.payload[18] == 5  # ISAKMP exchange type 5: DELETE, here
        if informational and datagram.src == "30.1.1.31" and not lost:
            lost.append(datagram)
            return
        send(datagram)

    network.send = losing_the_first_delete
    scenario.run(until=300)
    assert len(lost) == 1
    state = scenario.devices["SRX-B"].snapshot()
    rows = show(state, "show security ipsec security-associations").splitlines()
    assert rows[0] == "Total active tunnels: 2"
    assert {row.split()[0] for row in rows[2:]} == {"<131073", ">131073"}
    old, new = scenario.devices["SRX-B"].traffic.sas
    assert old.counters.statistics().decrypted_packets > 2000  # 10.1 s to 262 s
    assert 0 < new.counters.statistics().decrypted_packets < 500
    total = (old.counters.statistics().decrypted_packets
             + new.counters.statistics().decrypted_packets)
    assert total == 2900 - 2  # from 10 s to 300 s, but the two before the first SA
    statistics = show(state, "show security ipsec statistics").splitlines()
    assert statistics[4] == f"  Decrypted packets:{total:>15}"
