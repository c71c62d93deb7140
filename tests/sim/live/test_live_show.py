"""`ikesim show` and `ikesim cli` on a running `ikesim peer`: two live peers of
figure4-multilevel negotiate on loopback, and the commands answer from what Host-B holds now
(through the control socket in its run folder); after the peers stop, the same commands read
the finished folder; a killed or frozen peer's folder gets one line, never a hang."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cli import ops_live
from sim.cli.main import main
from sim.live import control_client
from sim.live.control import REQUEST_LIMIT, SOCKET
from tests.sim.live.peers import (
    DEADLINE,
    Peer,
    free_ports,
    simulated,
    staged_log,
    traced_figure4,
    untimed,
)

SYSTEM_PYTHON = "/usr/bin/python3"  # one that another user may run (the venv's may be private)
SHOW_IKE = "show security ike security-associations"
SHOW_IPSEC = "show security ipsec security-associations"
# Host-B's SA as the simulation of the same topology lists it (cookies from the same seed).
IKE_LINES = ["  Index   State  Initiator cookie  Responder cookie  Mode           Remote Address",
             "  2886713 UP     d8f361c0421a6ad0  1b40571fb34b727d  Main           30.1.1.31"]
IPSEC_HEADER = "  ID      Algorithm      SPI      Life:sec/kb Mon vsys Port Gateway"
IPSEC_LINE = re.compile(r"  <131073 ESP:3des/sha1  190cfa21 (\d+)/ unlim  -   root 500  "
                        r"30\.1\.1\.31")


class Pair:
    """Host-B responding and Host-A initiating, both running until stopped."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.topology = traced_figure4(folder)
        port_a, port_b = free_ports(2)
        self.b = Peer(folder, self.topology, "Host-B", port=port_b, gateway_port=port_a,
                      out="b", once=False)
        self.a: Peer | None = None
        self.b.listening()
        self.a = Peer(folder, self.topology, "Host-A", port=port_a, gateway_port=port_b,
                      out="a", initiate=True, once=False)
        self.a.listening()
        staged_log(self.b, "Host-B", lambda text: "Phase-2 [responder] done" in text)

    def stop(self) -> None:
        for peer in (self.a, self.b):
            if peer is not None and peer.process.poll() is None:
                peer.interrupt()
        for peer in (self.a, self.b):
            if peer is not None:
                code, _, err = peer.wait()
                assert code == 0, err

    def kill(self) -> None:
        for peer in (self.a, self.b):
            if peer is not None:
                peer.kill()


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory):
    """One negotiated pair for the module. Its tests run in file order: the read-only ones
    first, then the clear, then the stop (the fixture's peers are killed at the end anyway)."""
    live = Pair(tmp_path_factory.mktemp("liveshow"))
    try:
        yield live
    finally:
        live.kill()


def show(capsys: pytest.CaptureFixture[str], run: Path, *words: str,
         device: str = "Host-B") -> tuple[int, str, str]:
    code = main(["show", str(run), device, *words])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cli(run: Path, text: str, device: str = "Host-B") -> tuple[int, str, str]:
    """A piped `ikesim cli` session in its own process (the way a user runs one)."""
    done = subprocess.run([sys.executable, "-m", "sim", "cli", str(run), device], input=text,
                          capture_output=True, text=True, timeout=DEADLINE,
                          cwd=Path(__file__).resolve().parents[3])
    return done.returncode, done.stdout, done.stderr


def test_show_answers_with_the_sas_the_live_peer_holds_now(pair: Pair, capsys) -> None:
    assert not pair.b.run.exists()  # nothing is saved yet: the answer is the peer's
    code, out, err = show(capsys, pair.b.run, SHOW_IKE)
    assert (code, err) == (0, "")
    assert out.splitlines() == IKE_LINES
    code, out, _ = show(capsys, pair.b.run, SHOW_IPSEC)
    (line,) = [text for text in out.splitlines() if text.startswith("  <")]
    remaining = int(IPSEC_LINE.fullmatch(line)[1])
    # Counted to this moment on the device's clock: the IPsec SA lives 300 s from Phase-2.
    assert 0 < remaining <= 300
    code, out, _ = show(capsys, pair.b.run, "show", "log", "kmd", "|", "match", "Phase-2")
    assert code == 0 and re.fullmatch(
        r"\w{3} [ \d]\d \d\d:\d\d:\d\d Phase-2 \[responder\] done for .*\n", out)


