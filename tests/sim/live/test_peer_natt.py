"""NAT-T between two live peers on loopback, no strongSwan needed: nat-t.yaml's Spoke (behind
the NAT, 10.0.1.2) and Hub (which knows it as the NAT's 198.51.100.7). The transport hands kmd
the topology's addresses, so the NAT-D payloads show the NAT as in the simulation: IKE floats
to the NAT-T sockets, Quick Mode follows, and Spoke sends keepalives."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.sim.live.peers import Peer, free_ports, staged_log, udp_datagrams, untimed
from tests.sim.tshark import dissect, needs_tshark

NAT_T = Path(__file__).resolve().parents[3] / "topologies" / "nat-t.yaml"
KEEPALIVES = 2.5  # seconds Spoke runs on after Phase 1, its nat-keepalive 1 s


@pytest.fixture(scope="module")
def floated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hub responding (--once), Spoke initiating and running on until it sent keepalives."""
    folder = tmp_path_factory.mktemp("natt")
    topology = folder / "nat-t.yaml"
    text = NAT_T.read_text()
    assert text.count("to_hub nat-keepalive 20") == 1
    topology.write_text(text.replace("to_hub nat-keepalive 20", "to_hub nat-keepalive 1"))
    hub_port, hub_natt, spoke_port, spoke_natt = free_ports(4)
    hub = Peer(folder, topology, "Hub", port=hub_port, natt_port=hub_natt, gateway="to_spoke",
               gateway_port=spoke_port, gateway_natt_port=spoke_natt, out="hub")
    spoke = None
    try:
        hub.listening()
        spoke = Peer(folder, topology, "Spoke", port=spoke_port, natt_port=spoke_natt,
                     gateway="to_hub", gateway_port=hub_port, gateway_natt_port=hub_natt,
                     out="spoke", initiate=True, once=False)
        staged_log(spoke, "Spoke", lambda kmd: "sending NAT keepalives" in kmd)
        time.sleep(KEEPALIVES)
        spoke.interrupt(signal.SIGTERM)
        results = spoke.wait(), hub.wait()
    finally:
        for peer in (spoke, hub):
            if peer is not None:
                peer.kill()
    assert [code for code, _, _ in results] == [0, 0], results
    return folder


def test_both_find_the_nat_and_negotiate_over_the_nat_t_sockets(floated: Path) -> None:
    spoke = untimed(floated / "spoke" / "logs" / "Spoke" / "kmd").splitlines()
    hub = untimed(floated / "hub" / "logs" / "Hub" / "kmd").splitlines()
    for line in ("ike_st_i_nat_d: NAT-T: local end is behind NAT (local 10.0.1.2:500, remote "
                 "203.0.113.1:500)",
                 "NAT-T: IKE SA moves to port 4500: local 10.0.1.2:4500, remote "
                 "203.0.113.1:4500",
                 "NAT-T: sending NAT keepalives to 203.0.113.1:4500 every 1 seconds"):
        assert line in spoke, "\n".join(spoke)
    assert ("ike_st_i_nat_d: NAT-T: remote end is behind NAT (local 203.0.113.1:500, remote "
            "198.51.100.7:500)") in hub, "\n".join(hub)
    for log, role in ((spoke, "initiator"), (hub, "responder")):
        done = [line for line in log if line.startswith(f"Phase-1 [{role}] done for local=")]
        assert len(done) == 1 and "(udp:4500," in done[0], "\n".join(log)
        assert any(line.startswith(f"Phase-2 [{role}] done") for line in log), "\n".join(log)

def test_the_captures_show_ike_on_4500_behind_the_marker_and_keepalives(floated: Path) -> None:
    spoke = udp_datagrams(floated / "spoke" / "logs" / "Spoke" / "socket.pcap")
    keepalives = [d for d in spoke if d == ("10.0.1.2", 4500, "203.0.113.1", 4500, b"\xff")]
    assert len(keepalives) >= 2, spoke
    hub = udp_datagrams(floated / "hub" / "logs" / "Hub" / "socket.pcap")
    ports = [(sport, dport) for _, sport, _, dport, _ in hub]
    assert ports[:4] == [(500, 500)] * 4  # Main Mode 1-4
    assert set(ports[4:]) == {(4500, 4500)}, ports  # 5, 6, Quick Mode: all floated
    assert all(payload.startswith(bytes(4)) for *_, payload in hub[4:])


@needs_tshark
def test_the_hubs_capture_decrypts_over_nat_t(floated: Path, tmp_path: Path) -> None:
    logs = floated / "hub" / "logs" / "Hub"
    keys = [line.split(",") for line in (logs / "socket.pcap.keys").read_text().split()]
    dissected = dissect(logs / "socket.pcap", [(bytes.fromhex(c), bytes.fromhex(k))
                                                for c, k in keys], tmp_path)
    # message 5 on 4500, behind the marker, decrypted: Spoke's identity and its certificate
    floated_5 = dissected[dissected.index("Src Port: 4500, Dst Port: 4500"):]
    assert floated_5.index("Non-ESP Marker") < floated_5.index("ID_FQDN: spoke.example.net")
    assert "Certificate Encoding: X.509 Certificate - Signature (4)" in floated_5
