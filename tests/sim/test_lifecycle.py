"""The life of a tunnel after it comes up: rekeys at the soft lifetime, expiry of an SA nobody
rekeys, DELETE payloads sent and honoured, and Quick Mode queued behind Aggressive Mode's pkid
wait. Whole simulations, asserted on the kmd lines, syslog lines, `show` output and
results.json a user reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.junos.ops_sa import render_ike_sas, render_ipsec_sas
from sim.scenario import Scenario
from sim.topology import load_topology, parse_topology
from tests.sim.scenarios import HOST_A, HOST_B, aggressive, pair

TOPOLOGIES = Path(__file__).resolve().parents[2] / "topologies"

VPN = "\n".join([
    "set security ipsec proposal p2 protocol esp",
    "set security ipsec proposal p2 authentication-algorithm hmac-sha1-96",
    "set security ipsec proposal p2 encryption-algorithm aes-128-cbc",
    "set security ipsec proposal p2 lifetime-seconds 300",
    "set security ipsec policy ip2 proposals p2",
    "set security ipsec vpn v ike gateway gw",
    "set security ipsec vpn v ike ipsec-policy ip2",
    "set security ipsec vpn v bind-interface st0.0",
])


def build(text: str, tmp_path) -> Scenario:
    return Scenario.build(parse_topology(text, source="case.yaml"), out=tmp_path / "run")


def lines(scenario: Scenario, device: str, log: str = "kmd") -> list[str]:
    """A log's lines without their timestamps (and without the syslog host/pid prefix)."""
    daemon = getattr(scenario.devices[device], f"{log}_log")
    out = [line[16:] for line in daemon.lines]
    return [line.split(": ", 1)[1] for line in out] if log == "messages" else out


def life(row: str) -> int:
    """The seconds of a `show security ipsec security-associations` row's Life:sec/kb."""
    match = re.search(r" (\d+)/ unlim ", row)
    assert match, row
    return int(match.group(1))


def vpn_pair(**kw) -> str:
    return pair(a={"extra": VPN}, b={"extra": VPN}, **kw)


# -- a day of rekeys --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rekey_day(tmp_path_factory):
    """topologies/rekey-day.yaml run to each of `moments` in turn, SRX-A's SAs shown at each."""
    scenario = Scenario.build(load_topology(TOPOLOGIES / "rekey-day.yaml"),
                              out=tmp_path_factory.mktemp("day"))
    shown = []
    # 97 moments spread over the day, none on a rekey's instant by construction of the step
    for moment in range(600, 86400, 887):
        scenario.run(until=moment)
        state = scenario.devices["SRX-A"].snapshot()
        shown.append((moment, render_ipsec_sas(state), render_ike_sas(state),
                      render_ipsec_sas(state, detail=True), render_ike_sas(state, detail=True)))
    scenario.run(until=86400)
    return scenario, shown


def installed_at(negotiations) -> list[float]:
    """When SRX-A installed each IPsec SA: as it sent Quick Mode's message 3."""
    return [[m.time for m in n.messages if m.exchange == "QUICK_MODE"
             and m.sender == "SRX-A"][-1] for n in negotiations if n.phase2 == "done"]


def test_a_300_second_ipsec_sa_is_rekeyed_all_day(rekey_day):
    scenario, _ = rekey_day
    negotiations = scenario.results.in_order()
    kinds = [(n.reason, n.sa, n.phase1, n.phase2, n.error) for n in negotiations]
    # 84 % of 300 s: a new Quick Mode every 252 s from 0 s to the end of the day, and a new
    # Phase 1 every 3024 s (84 % of 3600 s); none failed.
    assert kinds.count(("rekey", "ipsec", "done", "done", None)) == 86400 // 252
    assert kinds.count(("rekey", "ike", "done", "-", None)) == 86400 // 3024
    assert kinds[0] == ("initial", "ike", "done", "done", None)
    assert len(kinds) == 1 + 342 + 28
    rekeys = [n for n in negotiations if n.sa == "ipsec"]
    # Each at its predecessor's soft lifetime, counted from when that one was up.
    assert [round(n.started) for n in rekeys[:3]] == [252, 504, 756]
    installed = installed_at(negotiations)
    assert all(new.started == pytest.approx(old + 252)
               for old, new in zip(installed, rekeys, strict=False))
    assert {(n.initiator, n.responder) for n in rekeys} == {("SRX-A", "SRX-B")}
    assert [m.exchange for m in rekeys[0].messages] == ["QUICK_MODE"] * 3 + ["INFORMATIONAL"]


