"""`ikesim show` / `ikesim cli` on a run folder that is still being written, or claims a live
peer: a killed peer's stale socket, a run in progress, a socket nobody serves, and a "peer"
that answers nonsense or too much are each one line and exit status 2, never a hang or a
traceback. The folders are made here as a peer leaves them (a staging folder beside the
target, its lock, a real UNIX socket in it); the hostile peer is a socket this test serves."""

from __future__ import annotations

import fcntl
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.live import control_client
from sim.live.control import SOCKET, socket_path
from tests.badinput.conftest import assert_refused, files_under

SHOW = ("show", "b", "Host-B", "show security ike security-associations")
STAGING = ".b.partial-0123456789abcdef"


def _staging(root: Path, name: str = STAGING) -> Path:
    folder = root / name
    folder.mkdir()
    return folder


def _socket_file(folder: Path) -> None:
    """A socket file nothing listens on any more (what a killed peer leaves)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.bind(socket_path(fd))
    finally:
        os.close(fd)


@pytest.fixture
def hold() -> Iterator:
    """Hold a staging folder's lock, as a running peer does."""
    held: list[int] = []

    def lock(folder: Path) -> None:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.append(fd)

    yield lock
    for fd in held:
        os.close(fd)


@pytest.fixture
def fake_peer() -> Iterator:
    """Serve a staging folder's control.sock with canned bytes for each connection."""
    threads: list[tuple[threading.Thread, socket.socket]] = []

    def serve(folder: Path, answer: bytes) -> None:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(socket_path(fd))
        os.close(fd)
        listener.listen(4)
        listener.settimeout(10)

        def run() -> None:
            try:
                while True:
                    conn, _ = listener.accept()
                    with conn:
                        conn.settimeout(10)
                        conn.recv(65536)
                        conn.sendall(answer)
            except OSError:
                return

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append((thread, listener))

    yield serve
    for thread, listener in threads:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(timeout=10)


def test_a_killed_peers_stale_socket_is_one_line(ikesim, tmp_path: Path) -> None:
    _socket_file(_staging(tmp_path))
    before = files_under(tmp_path)
    for argv in (SHOW, ("cli", "b", "Host-B")):
        assert_refused(ikesim(*argv), "b: the ikesim peer that was writing this run is gone "
                                      f"without saving it (killed?): its socket {STAGING}/"
                                      f"{SOCKET} is stale")
    assert files_under(tmp_path) == before


def test_a_run_in_progress_without_a_peer_is_one_line(ikesim, tmp_path: Path, hold) -> None:
    hold(_staging(tmp_path))
    assert_refused(ikesim(*SHOW), "b: a run is being written there and is not finished")


def test_a_socket_planted_as_a_symlink_is_no_live_peer(ikesim, tmp_path: Path,
                                                       hold) -> None:
    elsewhere = _staging(tmp_path, "elsewhere")
    _socket_file(elsewhere)
    folder = _staging(tmp_path)
    (folder / SOCKET).symlink_to(elsewhere / SOCKET)
    hold(folder)
    assert_refused(ikesim(*SHOW), "b: a run is being written there and is not finished")


def test_a_held_folder_whose_socket_nobody_serves_is_one_line(ikesim, tmp_path: Path,
                                                              hold) -> None:
    folder = _staging(tmp_path)
    _socket_file(folder)
    hold(folder)
    assert_refused(ikesim(*SHOW), "b: the live ikesim peer has stopped")


def test_two_live_peers_on_one_folder_are_one_line(ikesim, tmp_path: Path, hold) -> None:
    for name in (STAGING, ".b.partial-fedcba9876543210"):
        folder = _staging(tmp_path, name)
        _socket_file(folder)
        hold(folder)
    assert_refused(ikesim(*SHOW), "b: 2 live ikesim peers write this run folder")


@pytest.mark.parametrize(("answer", "fragment"), [
    (b"\x1b[2J not json", "the live ikesim peer's answer is not one: not a JSON answer"),
    (b'{"output": 1, "error": false}', "answer is not one: an answer's output is a string"),
    (b'{"output": "", "error": false, "rm": 1}', "answer is not one: not an answer of this"),
    (b"[" * 100000 + b"]" * 100000, "answer is not one: not a JSON answer"),
    (b'{"refused": "\\u001b[2J busy"}', "b: ^[[2J busy"),
    (b"", "answer is not one: not a JSON answer"),
])
def test_a_peer_answering_nonsense_is_one_escaped_line(ikesim, tmp_path: Path, hold, fake_peer,
                                                       answer: bytes, fragment: str) -> None:
    folder = _staging(tmp_path)
    fake_peer(folder, answer)
    hold(folder)
    line = assert_refused(ikesim(*SHOW), fragment)
    assert "\x1b" not in line


def test_a_peer_answering_too_much_is_cut_off(ikesim, tmp_path: Path, hold, fake_peer,
                                              monkeypatch) -> None:
    monkeypatch.setattr(control_client, "ANSWER_LIMIT", 1000)
    folder = _staging(tmp_path)
    fake_peer(folder, b'{"output": "' + b"x" * 5000 + b'", "error": false}')
    hold(folder)
    assert_refused(ikesim(*SHOW), "b: the live ikesim peer answered more than 1000 bytes")


def test_a_peers_output_reaches_the_terminal_escaped(ikesim, tmp_path: Path, hold,
                                                     fake_peer) -> None:
    folder = _staging(tmp_path)
    fake_peer(folder, b'{"output": "a\\u001b[2Jb\\u202ec\\udc80", "error": false}')
    hold(folder)
    outcome = ikesim(*SHOW)
    assert (outcome.code, outcome.out, outcome.err) == (0, "a^[[2JbM-bM-^@M-.cM-mM-2M-^@\n", "")