def test_show_on_the_live_peer_answers_as_on_the_simulated_run(pair: Pair, capsys) -> None:
    sim = simulated(pair.topology, pair.folder / "sim")
    for command in (SHOW_IKE, "show security pki ca-certificate", "show security pki crl",
                    "show security pki local-certificate"):
        live, simulation = show(capsys, pair.b.run, command), show(capsys, sim, command)
        assert live == simulation and live[0] == 0 and live[1].count("\n") > 1, command


def test_a_piped_cli_session_on_the_live_peer(pair: Pair) -> None:
    code, out, err = cli(pair.b.run, f"{SHOW_IKE}\nshow security ike ?\nshow security bogus\n"
                                     "request security pki crl load ca-profile Root-CA "
                                     "filename x.crl\n")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"user@Host-B> {SHOW_IKE}", *IKE_LINES,
        "user@Host-B> show security ike ?",
        "Possible completions:",
        "  security-associations Show Internet Key Exchange security associations",
        "user@Host-B> show security bogus",
        "                           ^",
        "syntax error, expecting <command>.",
        "user@Host-B> request security pki crl load ca-profile Root-CA filename x.crl",
        "error: a live ikesim peer takes show commands, and clear security ike|ipsec "
        "security-associations; stop the peer, then run this with ikesim cli on its run folder",
        "user@Host-B> "]
    assert not (pair.folder / "x.crl").exists()


def test_the_control_socket_is_the_owners_alone(pair: Pair) -> None:
    (folder,) = pair.folder.glob(".b.partial-*")
    mode = (folder / SOCKET).lstat().st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600


@pytest.mark.skipif(os.getuid() != 0 or not Path(SYSTEM_PYTHON).is_file(),
                    reason="connecting as another user needs root and a python it may run")
def test_another_user_gets_no_answer_even_if_the_mode_is_loosened(pair: Pair) -> None:
    (folder,) = pair.folder.glob(".b.partial-*")
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    os.chmod(folder / SOCKET, 0o666)
    try:
        # As nobody, reaching the folder through the descriptor it inherits.
        done = subprocess.run([SYSTEM_PYTHON, "-c", (
            "import socket, sys\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            f"s.connect('/proc/self/fd/{fd}/{SOCKET}')\n"
            "s.sendall(b'{\"device\": \"Host-B\", \"op\": \"complete\", \"line\": \"\"}\\n')\n"
            "s.settimeout(30)\n"
            "try:\n"
            "    print(repr(s.recv(65536)))\n"
            "except ConnectionResetError:\n"
            "    print('reset')\n")], pass_fds=(fd,), user=65534,
            capture_output=True, text=True, timeout=DEADLINE)
    finally:
        os.chmod(folder / SOCKET, 0o600)
        os.close(fd)
    # Closed unanswered (the request unread: the connection is reset).
    assert (done.returncode, done.stdout, done.stderr) == (0, "reset\n", "")


def _raw(pair: Pair, data: bytes, *, close_write: bool = True) -> bytes:
    """What the live peer answers to `data` sent on its control socket."""
    (folder,) = pair.folder.glob(".b.partial-*")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(DEADLINE)
        sock.connect(str(folder / SOCKET))
        sock.sendall(data)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_hostile_requests_get_one_refusal_and_the_peer_goes_on(pair: Pair, capsys) -> None:
    oversize = _raw(pair, b"x" * (REQUEST_LIMIT + 100), close_write=False)
    assert json.loads(oversize) == {
        "refused": f"a request is one line of at most {REQUEST_LIMIT - 1} bytes"}
    assert json.loads(_raw(pair, b"{not json\n")) == {
        "refused": "malformed request: not a JSON request"}
    assert json.loads(_raw(pair, b'{"device": "Host-B", "op": "rm", "line": ""}\n')) == {
        "refused": "malformed request: op 'rm': one of run, complete"}
    # A client that connects and says nothing is let go, unanswered.
    assert _raw(pair, b"", close_write=False) == b""
    # A device name is compared, never a path; its control characters are shown escaped.
    code, out, err = show(capsys, pair.b.run, SHOW_IKE, device="../\x1b[2J")
    assert (code, out) == (2, "")
    assert err == (f"ikesim: {pair.b.run}: no device '../\\x1b[2J' in this live run (the "
                   "ikesim peer is Host-B)\n")
    code, out, err = show(capsys, pair.b.run, "show security \x1b[2J")
    assert code == 2 and "\x1b" not in err and len(err.splitlines()) == 1
    assert show(capsys, pair.b.run, SHOW_IKE)[:2] == (0, "\n".join(IKE_LINES) + "\n")


