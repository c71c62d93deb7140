"""`ikesim peer`: two live peers of figure4-multilevel on loopback negotiate over real UDP
sockets in real time, and each logs what the simulation of the same topology logs."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from sim.cli.main import main
from tests.sim.live.peers import (
    Peer,
    free_ports,
    simulated,
    staged_log,
    traced_figure4,
    untimed,
    untimed_text,
)
from tests.sim.tshark import needs_tshark


@pytest.fixture
def peers(tmp_path: Path):
    """Start peers; every one still running at the end is killed."""
    started: list[Peer] = []

    def start(*args, **kwargs) -> Peer:
        peer = Peer(tmp_path, *args, **kwargs)
        started.append(peer)
        return peer

    yield start
    for peer in started:
        peer.kill()


@pytest.fixture(scope="module")
def negotiated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Peer, Peer, str, Path]:
    """Host-B responding, Host-A initiating, both --once: (a, b, a's stdout, the folder)."""
    folder = tmp_path_factory.mktemp("live")
    topology = traced_figure4(folder)
    port_a, port_b = free_ports(2)
    b = Peer(folder, topology, "Host-B", port=port_b, gateway_port=port_a, out="b")
    a = None
    try:
        b.listening()
        a = Peer(folder, topology, "Host-A", port=port_a, gateway_port=port_b, out="a",
                 initiate=True)
        code_a, out_a, err_a = a.wait()
        code_b, _, err_b = b.wait()
    finally:
        for peer in (a, b):
            if peer is not None:
                peer.kill()
    assert (code_a, code_b) == (0, 0), (err_a, err_b)
    simulated(topology, folder / "sim")
    return a, b, out_a, folder


def test_main_mode_and_quick_mode_between_two_live_peers_log_as_the_simulation(
        negotiated) -> None:
    a, b, out_a, folder = negotiated
    for run, device in ((a.run, "Host-A"), (b.run, "Host-B")):
        live_kmd = untimed(run / "logs" / device / "kmd")
        # Cookies and SPIs too: the live kmd draws from the simulation's seeded streams.
        assert live_kmd == untimed(folder / "sim" / "logs" / device / "kmd")
        assert f"Phase-2 [{'initiator' if device == 'Host-A' else 'responder'}] done" \
            in live_kmd
    assert "Phase-1 [initiator] done for local=ipv4(udp:500,[0..3]=30.1.1.31) " \
           "remote=ipv4(udp:500,[0..3]=30.1.1.51)" in untimed(a.run / "logs/Host-A/kmd")
    results = json.loads((b.run / "results.json").read_text())
    (record,) = results["negotiations"]
    assert (record["initiator"], record["responder"], record["gateway"], record["phase1"],
            record["phase2"]) == ("30.1.1.31", "Host-B", "ike_cert_gw_01", "done", "done")
    assert "Capture:  a/logs/Host-A/socket.pcap" in out_a


def test_the_responders_results_hold_both_sides_messages_as_the_simulation(negotiated) -> None:
    _, b, _, folder = negotiated

    def ladder(run: Path) -> list[tuple]:
        (record,) = json.loads((run / "results.json").read_text())["negotiations"]
        return [({"Host-A": "30.1.1.31"}.get(m["sender"], m["sender"]), m["receiver"],
                 m["exchange"], m["number"], m["encrypted"], m["size"])
                for m in record["messages"]]

    live = ladder(b.run)
    # Main Mode 1-6 and Quick Mode 1-3, the peer's (heard on the socket) and Host-B's own.
    assert [(sender, number) for sender, _, _, number, _, _ in live] == [
        ("30.1.1.31" if n % 2 else "Host-B", n) for n in range(1, 10)]
    assert live == ladder(folder / "sim")


@needs_tshark
def test_the_socket_capture_decrypts_with_its_key_file(negotiated, tmp_path: Path) -> None:
    a, _, _, _ = negotiated
    logs = a.run / "logs" / "Host-A"
    assert stat.S_IMODE((logs / "socket.pcap.keys").stat().st_mode) == 0o600
    config = tmp_path / ".config" / "wireshark"
    config.mkdir(parents=True)
    shutil.copy(logs / "socket.pcap.keys", config / "ikev1_decryption_table")
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / ".config")}
    dissected = subprocess.run(["tshark", "-r", str(logs / "socket.pcap"), "-V"],
                               capture_output=True, text=True, env=env, check=True,
                               timeout=60).stdout
    # Main Mode 5 and 6 carry the identities, readable only once decrypted with the key.
    assert "ID type: IPV4_ADDR (1)" in dissected
    assert "Payload: Certificate (6)" in dissected


