"""A peer that dies, run end to end from topologies/dpd-peer-dies.yaml: R-U-THERE and ACK every
interval in the kmd traces, the peer's power cut by a device-down event, the survivor declaring
it dead when interval and threshold say, its SAs gone from `show`; and what happens without
dead-peer-detection, with a peer that did not send the DPD vendor ID, and after device-up."""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path

import pytest

import sim.topology.gateway
from sim.cli.main import main
from tests.sim.tshark import needs_tshark

TOPOLOGY = Path(__file__).resolve().parents[2] / "topologies" / "dpd-peer-dies.yaml"
DPD_LINES = ("      set security ike gateway ike_gw dead-peer-detection always-send\n"
             "      set security ike gateway ike_gw dead-peer-detection interval 10\n"
             "      set security ike gateway ike_gw dead-peer-detection threshold 5\n")
DOWN_AT, INTERVAL, THRESHOLD = 120, 10, 5
SA_LINE = "30.1.1.31:500 (Initiator) <-> 30.1.1.51:500 {"


def _run(tmp_path: Path, capsys, text: str | None = None) -> Path:
    path = TOPOLOGY
    if text is not None:
        path = tmp_path / "dpd.yaml"
        path.write_text(text)
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    return out


def _show(capsys, out: Path, device: str, command: str) -> str:
    assert main(["show", str(out), device, command]) == 0
    return capsys.readouterr().out


def _kmd(out: Path, device: str) -> list[str]:
    return (out / "logs" / device / "kmd").read_text().splitlines()


def _negotiation(out: Path) -> dict:
    (negotiation,) = json.loads((out / "results.json").read_text())["negotiations"]
    return negotiation


def _phase1_done_at(negotiation: dict) -> float:
    """When Host-A's Phase 1 completed: the end of its pkid validation of Host-B."""
    (step,) = [s for s in negotiation["steps"]
               if s["device"] == "Host-A" and s["what"] == "pkid validation"]
    return step["end"]


def test_dpd_declares_the_dead_peer_at_the_time_interval_and_threshold_say(tmp_path, capsys):
    out = _run(tmp_path, capsys)
    negotiation = _negotiation(out)
    up = _phase1_done_at(negotiation)
    # Probes every interval from Phase 1; the first one after the power cut goes unanswered,
    # and `threshold` of them later, each given an interval, the peer is dead.
    first_unanswered = up + INTERVAL * math.ceil((DOWN_AT - up) / INTERVAL)
    dead_at = first_unanswered + THRESHOLD * INTERVAL
    assert negotiation["dpd"] == [{"device": "Host-A", "event": "peer-dead",
                                   "peer": "30.1.1.51", "at_s": round(dead_at, 6),
                                   "probes": THRESHOLD}]
    assert round(dead_at) == 170  # 17:22:50 in the log below

    kmd = _kmd(out, "Host-A")
    sent = [line for line in kmd if "Sent notification DPD Are You There (36136)" in line]
    acked = [line for line in kmd if "Received notification DPD I Am Here (36137)" in line]
    assert len(sent) == 15 and len(acked) == 10  # 10 answered up to 120 s, then 5 not
    assert all(SA_LINE in line and "} Info; " in line for line in sent + acked)
    # Each ACK echoes the sequence number of the R-U-THERE it answers; numbers go up by one.
    numbers = [int(line.rsplit(" ", 1)[1]) for line in sent]
    assert numbers == list(range(numbers[0], numbers[0] + 15))
    assert [int(line.rsplit(" ", 1)[1]) for line in acked] == numbers[:10]
    assert sent[-1].startswith("Sep 19 17:22:40 ")
    down = kmd.index("Sep 19 17:22:50 KMD_DPD_PEER_DOWN: DPD detected peer 30.1.1.51 is dead")
    assert kmd[down + 1].startswith("Sep 19 17:22:50 IPSec SA deleted for vpn vpn_ab (the peer "
                                    "is dead): inbound SPI 0x")
    assert kmd[down + 2].startswith("Sep 19 17:22:50 IKE SA with 30.1.1.51 deleted (the peer is "
                                    "dead): ")
    assert kmd[down + 2:] == kmd[-1:]  # nothing after: no more probes
    messages = (out / "logs" / "Host-A" / "messages").read_text().splitlines()
    assert messages[-2].endswith("kmd[1524]: KMD_DPD_PEER_DOWN: DPD detected peer 30.1.1.51 "
                                 "is dead")
    # The VPN went down with its SAs: the alarm says why.
    assert "kmd[1524]: KMD_VPN_DOWN_ALARM_USER: VPN vpn_ab from 30.1.1.51 is down." in messages[-1]
    assert messages[-1].endswith("Reason: Peer is dead. Corresponding IKE/IPSec SAs are deleted")

    # The responder answered every R-U-THERE it received while it was up.
    answers = [line for line in _kmd(out, "Host-B")
               if "Sent notification DPD I Am Here (36137)" in line]
    assert len(answers) == 10

    assert _show(capsys, out, "Host-A", "show security ike security-associations") == ""
    assert _show(capsys, out, "Host-A", "show security ipsec security-associations") == (
        "Total active tunnels: 0\n"
        "  ID      Algorithm      SPI      Life:sec/kb Mon vsys Port Gateway\n")
    # DPD is not a negotiation's message: results.json keeps the 9 of Phase 1 and 2.
    assert len(negotiation["messages"]) == 9