def test_a_burst_of_requests_is_limited_and_answered_busy(pair: Pair) -> None:
    (folder,) = pair.folder.glob(".b.partial-*")
    request = b'{"device": "Host-B", "op": "complete", "line": ""}\n'
    answers = []
    for _ in range(12):  # eight at once (the most the peer holds open), twelve times
        socks = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(8)]
        for sock in socks:
            sock.settimeout(DEADLINE)
            sock.connect(str(folder / SOCKET))
            sock.sendall(request)
        for sock in socks:
            with sock:
                answers.append(json.loads(b"".join(iter(lambda s=sock: s.recv(65536), b""))))
    busy = [a for a in answers if "refused" in a]
    assert busy and all(a == {"refused": "busy: more than 20 requests a second; try again"}
                        for a in busy)
    assert len(answers) - len(busy) >= 40  # the burst the peer takes at once
    time.sleep(1)  # the bucket refills at 20 a second (a wait, not a timing assertion)
    assert "output" in json.loads(_raw(pair, request))


def test_clear_on_the_live_peer_sends_the_delete_to_the_real_peer(pair: Pair, capsys) -> None:
    code, out, err = cli(pair.b.run, "clear security ipsec security-associations index 9\n"
                                     "clear security ipsec security-associations index 131073\n"
                                     "clear security ike security-associations\n"
                                     f"{SHOW_IKE}\n{SHOW_IPSEC}\n")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "user@Host-B> clear security ipsec security-associations index 9",
        "error: IPsec SA index 9 does not exist",
        "user@Host-B> clear security ipsec security-associations index 131073",
        "user@Host-B> clear security ike security-associations",
        f"user@Host-B> {SHOW_IKE}", f"user@Host-B> {SHOW_IPSEC}", "Total active tunnels: 0",
        IPSEC_HEADER, "user@Host-B> "]
    assert pair.a is not None
    # Host-A, the other process, hears both DELETEs and logs the peer's deletions.
    staged_log(pair.a, "Host-A", lambda text: "IKE SA with 30.1.1.51 deleted (deleted by the "
                                              "peer): d8f361c0421a6ad0 1b40571fb34b727d" in text)
    code, out, _ = show(capsys, pair.b.run, "show log kmd | last 4")
    assert [line[16:] for line in out.splitlines()] == [
        "30.1.1.51:500 (Responder) <-> 30.1.1.31:500 { d8f361c0 421a6ad0 - 1b40571f b34b727d "
        "[- 1] / 0x06248f49 } Info; Delete payload sent: ESP SPI 0x190cfa21",
        "IPSec SA deleted for vpn ipsec_cert_vpn_01 (cleared): inbound SPI 0x190cfa21, "
        "outbound SPI 0xb5266e6f",
        "30.1.1.51:500 (Responder) <-> 30.1.1.31:500 { d8f361c0 421a6ad0 - 1b40571f b34b727d "
        "[- 1] / 0x02221a39 } Info; Delete payload sent: ISAKMP SA",
        "IKE SA with 30.1.1.31 deleted (cleared): d8f361c0421a6ad0 1b40571fb34b727d"]
    (a_kmd,) = pair.folder.glob(".a.partial-*/logs/Host-A/kmd")
    assert untimed(a_kmd).splitlines()[-4:] == [
        "30.1.1.31:500 (Initiator) <-> 30.1.1.51:500 { d8f361c0 421a6ad0 - 1b40571f b34b727d "
        "[- 1] / 0x06248f49 } Info; Delete payload received: ESP SPI 0x190cfa21",
        "IPSec SA deleted for vpn ipsec_cert_vpn_01 (deleted by the peer): inbound SPI "
        "0xb5266e6f, outbound SPI 0x190cfa21",
        "30.1.1.31:500 (Initiator) <-> 30.1.1.51:500 { d8f361c0 421a6ad0 - 1b40571f b34b727d "
        "[- 1] / 0x02221a39 } Info; Delete payload received: ISAKMP SA",
        "IKE SA with 30.1.1.51 deleted (deleted by the peer): d8f361c0421a6ad0 1b40571fb34b727d"]


