"""The client's side of the live peer's control socket (sim.live.control): finding the live
`ikesim peer` that writes a run folder, and asking it one command.

    peer = find_live(Path("b"))      # None: no live peer; read b/ as a finished run
    answer = peer.ask(ControlRequest(device="Host-B", op="run",
                                     line="show security ike security-associations"))

A run folder being written is a staging folder beside its target (sim.report.run_folder); a
live peer holds its lock and serves control.sock in it. A peer killed without saving
(SIGKILL, a crash) leaves a staging folder no process holds, with the socket file in it: that
is the stale socket, named in one line instead of a connection that could never answer.
Nothing here waits without a deadline or reads without a limit: the socket may be anyone's.
"""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

from sim.live.control import SOCKET, ControlAnswer, ControlRequest, open_folder, socket_path
from sim.report.run_folder import is_run_folder, staging_folders

TIMEOUT = 5.0  # seconds without a byte from the peer before giving up on it
ANSWER_LIMIT = 64 * 1024 * 1024  # bytes of one answer (a long run's `show log kmd`)


class LiveControlError(ValueError):
    """A live peer that cannot be asked (gone, stale, silent, or answering nonsense), named
    in one line; `ikesim show` and `ikesim cli` report it as bad input (exit status 2)."""


def _has_socket(folder: Path) -> bool:
    try:
        return stat.S_ISSOCK((folder / SOCKET).lstat().st_mode)
    except OSError:
        return False


class LivePeerClient:
    """The live peer writing the run folder `target`, reached in its staging `folder`."""

    def __init__(self, target: Path, folder: Path) -> None:
        self.target = target
        self.folder = folder

    def ask(self, request: ControlRequest, *, timeout: float | None = None) -> ControlAnswer:
        """The peer's answer, or a LiveControlError saying why there is none."""
        timeout = TIMEOUT if timeout is None else timeout
        try:
            data = request.encode()
        except ValueError as exc:
            raise LiveControlError(f"{self.target}: {exc}") from None
        try:
            fd = open_folder(self.folder)
        except OSError:  # FileRefused: the folder went (the peer stopped and saved its run)
            raise self._stopped() from None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(socket_path(fd))
            sock.sendall(data)
            reply = _read_all(sock, timeout)
        except (FileNotFoundError, ConnectionRefusedError):
            raise self._stopped() from None
        except TimeoutError:
            raise LiveControlError(
                f"{self.target}: the live ikesim peer did not answer within {timeout:g} s "
                "(stopped with Ctrl-Z, or overloaded); nothing shown") from None
        except OSError as exc:
            raise LiveControlError(f"{self.target}: the live ikesim peer: "
                                   f"{exc.strerror or exc}") from None
        finally:
            sock.close()
            os.close(fd)
        if reply is None:
            raise LiveControlError(f"{self.target}: the live ikesim peer answered more than "
                                   f"{ANSWER_LIMIT} bytes; nothing shown")
        try:
            return ControlAnswer.decode(reply)
        except ValueError as exc:
            raise LiveControlError(f"{self.target}: the live ikesim peer's answer is not "
                                   f"one: {exc}") from None

    def _stopped(self) -> LiveControlError:
        return LiveControlError(f"{self.target}: the live ikesim peer has stopped (its run is "
                                f"saved in {self.target} once it ends); ask again")


def _read_all(sock: socket.socket, timeout: float) -> bytes | None:
    """Everything until the peer closes; None past ANSWER_LIMIT. Each read waits at most
    `timeout` (a large answer may take longer as a whole, never stalled)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = sock.recv(min(1 << 20, ANSWER_LIMIT + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > ANSWER_LIMIT:
            return None


def find_live(target: Path) -> LivePeerClient | None:
    """The live peer writing `target`; None when there is none (then `target` is read as a
    finished run, if it is one). LiveControlError when `target` is no finished run and only
    a run in progress, or a killed peer's stale socket, is there."""
    folders = staging_folders(target)
    live = [folder for folder, held in folders if held and _has_socket(folder)]
    if len(live) > 1:
        raise LiveControlError(f"{target}: {len(live)} live ikesim peers write this run "
                               "folder; stop all but one")
    if live:
        return LivePeerClient(target, live[0])
    if is_run_folder(target):
        return None
    if any(held for _, held in folders):
        raise LiveControlError(f"{target}: a run is being written there and is not finished "
                               "(nor a live ikesim peer); ask again when it ends")
    stale = [folder for folder, _ in folders if _has_socket(folder)]
    if stale:
        raise LiveControlError(
            f"{target}: the ikesim peer that was writing this run is gone without saving it "
            f"(killed?): its socket {stale[0].name}/{SOCKET} is stale and nothing is left to "
            "show; start the peer again")
    return None