def test_each_rekey_writes_the_quick_mode_and_delete_lines(rekey_day):
    scenario, _ = rekey_day
    kmd_a = lines(scenario, "SRX-A")
    start = kmd_a.index("Softlife timer expired for inbound vpn-day: rekeying")
    assert kmd_a[start + 1].startswith("Phase-2 [initiator] done for p1_local=ipv4(udp:500,"
                                       "[0..3]=30.1.1.31) p1_remote=ipv4(udp:500,[0..3]="
                                       "30.1.1.51) p2_local=ipv4_subnet(any:0,[0..7]=0.0.0.0/0)")
    assert kmd_a[start + 2] == ("Hardlife timer started for inbound vpn-day with 300 "
                                "seconds/0 kilobytes")
    assert kmd_a[start + 3].startswith("30.1.1.31:500 (Initiator) <-> 30.1.1.51:500 { ")
    assert " Info; Delete payload sent: ESP SPI 0x" in kmd_a[start + 3]
    assert kmd_a[start + 4].startswith("IPSec SA deleted for vpn vpn-day (replaced by its "
                                       "rekey): inbound SPI 0x")
    assert sum(line.startswith("Phase-2 [initiator] done") for line in kmd_a) == 343
    kmd_b = lines(scenario, "SRX-B")
    assert sum("Info; Delete payload received: ESP SPI 0x" in line for line in kmd_b) == 342
    assert sum(line.startswith("IPSec SA deleted for vpn vpn-day (deleted by the peer)")
               for line in kmd_b) == 342
    assert sum("Info; Delete payload received: ISAKMP SA" in line for line in kmd_b) == 28
    # The VPN never went down: one alarm, when it came up.
    syslog = lines(scenario, "SRX-A", "messages")
    assert sum(line.startswith("KMD_VPN_UP_ALARM_USER: VPN vpn-day") for line in syslog) == 1
    assert not any(line.startswith("KMD_VPN_DOWN_ALARM_USER") for line in syslog)


def test_the_ipsec_sa_shown_at_any_moment_is_alive(rekey_day):
    scenario, shown = rekey_day
    installed = installed_at(scenario.results.in_order())
    for moment, ipsec, ike, *_ in shown:
        rows = ipsec.splitlines()
        assert rows[0] == "Total active tunnels: 1", moment
        inbound, outbound = rows[2].split(), rows[3].split()
        assert inbound[0] == "<131073" and outbound[0] == ">131073"
        # Life:sec/kb counts down from the last rekey, and a rekey comes before it runs out.
        last = max(t for t in installed if t <= moment)
        remaining = life(rows[2])
        assert remaining == int(300 - (moment - last)), moment
        assert 300 - 252 <= remaining <= 300
        assert len(ike.splitlines()) == 2, moment  # the header and the one IKE SA


# -- expiry without a rekey -------------------------------------------------------------------


def test_an_idle_on_traffic_tunnel_expires_with_the_vpn_down_alarm(tmp_path):
    """Junos's default `establish-tunnels on-traffic` and no traffic: nothing rekeys the
    300 s IPsec SA, both sides delete it at its hard lifetime, the VPN goes down, and `show`
    follows."""
    scenario = build(vpn_pair(duration="10m"), tmp_path)
    scenario.run(until=290)
    before = render_ipsec_sas(scenario.devices["Host-A"].snapshot()).splitlines()
    assert before[0] == "Total active tunnels: 1"
    assert life(before[2]) == 11  # installed just after 1 s: 300 - 289
    scenario.run(until=302)
    for device, peer, role in (("Host-A", HOST_B, "Initiator"), ("Host-B", HOST_A, "Responder")):
        state = scenario.devices[device].snapshot()
        assert render_ipsec_sas(state).splitlines()[0] == "Total active tunnels: 0", device
        kmd = lines(scenario, device)
        assert "Softlife timer expired" not in "\n".join(kmd)
        deleted = [line for line in kmd if line.startswith("IPSec SA deleted")]
        assert len(deleted) == 1 and deleted[0].startswith(
            "IPSec SA deleted for vpn v (lifetime expired): inbound SPI 0x"), device
        me = HOST_A if device == "Host-A" else HOST_B
        assert lines(scenario, device, "messages")[-1] == (
            f"KMD_VPN_DOWN_ALARM_USER: VPN v from {peer} is down. Local-ip: {me}, gateway "
            f"name: gw, vpn name: v, tunnel-id: 131073, local tunnel-if: st0.0, remote "
            f"tunnel-ip: Not-Available, Local IKE-ID: {me}, Remote IKE-ID: {peer}, AAA "
            f"username: Not-Applicable, VR id: 0, Traffic-selector: , Traffic-selector local "
            f"ID: ipv4_subnet(any:0,[0..7]=0.0.0.0/0), Traffic-selector remote ID: "
            f"ipv4_subnet(any:0,[0..7]=0.0.0.0/0), SA Type: Static, Reason: IPSec SA lifetime "
            f"expired. Corresponding IPSec SAs are deleted")
        # The IKE SA (28800 s, proposal-set standard) is still up.
        assert len(render_ike_sas(state).splitlines()) == 2, role