def test_after_stop_the_same_commands_read_the_finished_run(pair: Pair, capsys) -> None:
    pair.stop()
    assert not list(pair.folder.glob(".b.partial-*"))
    assert not (pair.b.run / SOCKET).exists()  # the socket leaves with the peer
    code, out, err = cli(pair.b.run, f"{SHOW_IKE}\n{SHOW_IPSEC}\nshow log kmd | last 1\n")
    assert (code, err) == (0, "")
    assert out.splitlines()[:5] == [f"user@Host-B> {SHOW_IKE}", f"user@Host-B> {SHOW_IPSEC}",
                                    "Total active tunnels: 0", IPSEC_HEADER,
                                    "user@Host-B> show log kmd | last 1"]
    assert out.splitlines()[5].endswith(
        "IKE SA with 30.1.1.31 deleted (cleared): d8f361c0421a6ad0 1b40571fb34b727d")


# -- a peer that is gone or frozen ------------------------------------------------------------

@pytest.fixture
def lone(tmp_path: Path):
    """Host-B alone, listening (nothing to negotiate with): killed at the end."""
    topology = traced_figure4(tmp_path)
    port_b, port_a = free_ports(2)
    peer = Peer(tmp_path, topology, "Host-B", port=port_b, gateway_port=port_a, out="b",
                once=False)
    try:
        peer.listening()
        yield peer
    finally:
        if peer.process.poll() is None:
            peer.process.send_signal(signal.SIGCONT)
        peer.kill()


def test_a_killed_peers_folder_gets_one_line(lone: Peer, capsys) -> None:
    lone.process.kill()  # SIGKILL: no chance to save, the socket file stays behind
    lone.process.wait(timeout=DEADLINE)
    (folder,) = lone.run.parent.glob(".b.partial-*")
    assert (folder / SOCKET).exists()
    expected = (f"ikesim: {lone.run}: the ikesim peer that was writing this run is gone "
                f"without saving it (killed?): its socket {folder.name}/{SOCKET} is stale and "
                "nothing is left to show; start the peer again\n")
    assert show(capsys, lone.run, SHOW_IKE) == (2, "", expected)
    assert cli(lone.run, f"{SHOW_IKE}\n") == (2, "", expected)


def test_a_frozen_peer_times_out_in_one_line(lone: Peer, capsys, monkeypatch) -> None:
    monkeypatch.setattr(control_client, "TIMEOUT", 0.5)
    lone.process.send_signal(signal.SIGSTOP)  # Ctrl-Z: alive, holding its folder, silent
    code, out, err = show(capsys, lone.run, SHOW_IKE)
    assert (code, out) == (2, "")
    assert err == (f"ikesim: {lone.run}: the live ikesim peer did not answer within 0.5 s "
                   "(stopped with Ctrl-Z, or overloaded); nothing shown\n")


def test_a_live_session_goes_on_when_a_command_gets_no_answer(lone: Peer, monkeypatch) -> None:
    monkeypatch.setattr(control_client, "TIMEOUT", 0.5)
    peer = ops_live.live_peer(lone.run)
    assert peer is not None
    out = io.StringIO()
    session = ops_live.LiveSession(peer, "Host-B", stdin=io.StringIO(
        f"{SHOW_IKE}\nshow security ike ?\n"), stdout=out)
    lone.process.send_signal(signal.SIGSTOP)
    assert session.run() == 0
    refusal = (f"error: {lone.run}: the live ikesim peer did not answer within 0.5 s "
               "(stopped with Ctrl-Z, or overloaded); nothing shown")
    assert out.getvalue().splitlines() == [f"user@Host-B> {SHOW_IKE}", refusal,
                                           "user@Host-B> show security ike ?", refusal,
                                           "user@Host-B> "]


def test_a_killed_peer_beside_a_finished_run_leaves_that_run_readable(tmp_path: Path,
                                                                     capsys) -> None:
    """A staging folder is never a run: beside a finished run, a killed peer's stale socket
    changes nothing of what `show` reads (the next run into the folder clears it)."""
    run = simulated(traced_figure4(tmp_path), tmp_path / "b")
    stale = tmp_path / ".b.partial-0123456789abcdef"
    stale.mkdir()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(stale / SOCKET))  # left behind when the socket closes
    assert show(capsys, run, SHOW_IKE) == (0, "\n".join(IKE_LINES) + "\n", "")