def _without_dpd() -> str:
    text = TOPOLOGY.read_text()
    assert DPD_LINES in text
    return text.replace(DPD_LINES, "")


def test_without_dead_peer_detection_the_dead_peers_sa_stays_listed(tmp_path, capsys):
    out = _run(tmp_path, capsys, _without_dpd())
    negotiation = _negotiation(out)
    assert negotiation["dpd"] == []
    kmd = _kmd(out, "Host-A")
    assert not [line for line in kmd if "DPD" in line and "ike_st_i_vid" not in line]
    ike = _show(capsys, out, "Host-A", "show security ike security-associations")
    cookies = f"{negotiation['icookie']}  "
    assert ike.splitlines()[1].split()[1:3] == ["UP", negotiation["icookie"]], ike
    assert cookies in ike and ike.rstrip().endswith("30.1.1.51")
    ipsec = _show(capsys, out, "Host-A", "show security ipsec security-associations")
    assert ipsec.startswith("Total active tunnels: 1\n")


def test_optimized_dpd_does_not_probe_an_idle_tunnel(tmp_path, capsys):
    """12.1X46's default mode probes only after traffic to the peer went unanswered: Quick
    Mode's last message (nothing answers it) earns one R-U-THERE an interval later; after its
    ACK the tunnel is idle, nothing is probed, and the dead peer is not noticed."""
    text = _without_dpd().replace(
        "      set security ike gateway ike_gw local-identity inet 30.1.1.31\n",
        "      set security ike gateway ike_gw local-identity inet 30.1.1.31\n"
        "      set security ike gateway ike_gw dead-peer-detection optimized\n")
    out = _run(tmp_path, capsys, text)
    kmd = _kmd(out, "Host-A")
    dpd = [line for line in kmd if "DPD" in line and "ike_st_i_vid" not in line]
    assert dpd[0][16:] == "DPD started for peer 30.1.1.51: optimized, interval 10 s, threshold 5"
    assert [line.split("} Info; ")[1].rsplit(",", 1)[0] for line in dpd[1:]] == [
        "Sent notification DPD Are You There (36136)",
        "Received notification DPD I Am Here (36137)"]
    assert dpd[1].startswith("Sep 19 17:20:30 ")  # Quick Mode ended just after 17:20:10
    assert _negotiation(out)["dpd"] == []
    assert _show(capsys, out, "Host-A", "show security ike security-associations") != ""


def test_dpd_needs_the_peers_vendor_id(tmp_path, capsys, monkeypatch):
    """RFC 3706: no R-U-THERE to a peer that did not say it speaks DPD."""
    monkeypatch.setattr(sim.topology.gateway, "VENDOR_IDS", ())
    out = _run(tmp_path, capsys)
    kmd = _kmd(out, "Host-A")
    assert [line[16:] for line in kmd if "DPD" in line] == [
        "DPD not used with peer 30.1.1.51: it did not send the DPD vendor ID"]
    assert _negotiation(out)["dpd"] == []
    assert _show(capsys, out, "Host-A", "show security ike security-associations") != ""


def test_a_rebooted_peer_has_lost_its_sas_and_does_not_answer_for_them(tmp_path, capsys):
    text = TOPOLOGY.read_text() + "  - {at: 130s, device-up: {device: Host-B}}\n"
    out = _run(tmp_path, capsys, text)
    assert _negotiation(out)["dpd"][0]["at_s"] == pytest.approx(170, abs=1)
    host_b = _kmd(out, "Host-B")
    # After the reboot each R-U-THERE names an SA Host-B no longer has.
    after = [line for line in host_b if line >= "Sep 19 17:22:10"]
    assert [line[16:] for line in after] == ["ike_get_sa: Invalid cookie, no sa found, SA"] * 4
    assert _show(capsys, out, "Host-B", "show security ike security-associations") == ""
    assert _show(capsys, out, "Host-B", "show security ipsec security-associations") == (
        "Total active tunnels: 0\n"
        "  ID      Algorithm      SPI      Life:sec/kb Mon vsys Port Gateway\n")


def test_the_run_repeats_byte_for_byte(tmp_path, capsys):
    first = _run(tmp_path / "1", capsys)
    second = _run(tmp_path / "2", capsys)
    for device in ("Host-A", "Host-B"):
        assert _kmd(first, device) == _kmd(second, device)
    assert _negotiation(first) == _negotiation(second)