# -- DELETE after a refused message 6 ---------------------------------------------------------


def test_the_responder_forgets_an_sa_whose_initiator_refused_message_6(tmp_path):
    """Host-B's certificate is revoked: Host-A, the initiator, refuses it after message 6.
    Host-B had finished its side when it sent message 6; Host-A's notification and DELETE
    make it delete the SA instead of keeping it "done" for 8 hours."""
    events = ("  - {at: 1s, revoke: {ca: CA-B, certificate: Host-B}}\n"
              "  - {at: 2s, initiate: {device: Host-A, gateway: gw}}")
    text = pair(events=events).replace('crl: {url: "http://192.0.2.10/b.crl", lifetime: 1d}',
                                       'crl: {url: "http://192.0.2.10/b.crl", lifetime: 1s}')
    scenario = build(text, tmp_path)
    scenario.run()
    (negotiation,) = scenario.results.in_order()
    assert (negotiation.phase1, negotiation.error, negotiation.failed_on) == (
        "failed", "Authentication failed", "Host-A")
    kmd_b = lines(scenario, "Host-B")
    assert kmd_b[0].startswith("Phase-1 [responder] done for")
    assert kmd_b[1] == f"IKE SA with {HOST_A}: peer sent notification Authentication failed (24)"
    assert kmd_b[2].startswith(f"IKE SA with {HOST_A} deleted (deleted by the peer): ")
    assert render_ike_sas(scenario.devices["Host-B"].snapshot()) == ""
    informational = [m for m in negotiation.messages if m.exchange == "INFORMATIONAL"]
    assert [(m.sender, m.encrypted) for m in informational] == [("Host-A", True)]


# -- Quick Mode while Aggressive Mode waits for pkid ------------------------------------------


def test_quick_mode_waits_for_the_responders_pkid_instead_of_being_dropped(tmp_path):
    """Aggressive Mode: Host-A is done once it sent message 3 and starts Quick Mode at once;
    Host-B's pkid is still downloading CRLs from a slow server (3 s each way). Host-B keeps
    the Quick Mode message and answers it the moment Phase 1 completes: no message is dropped
    and Quick Mode is done without waiting for a retransmission."""
    text = aggressive(vpn_pair()).replace("latency: 10ms", "latency: 3s")
    text = text.replace("set security ike gateway gw local-identity",
                        "set security ike traceoptions flag ike\n"
                        "      set security ike gateway gw local-identity")
    scenario = build(text, tmp_path)
    scenario.run()
    (negotiation,) = scenario.results.in_order()
    assert (negotiation.phase1, negotiation.phase2, negotiation.error) == ("done", "done", None)
    kmd_b = lines(scenario, "Host-B")
    assert f"Quick Mode message from {HOST_A} queued: Phase-1 is waiting for pkid" in kmd_b
    assert not any("Packet dropped" in line for line in kmd_b)
    quick = [m for m in negotiation.messages
             if m.exchange == "QUICK_MODE" and not m.retransmission]
    assert [(m.sender, m.number) for m in quick] == [("Host-A", 4), ("Host-B", 5),
                                                     ("Host-A", 6)]
    # Host-B answers as its pkid finishes, not at Host-A's next retransmission.
    phase1_done = max(s.end for s in negotiation.steps if s.device == "Host-B")
    assert quick[1].time == pytest.approx(phase1_done)
    assert all(m.time < phase1_done for m in negotiation.messages
               if m.exchange == "QUICK_MODE" and m.retransmission)


# -- INITIAL-CONTACT after a restart ------------------------------------------------------------


