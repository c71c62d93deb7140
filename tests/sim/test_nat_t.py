"""NAT traversal end to end: topologies/nat-t.yaml (a spoke behind a NAT; the tunnel moves to
UDP 4500) and topologies/nat-no-natt.yaml (the same with no-nat-traversal: IKE passes on UDP
500, ESP cannot)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.ike.payloads import ExchangeType, Header, VendorIDPayload, encode_message
from sim.ike.proposals import sa_offer
from sim.junos.device_state import DeviceState
from sim.junos.ops import show
from sim.report.pcap import pcap_bytes, write_pcap
from sim.scenario import Scenario
from sim.topology import load_topology
from sim.topology.gateway import plan
from sim.world.network import Datagram
from tests.sim.scenarios import library_run
from tests.sim.tshark import dissect, needs_tshark

TOPOLOGIES = Path(__file__).resolve().parents[2] / "topologies"
SPOKE, PUBLIC, HUB = "10.0.1.2", "198.51.100.7", "203.0.113.1"
MARKER = bytes(4)


def _run(name: str, out: Path) -> Scenario:
    return library_run(name, out)


@pytest.fixture(scope="module")
def natt(tmp_path_factory) -> Scenario:
    return _run("nat-t", tmp_path_factory.mktemp("natt"))


@pytest.fixture(scope="module")
def no_natt(tmp_path_factory) -> Scenario:
    return _run("nat-no-natt", tmp_path_factory.mktemp("nonatt"))


def kmd(scenario: Scenario, device: str) -> list[str]:
    return [line[16:] for line in scenario.devices[device].kmd_log.lines]


def wire(scenario: Scenario) -> list[tuple[str, int, str, int, int]]:
    """(src, sport, dst, dport, length) of every IKE datagram (the ping's ESP left out) as its
    sender put it on the wire."""
    return [(c.datagram.src, c.datagram.sport, c.datagram.dst, c.datagram.dport,
             len(c.datagram.payload)) for c in scenario.world.network.capture
            if not _esp(c.datagram)]


def _esp(d: Datagram) -> bool:
    """ESP, or ESP in UDP 4500 either way through the NAT (no non-ESP marker, no keepalive)."""
    return d.protocol == 50 or (4500 in (d.sport, d.dport) and len(d.payload) > 1
                                and not d.payload.startswith(MARKER))


def test_both_sides_trace_the_vendor_ids_and_find_the_nat(natt):
    assert [r.phase2 for r in natt.results.in_order()] == ["done"]
    vids = ["ike_st_i_vid: VID[0] = RFC 3947",
            "ike_st_i_vid: VID[1] = draft-ietf-ipsec-nat-t-ike-03",
            "ike_st_i_vid: VID[2] = draft-ietf-ipsec-nat-t-ike-02\\n",
            "ike_st_i_vid: VID[3] = draft-ietf-ipsec-nat-t-ike-02",
            "ike_st_i_vid: VID[4] = RFC 3706 DPD"]
    spoke, hub = kmd(natt, "Spoke"), kmd(natt, "Hub")
    assert spoke[1:9] == [
        *vids,
        "ike_st_i_nat_d: NAT-T: local end is behind NAT (local 10.0.1.2:500, remote "
        "203.0.113.1:500)",
        "NAT-T: IKE SA moves to port 4500: local 10.0.1.2:4500, remote 203.0.113.1:4500",
        # The IDs of messages 5 and 6 carry the port they travel on: "udp:500" in the guide
        # means "NAT-T was not negotiated".
        "Phase-1 [initiator] done for local=fqdn(udp:4500,[0..16]=spoke.example.net) "
        "remote=ipv4(udp:4500,[0..3]=203.0.113.1)"]
    assert "NAT-T: sending NAT keepalives to 203.0.113.1:4500 every 20 seconds" in spoke
    assert hub[:6] == [*vids, "ike_st_i_nat_d: NAT-T: remote end is behind NAT (local "
                              "203.0.113.1:500, remote 198.51.100.7:49152)"]
    assert not any("keepalive" in line for line in hub)  # the hub is not behind the NAT


def test_messages_1_to_4_use_500_then_everything_moves_to_4500_with_the_marker(natt):
    sent = wire(natt)
    ike = [row for row in sent if row[4] > 1]
    assert [row[:4] for row in ike[:4]] == [(SPOKE, 500, HUB, 500), (HUB, 500, PUBLIC, 49152)] * 2
    # Main Mode 5 and 6, Quick Mode 1, 2 and 3: from and to 4500 (the NAT's 49153 for it).
    assert [row[:4] for row in ike[4:]] == [(SPOKE, 4500, HUB, 4500),
                                            (HUB, 4500, PUBLIC, 49153)] * 2 + [
                                               (SPOKE, 4500, HUB, 4500)]
    assert all(c.datagram.payload.startswith(MARKER)
               for c in natt.world.network.capture[4:]
               if len(c.datagram.payload) > 1 and not _esp(c.datagram))
    assert not any(c.datagram.payload.startswith(MARKER)
                   for c in natt.world.network.capture[:4])


def test_the_spoke_keeps_the_nat_mapping_with_keepalives(natt):
    keepalives = [c for c in natt.world.network.capture if c.datagram.payload == b"\xff"]
    # nat-keepalive 20 from Phase 1 (10.1 s) to the end of the run (120 s).
    assert [round(c.time, 1) for c in keepalives] == [30.1, 50.1, 70.1, 90.1, 110.1]
    assert {(c.datagram.src, c.datagram.sport, c.datagram.dst, c.datagram.dport)
            for c in keepalives} == {(SPOKE, 4500, HUB, 4500)}


def test_the_show_commands_and_syslog_show_port_4500(natt):
    hub = DeviceState.load(natt.out, "Hub")
    rows = show(hub, "show security ipsec security-associations").splitlines()
    assert rows[2].split()[-2:] == ["49153", PUBLIC]  # the NAT's port for the spoke's 4500
    spoke = DeviceState.load(natt.out, "Spoke")
    detail = show(spoke, "show security ike security-associations detail").splitlines()
    assert "  Local: 10.0.1.2:4500, Remote: 203.0.113.1:4500" in detail
    assert show(spoke, "show security ipsec security-associations").splitlines()[2].split(
        )[-2:] == ["4500", HUB]
    messages = natt.devices["Spoke"].messages_log.lines
    assert any("Local: 10.0.1.2/4500, Remote: 203.0.113.1/4500" in line for line in messages)


def test_without_nat_traversal_ike_stays_on_500_through_the_nat(no_natt):
    assert [(r.phase1, r.phase2) for r in no_natt.results.in_order()] == [("done", "done")]
    assert {row[:4] for row in wire(no_natt)} == {(SPOKE, 500, HUB, 500),
                                                  (HUB, 500, PUBLIC, 49152)}
    # The hub announces NAT-T and hears nothing back; the spoke, which does not speak it,
    # lists the hub's vendor IDs and goes no further.
    assert "NAT-T: not negotiated: the peer sent no RFC 3947 vendor ID" in kmd(no_natt, "Hub")
    assert not any("NAT-T" in line for line in kmd(no_natt, "Spoke"))
    assert "ike_st_i_vid: VID[0] = RFC 3947" in kmd(no_natt, "Spoke")
    assert "Phase-1 [responder] done for local=ipv4(udp:500,[0..3]=203.0.113.1) " \
           "remote=fqdn(udp:500,[0..16]=spoke.example.net)" in kmd(no_natt, "Hub")
    hub = DeviceState.load(no_natt.out, "Hub")
    rows = show(hub, "show security ipsec security-associations").splitlines()
    assert rows[2].split()[-2:] == ["49152", PUBLIC]  # the guide's "random high port"


@dataclass(frozen=True, kw_only=True)
class Esp(Datagram):
    protocol: int = 50


def test_without_nat_traversal_the_tunnels_esp_cannot_cross_the_nat(no_natt, natt):
    """The IPsec SAs of nat-no-natt are plain tunnels: ESP is IP protocol 50, which the NAT
    cannot translate; with NAT-T the same packet travels in UDP 4500 and crosses."""
    network = no_natt.world.network
    esp_to_spoke = Esp(src=HUB, dst=PUBLIC, sport=0, dport=0, payload=b"\0\0\1\0")
    esp_from_spoke = Esp(src=SPOKE, dst=HUB, sport=0, dport=0, payload=b"\0\0\1\0")
    assert [t(esp_to_spoke) for t in network.translators] == [None]
    assert [t(esp_from_spoke) for t in network.translators] == [None]
    in_udp = Datagram(src=HUB, dst=PUBLIC, sport=4500, dport=49153, payload=b"\0\0\1\0")
    assert [t(in_udp) for t in natt.world.network.translators] == [
        Datagram(src=HUB, dst=SPOKE, sport=4500, dport=4500, payload=b"\0\0\1\0")]


@needs_tshark
def test_wireshark_reads_nat_t_and_decrypts_messages_5_and_6_on_4500(natt, tmp_path):
    pcap = tmp_path / "natt.pcap"
    write_pcap(pcap, natt.world.network.capture, start=natt.topology.start)
    out = dissect(pcap, natt.key_table(), tmp_path / "home")
    assert "Malformed" not in out
    assert out.count("Non-ESP Marker") == 5
    assert out.count("NAT-keepalive packet") == 5
    assert out.count("Payload: NAT-D (RFC 3947) (20)") == 4
    assert out.count("Vendor ID: RFC 3947 Negotiation of NAT-Traversal in the IKE") == 2
    # Messages 5 and 6 decrypt on 4500 (an ID and a SIG each), and Quick Mode 1 and 2.
    assert out.count("Payload: Signature (9)") == 2
    assert out.count("Payload: Identification (5)") == 2 + 4
    assert out.count("Encapsulation Mode: UDP-Encapsulated-Tunnel (3)") == 2


def test_a_peer_flooding_vendor_ids_gets_a_bounded_trace_in_hex(tmp_path):
    """A hostile message 1: 200 vendor IDs of control bytes and one of 600 bytes. The hub
    traces 16 of them, in hex, and counts the rest."""
    scenario = Scenario.build(load_topology(TOPOLOGIES / "nat-t.yaml"), out=tmp_path)
    hub = scenario.devices["Hub"]
    offer = sa_offer(plan(hub.config, "to_spoke", device_address=HUB).proposals)
    vids = [VendorIDPayload(data=b"\x1b[31m\n" + bytes([i])) for i in range(200)]
    vids.append(VendorIDPayload(data=b"\n" * 600))
    header = Header(icookie=b"hostile!", rcookie=bytes(8), next_payload=0,
                    exchange=ExchangeType.IDENTITY_PROTECTION)
    scenario.world.network.send(Datagram(src=PUBLIC, dst=HUB, sport=500, dport=500,
                                         payload=encode_message(header, [offer, *vids])))
    scenario.run()
    lines = kmd(scenario, "Hub")
    assert lines[:17] == [*(f"ike_st_i_vid: VID[{i}] = 1b5b33316d0a{i:02x}" for i in range(16)),
                          "ike_st_i_vid: 185 more VID payloads not shown"]
    assert "NAT-T: not negotiated: the peer sent no RFC 3947 vendor ID" in lines
    assert not any("\x1b" in line for line in lines)


def test_aggressive_mode_moves_to_4500_at_message_3(tmp_path):
    text = (TOPOLOGIES / "nat-t.yaml").read_text()
    assert text.count("ike_pol mode main") == 2
    path = tmp_path / "nat-t-aggressive.yaml"
    path.write_text(text.replace("ike_pol mode main", "ike_pol mode aggressive"))
    scenario = Scenario.build(load_topology(path), out=tmp_path / "run")
    scenario.run()
    assert [(r.phase1, r.phase2) for r in scenario.results.in_order()] == [("done", "done")]
    ike = [row[:4] for row in wire(scenario) if row[4] > 1]
    # Aggressive Mode 1 and 2 on 500; 3 and Quick Mode on 4500 (the count of Quick Mode
    # messages depends on whether the hub drops the one that overtakes its pkid's verdict).
    assert ike[:2] == [(SPOKE, 500, HUB, 500), (HUB, 500, PUBLIC, 49152)]
    assert set(ike[2:]) == {(SPOKE, 4500, HUB, 4500), (HUB, 4500, PUBLIC, 49153)}
    assert "ike_st_i_nat_d: NAT-T: remote end is behind NAT (local 203.0.113.1:4500, remote " \
           "198.51.100.7:49153)" in kmd(scenario, "Hub")
    assert "NAT-T: IKE SA moves to port 4500: local 10.0.1.2:4500, remote 203.0.113.1:4500" \
        in kmd(scenario, "Spoke")
    # The IDs went in messages 1 and 2, on 500, before anyone knew of the NAT; message 3
    # signs them as they were.
    assert "Phase-1 [initiator] done for local=fqdn(udp:500,[0..16]=spoke.example.net) " \
           "remote=ipv4(udp:500,[0..3]=203.0.113.1)" in kmd(scenario, "Spoke")


def test_a_forged_datagram_from_the_peers_address_cannot_move_the_sa(tmp_path):
    """Garbage under the real cookies, from the hub's address but another port: the spoke
    drops it and keeps sending to the hub's 4500 (its keepalives show where it sends)."""
    scenario = Scenario.build(load_topology(TOPOLOGIES / "nat-t.yaml"), out=tmp_path)
    scenario.run(until=60)
    real = next(c.datagram.payload for c in scenario.world.network.capture
                if c.datagram.src == HUB and c.datagram.dport == 49153)
    # The marker, the real header (its length made right), and a body that is no message.
    forged = real[:4 + 24] + (28 + 64).to_bytes(4, "big") + bytes(64)
    scenario.world.network.send(Datagram(src=HUB, dst=SPOKE, sport=4444, dport=4500,
                                         payload=forged))
    scenario.run(until=120)
    assert any("Packet dropped" in line for line in kmd(scenario, "Spoke"))
    keepalives = [c.datagram for c in scenario.world.network.capture
                  if c.datagram.payload == b"\xff"]
    assert len(keepalives) == 5
    assert {(k.dst, k.dport) for k in keepalives} == {(HUB, 4500)}


def test_without_keepalives_the_nat_forgets_the_ike_mapping(tmp_path):
    """120 s after the last IKE message the router of nat-no-natt has forgotten Spoke's port
    500 mapping: what the hub sends on its IKE SA is then dropped. In nat-t the spoke's
    keepalives keep the 4500 mapping."""
    quiet = Scenario.build(load_topology(TOPOLOGIES / "nat-no-natt.yaml"), out=tmp_path / "a")
    quiet.run(until=140)
    talking = Scenario.build(load_topology(TOPOLOGIES / "nat-t.yaml"), out=tmp_path / "b")
    talking.run(until=140)
    to_spoke = Datagram(src=HUB, dst=PUBLIC, sport=500, dport=49152, payload=b"ike")
    assert [t(to_spoke) for t in quiet.world.network.translators] == [None]
    to_spoke_4500 = Datagram(src=HUB, dst=PUBLIC, sport=4500, dport=49153, payload=b"ike")
    assert [t(to_spoke_4500) for t in talking.world.network.translators] == [
        Datagram(src=HUB, dst=SPOKE, sport=4500, dport=4500, payload=b"ike")]


def test_the_pcap_holds_the_udp_ports_and_the_marker(natt):
    data = pcap_bytes(natt.world.network.capture, start=natt.topology.start)[24:]
    packets = []
    while data:
        length = int.from_bytes(data[8:12], "little")
        packets.append(data[16:16 + length])
        data = data[16 + length:]
    udp = [(int.from_bytes(p[20:22], "big"), int.from_bytes(p[22:24], "big"), p[28:32])
           for p in packets]
    # The ping's ESP in UDP 4500: an SPI where IKE has its marker (RFC 3948).
    esp = [u for u in udp if u[2] not in (MARKER, b"\xff") and 4500 in u[:2]]
    assert [u[:2] for u in esp] == [(4500, 4500), (4500, 49153)] * 4
    udp = [u for u in udp if u not in esp]
    assert udp[:4] == [(500, 500, udp[0][2]), (500, 49152, udp[0][2])] * 2  # the cookie
    assert udp[4:9] == [(4500, 4500, MARKER), (4500, 49153, MARKER)] * 2 + [
        (4500, 4500, MARKER)]
    assert udp[9:] == [(4500, 4500, b"\xff")] * 5


def test_no_nat_traversal_on_the_hub_alone_is_enough_to_stay_on_500(tmp_path):
    text = (TOPOLOGIES / "nat-t.yaml").read_text()
    line = "      set security ike gateway to_spoke local-identity inet 203.0.113.1\n"
    assert line in text
    path = tmp_path / "hub-no-natt.yaml"
    path.write_text(text.replace(line, line + "      set security ike gateway to_spoke "
                                              "no-nat-traversal\n"))
    scenario = Scenario.build(load_topology(path), out=tmp_path / "run")
    scenario.run()
    assert [(r.phase1, r.phase2) for r in scenario.results.in_order()] == [("done", "done")]
    assert {row[:4] for row in wire(scenario)} == {(SPOKE, 500, HUB, 500),
                                                   (HUB, 500, PUBLIC, 49152)}
    assert "NAT-T: not negotiated: the peer sent no RFC 3947 vendor ID" in kmd(scenario, "Spoke")


def test_a_ping_crosses_the_nat_as_esp_in_udp_4500(natt):
    """RFC 3948: with NAT-T the ESP packets travel between the floated IKE ports, so the NAT
    translates them like IKE, and every echo is answered."""
    scenario = natt
    (ping,) = [p.to_json() for p in scenario.traffic.pings]
    assert (ping["transmitted"], ping["received"]) == (4, 4)
    esp = [c.datagram for c in scenario.world.network.capture
           if c.datagram.dport == 4500 or c.datagram.sport == 4500]
    data = [d for d in esp if len(d.payload) > 4 and d.payload[:4] != MARKER]
    assert len(data) == 8  # 4 requests from the spoke, 4 replies from the hub
    assert {(d.src, d.sport, d.dst, d.dport) for d in data} == {
        (SPOKE, 4500, HUB, 4500), (HUB, 4500, PUBLIC, 49153)}


def test_without_nat_traversal_no_echo_crosses_the_nat(no_natt):
    scenario = no_natt
    (ping,) = [p.to_json() for p in scenario.traffic.pings]
    assert (ping["transmitted"], ping["received"]) == (4, 0)
    protocols = {c.datagram.protocol for c in scenario.world.network.capture
                 if c.datagram.src == SPOKE and c.time >= 30}
    assert protocols == {50}