def test_a_device_that_is_down_sends_and_logs_nothing(tmp_path):
    """Host-B probes too; once its power is cut its DPD stops with it: no datagram from it is
    on the wire after 120 s, and its kmd writes no line, while Host-A's R-U-THEREs still go
    out to it."""
    from sim.scenario import Scenario
    from sim.topology import parse_topology

    text = TOPOLOGY.read_text().replace(
        "      set security ike gateway ike_gw local-identity inet 30.1.1.51\n",
        "      set security ike gateway ike_gw local-identity inet 30.1.1.51\n" + DPD_LINES)
    scenario = Scenario.build(parse_topology(text, source="t.yaml"), out=tmp_path / "run")
    scenario.run()
    capture = scenario.world.network.capture
    from_b = [c.time for c in capture if c.datagram.src == "30.1.1.51"]
    to_b = [c.time for c in capture if c.datagram.dst == "30.1.1.51"]
    assert from_b and max(from_b) < DOWN_AT < max(to_b)
    host_b = scenario.devices["Host-B"].kmd_log.lines
    assert any("Sent notification DPD Are You There" in line for line in host_b)
    assert host_b[-1] < "Sep 19 17:22:00"


def test_the_key_table_still_decrypts_an_sa_dpd_cleared_and_the_peer_lost(tmp_path, capsys):
    """Host-A cleared the SA and Host-B rebooted without it: the capture holds its messages 5
    and 6 all the same, so its key stays in the table Wireshark reads."""
    text = TOPOLOGY.read_text() + "  - {at: 130s, device-up: {device: Host-B}}\n"
    (tmp_path / "dpd.yaml").write_text(text)
    out, pcap = tmp_path / "run", tmp_path / "dpd.pcap"
    assert main(["run", str(tmp_path / "dpd.yaml"), "--out", str(out), "--quiet",
                 "--pcap", str(pcap)]) == 0
    icookie = _negotiation(out)["icookie"]
    (row,) = Path(f"{pcap}.keys").read_text().splitlines()
    assert row.startswith(f"{icookie},") and len(row.split(",")[1]) == 64  # aes-256-cbc


@needs_tshark
def test_wireshark_names_the_vendor_id_and_decrypts_each_r_u_there_and_ack(tmp_path, capsys):
    out, pcap = tmp_path / "run", tmp_path / "dpd.pcap"
    assert main(["run", str(TOPOLOGY), "--out", str(out), "--quiet", "--pcap", str(pcap)]) == 0
    home = tmp_path / "home" / ".config" / "wireshark"
    home.mkdir(parents=True)
    (home / "ikev1_decryption_table").write_text(Path(f"{pcap}.keys").read_text())
    env = {**os.environ, "HOME": str(tmp_path / "home"),
           "XDG_CONFIG_HOME": str(tmp_path / "home" / ".config")}
    dissected = subprocess.run(["tshark", "-r", str(pcap), "-V"], capture_output=True, text=True,
                               env=env, check=True).stdout
    assert "Malformed" not in dissected
    assert dissected.count("Vendor ID: RFC 3706 DPD (Dead Peer Detection)") == 2  # msgs 1, 2
    sequences = [int(line.rsplit(" ", 1)[1]) for line in dissected.splitlines()
                 if "DPD ARE-YOU-THERE sequence: " in line]
    acks = [int(line.rsplit(" ", 1)[1]) for line in dissected.splitlines()
            if "DPD ARE-YOU-THERE-ACK sequence: " in line]
    logged = [int(line.rsplit(" ", 1)[1]) for line in _kmd(out, "Host-A")
              if "Sent notification DPD Are You There" in line]
    assert sequences == logged and acks == logged[:10]


def test_dpd_lives_no_longer_than_its_ike_sa(tmp_path, capsys):
    """An IKE SA of 180 s that nothing rekeys: its last R-U-THERE goes out before it expires,
    and none after (the peer would not answer for an SA it no longer has)."""
    lifetime = ("      set security ike proposal ike_prop encryption-algorithm aes-256-cbc\n"
                "      set security ike proposal ike_prop lifetime-seconds 180\n")
    text = TOPOLOGY.read_text().replace(
        "      set security ike proposal ike_prop encryption-algorithm aes-256-cbc\n", lifetime)
    text = text.replace("  - {at: 120s, device-down: {device: Host-B}}\n", "")
    out = _run(tmp_path, capsys, text)
    up = _phase1_done_at(_negotiation(out))
    sent = [line for line in _kmd(out, "Host-A") if "Sent notification DPD Are You" in line]
    assert len(sent) == 17  # at up + 10 s, ..., up + 170 s: none at or after up + 180 s
    assert up + 170 < 180 + 10 < up + 180
    assert sent[-1].startswith("Sep 19 17:23:00 ")
    assert _negotiation(out)["dpd"] == []


def test_dpd_in_aggressive_mode(tmp_path, capsys):
    """The vendor ID rides in Aggressive Mode's messages 1 and 2 too: DPD runs the same."""
    text = TOPOLOGY.read_text().replace("ike_pol mode main", "ike_pol mode aggressive")
    out = _run(tmp_path, capsys, text)
    negotiation = _negotiation(out)
    up = _phase1_done_at(negotiation)
    dead_at = up + INTERVAL * (math.ceil((DOWN_AT - up) / INTERVAL) + THRESHOLD)
    assert [(d["event"], d["at_s"]) for d in negotiation["dpd"]] == [
        ("peer-dead", round(dead_at, 6))]