def test_initial_contact_from_a_restarted_peer_clears_its_old_sas(tmp_path):
    """Host-A reboots (a `restart` event) and loses its SAs without telling Host-B; its next
    negotiation says INITIAL-CONTACT in message 5, so Host-B drops the SAs it still held and
    lists only the new ones."""
    events = ("  - {at: 1s, initiate: {device: Host-A, gateway: gw}}\n"
              "  - {at: 60s, restart: {device: Host-A}}\n"
              "  - {at: 70s, initiate: {device: Host-A, gateway: gw}}")
    scenario = build(vpn_pair(events=events, duration="2m"), tmp_path)
    scenario.run()
    first, second = scenario.results.in_order()
    assert (second.phase1, second.phase2) == ("done", "done")
    assert "kmd restarted: all IKE and IPsec SAs are cleared" in lines(scenario, "Host-A")
    kmd_b = lines(scenario, "Host-B")
    start = kmd_b.index(f"Initial contact received from {HOST_A}: deleting the older SAs with "
                        "this peer")
    assert kmd_b[start - 3].startswith("Phase-1 [responder] done")
    assert kmd_b[start + 1].startswith("IPSec SA deleted for vpn v (the peer sent "
                                       "INITIAL-CONTACT): inbound SPI 0x")
    old = scenario.devices["Host-B"].kmd.sas[bytes.fromhex(first.icookie)]
    assert old.deleted
    assert kmd_b[start + 2] == (f"IKE SA with {HOST_A} deleted (the peer sent INITIAL-CONTACT):"
                                f" {first.icookie} {old.done.rcookie.hex()}")
    state = scenario.devices["Host-B"].snapshot()
    ike = render_ike_sas(state).splitlines()
    assert len(ike) == 2 and second.icookie in ike[1]
    assert render_ipsec_sas(state).splitlines()[0] == "Total active tunnels: 1"
    alarms = [line for line in lines(scenario, "Host-B", "messages")
              if line.startswith("KMD_VPN")]
    assert [line.split(" VPN v ")[0] for line in alarms] == [
        "KMD_VPN_UP_ALARM_USER:", "KMD_VPN_DOWN_ALARM_USER:", "KMD_VPN_UP_ALARM_USER:"]
    assert alarms[1].endswith("Reason: Peer sent initial contact. Corresponding IKE/IPSec "
                              "SAs are deleted")


# -- lifetime-kilobytes -------------------------------------------------------------------------


def test_a_responders_size_limit_reaches_the_initiator_and_both_show_it(tmp_path):
    """Host-B has `lifetime-kilobytes 1024`, Host-A none: Host-B keeps its limit and says so
    with RESPONDER-LIFETIME, so both SAs show it."""
    b = VPN + "\nset security ipsec proposal p2 lifetime-kilobytes 1024"
    a = VPN + "\nset security ike traceoptions flag timer"
    scenario = build(pair(a={"extra": a}, b={"extra": b}), tmp_path)
    scenario.run(until=60)
    for device in ("Host-A", "Host-B"):
        state = scenario.devices[device].snapshot()
        rows = render_ipsec_sas(state).splitlines()
        assert rows[2].split("/ ")[1].split()[0] == "1024", device
        detail = render_ipsec_sas(state, detail=True).splitlines()
        assert detail.count("    Lifesize Remaining: 1024 kilobytes") == 2, device
    trace = [line for line in lines(scenario, "Host-A") if line.startswith("Hardlife")]
    assert trace == ["Hardlife timer started for inbound v with 300 seconds/1024 kilobytes"]


def test_a_rekey_the_peer_cannot_answer_lets_the_sa_expire(tmp_path):
    """Host-B reboots at 100 s and forgets the SAs; at the soft lifetime Host-A's Quick Mode
    under the old IKE SA finds no SA at Host-B and gets no answer, so at 300 s the IPsec SA
    expires: deleted, the VPN down, `show` empty."""
    events = ("  - {at: 0s, initiate: {device: Host-A, gateway: gw}}\n"
              "  - {at: 100s, restart: {device: Host-B}}")
    a = VPN + "\nset security ipsec vpn v establish-tunnels immediately"
    b = VPN + "\nset security ike traceoptions flag ike"
    scenario = build(pair(a={"extra": a}, b={"extra": b}, events=events), tmp_path)
    scenario.run(until=302)
    first, rekey = scenario.results.in_order()
    assert (rekey.reason, rekey.sa, rekey.phase2, round(rekey.started)) == (
        "rekey", "ipsec", "pending", 252)
    kmd_a = lines(scenario, "Host-A")
    assert kmd_a[-1].startswith("IPSec SA deleted for vpn v (lifetime expired): inbound SPI ")
    assert lines(scenario, "Host-A", "messages")[-1].endswith(
        "Reason: IPSec SA lifetime expired. Corresponding IPSec SAs are deleted")
    assert render_ipsec_sas(scenario.devices["Host-A"].snapshot()).splitlines()[0] == (
        "Total active tunnels: 0")
    assert lines(scenario, "Host-B")[-1] == "ike_get_sa: Invalid cookie, no sa found, SA"