def test_a_revoked_peer_certificate_fails_live_with_the_simulation_lines(
        tmp_path: Path, peers) -> None:
    topology = traced_figure4(tmp_path, revoke_at_start=True)
    port_a, port_b = free_ports(2)
    b = peers(topology, "Host-B", port=port_b, gateway_port=port_a, out="b", once=False)
    b.listening()
    a = peers(topology, "Host-A", port=port_a, gateway_port=port_b, out="a", initiate=True)
    code_a, _, err_a = a.wait()
    assert code_a == 1, err_a
    sim = simulated(topology, tmp_path / "sim")
    expected_b = untimed(sim / "logs" / "Host-B" / "kmd")
    # The responder logs the initiator's DELETE a moment after the initiator exits.
    staged_log(b, "Host-B", lambda text: untimed_text(text) == expected_b)
    b.interrupt()  # Ctrl-C: a responder's normal end
    code_b, _, err_b = b.wait()
    assert code_b == 0, err_b
    live_a = untimed(a.run / "logs" / "Host-A" / "kmd")
    assert live_a == untimed(sim / "logs" / "Host-A" / "kmd")
    assert "Phase-1 [initiator] failed with error(Authentication failed)" in live_a
    assert untimed(b.run / "logs" / "Host-B" / "kmd") == expected_b
    assert "peer sent notification Authentication failed (24)" in expected_b


def test_an_unknown_ca_fails_the_live_responder_with_the_simulation_lines(
        tmp_path: Path, peers) -> None:
    topology = traced_figure4(tmp_path, b_without_root=True)
    port_a, port_b = free_ports(2)
    b = peers(topology, "Host-B", port=port_b, gateway_port=port_a, out="b")
    b.listening()
    a = peers(topology, "Host-A", port=port_a, gateway_port=port_b, out="a", initiate=True)
    (code_a, _, err_a), (code_b, _, err_b) = a.wait(), b.wait()
    assert (code_a, code_b) == (1, 1), (err_a, err_b)
    sim = simulated(topology, tmp_path / "sim")
    for run, device in ((a.run, "Host-A"), (b.run, "Host-B")):
        assert untimed(run / "logs" / device / "kmd") == untimed(sim / "logs" / device / "kmd")
    assert "Phase-1 [responder] failed with error(Authentication failed) for " \
           "local=ipv4(udp:500,[0..3]=30.1.1.51) remote=ipv4(udp:500,[0..3]=30.1.1.31)" \
        in untimed(b.run / "logs" / "Host-B" / "kmd").splitlines()
    (record,) = json.loads((b.run / "results.json").read_text())["negotiations"]
    assert (record["phase1"], record["error"]) == ("failed", "Authentication failed")


def test_garbage_and_strangers_are_logged_and_dropped_and_the_run_loads_in_show(
        tmp_path: Path, peers, capsys: pytest.CaptureFixture[str]) -> None:
    topology = traced_figure4(tmp_path)
    port_b, port_a, port_x = free_ports(3)
    b = peers(topology, "Host-B", port=port_b, gateway_port=port_a, out="b", once=False)
    b.listening()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as gateway:
        stranger.bind(("127.0.0.1", port_x))
        gateway.bind(("127.0.0.1", port_a))  # where Host-B believes Host-A is
        stranger.sendto(b"\x00garbage\x1b[2J", ("127.0.0.1", port_b))
        gateway.sendto(b"\xffnot isakmp", ("127.0.0.1", port_b))
        staged_log(b, "Host-B", lambda text: "Dropping malformed datagram" in text)
    b.interrupt()
    code, out, err = b.wait()
    assert code == 0, err
    kmd = untimed(b.run / "logs" / "Host-B" / "kmd").splitlines()
    assert "Unable to find phase-1 policy as remote peer:127.0.0.1 is not recognized." in kmd
    # From the gateway's endpoint: kmd's own check, in the gateway's topology address.
    assert any(line.startswith("Dropping malformed datagram from 30.1.1.31: ")
               for line in kmd), kmd
    assert not any("garbage" in line or "\x1b" in line for line in kmd)
    assert json.loads((b.run / "results.json").read_text())["negotiations"] == []
    assert main(["show", str(b.run), "Host-B", "show security ike security-associations"]) == 0
    assert main(["show", str(b.run), "Host-B", "show security pki ca-certificate"]) == 0
    assert "Sales-CA" in capsys.readouterr().out