def test_the_soft_lifetime_shown_is_when_the_rekey_comes(rekey_day):
    """`show ... detail` at any moment: the IPsec SA's soft lifetime runs out when SRX-A starts
    the next Quick Mode, its hard lifetime 48 s later; the IKE SA's lifetime counts down from
    its own (Phase-1) rekey."""
    scenario, shown = rekey_day
    negotiations = scenario.results.in_order()
    quick = [n.started for n in negotiations if n.sa == "ipsec"]
    phase1 = [n.finished for n in negotiations if n.sa == "ike"]
    for moment, _, _, ipsec, ike in shown:
        detail = ipsec.splitlines()
        soft = int(next(x for x in detail if "Soft lifetime" in x).split()[-2])
        hard = int(next(x for x in detail if "Hard lifetime" in x).split()[-2])
        upcoming = min(t for t in quick if t > moment)
        assert 0 <= (upcoming - moment) - soft < 1, moment  # whole seconds, as Junos shows
        assert hard - soft == 48
        lifetime = next(x for x in ike.splitlines() if "Lifetime: Expires in" in x)
        last = max(t for t in phase1 if t <= moment)
        assert lifetime == f"  Lifetime: Expires in {int(3600 - (moment - last))} seconds"


def test_the_ike_sa_counts_the_ipsec_sas_it_created_and_deleted(tmp_path):
    """`show security ike security-associations detail`'s "IPsec security associations: N
    created, M deleted" (one SA a direction): by 3000 s the first IKE SA of rekey-day carried
    the first Quick Mode and 11 rekeys, and 11 of those pairs were deleted again."""
    scenario = Scenario.build(load_topology(TOPOLOGIES / "rekey-day.yaml"), out=tmp_path / "r")
    scenario.run(until=3000)
    for device in ("SRX-A", "SRX-B"):
        (record,) = scenario.devices[device].snapshot().ike_sas
        assert (record.ipsec_sas_created, record.ipsec_sas_deleted) == (24, 22), device


def test_an_sa_that_carried_its_kilobytes_is_rekeyed_then_deleted(tmp_path):
    """Volume against `lifetime-kilobytes 1024`, as the ESP engine reports it: past 84 % the
    initiator rekeys at once (long before the 300 s), and an SA that carried all of it is
    deleted with the VPN down alarm."""
    vpn = VPN + "\nset security ipsec proposal p2 lifetime-kilobytes 1024"
    scenario = build(pair(a={"extra": vpn + "\nset security ike traceoptions flag timer"},
                          b={"extra": vpn}), tmp_path)
    scenario.run(until=20)
    kmd_a, kmd_b = (scenario.devices[d].kmd for d in ("Host-A", "Host-B"))
    (first,) = kmd_a.quick.live()
    kmd_a.life.carried(first.done.outbound_spi, 800 * 1024)  # 78 %: nothing yet
    scenario.run(until=21)
    assert kmd_a.quick.live() == [first]
    state = scenario.devices["Host-A"].snapshot()
    assert render_ipsec_sas(state).splitlines()[2].split("/ ")[1].split()[0] == "224"
    assert "    Lifesize Remaining: 224 kilobytes" in render_ipsec_sas(state, detail=True)
    kmd_a.life.carried(first.done.outbound_spi, 90 * 1024)  # 890 kB, past 860 (84 %)
    scenario.run(until=22)
    (second,) = kmd_a.quick.live()
    assert second is not first and second.replaces is first
    trace = lines(scenario, "Host-A")
    assert "Soft lifesize of inbound v reached (890 kilobytes): rekeying" in trace
    assert any(line.startswith("IPSec SA deleted for vpn v (replaced by its rekey)")
               for line in trace)
    (on_b,) = kmd_b.quick.live()
    kmd_b.life.carried(on_b.done.inbound_spi, 1024 * 1024)
    assert kmd_b.quick.live() == []
    assert lines(scenario, "Host-B")[-1].startswith(
        "IPSec SA deleted for vpn v (lifetime expired): inbound SPI 0x")
    assert lines(scenario, "Host-B", "messages")[-1].startswith("KMD_VPN_DOWN_ALARM_USER: VPN v")
