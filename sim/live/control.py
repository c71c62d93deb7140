"""The live peer's control socket: how `ikesim show` and `ikesim cli` reach a running
`ikesim peer`.

The peer serves a UNIX stream socket, `control.sock`, in its run folder (the staging folder
the run is written in until it stops; sim.report.run_folder), mode 0600 and answering only
processes of its own user. It is polled from a SimPy process of the peer (sim.live.driver),
so every answer is computed from the device's own state between two SimPy steps, never from
another thread while the world runs. One request a connection:

    client -> peer   one line of JSON, at most REQUEST_LIMIT bytes:
                     {"device": "Host-B", "op": "run" | "complete", "line": "show ..."}
    peer -> client   one JSON object, then the peer closes:
                     {"output": "...", "error": false}   the command's answer
                     {"syntax": "..."}                    the CLI's syntax error for the line
                     {"refused": "..."}                   the request itself was refused

The socket is hostile ground both ways: the peer limits each request's size, the time it may
take to arrive, the connections open at once and the requests a second; the client
(sim.live.control_client) limits the answer's size and the time it waits.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pki.files import FileRefused, shown

SOCKET = "control.sock"
REQUEST_LIMIT = 8192  # bytes of one request line: a CLI line (sim.junos.ops_grammar.MAX_LINE)
REQUEST_DEADLINE = 2.0  # seconds a connection may take to send its request
SEND_DEADLINE = 30.0  # seconds an answer may take to be read (a large `show log`)
MAX_CONNECTIONS = 8  # open at once; more are closed unanswered
RATE = 20.0  # requests a second, on average ...
BURST = 40.0  # ... with this many at once
DISCARD_READS = 16  # reads of 64 KiB dropped after an answer, before closing
OPS = ("run", "complete")
_UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid (SO_PEERCRED)


@dataclass(frozen=True, kw_only=True)
class ControlRequest:
    """One request to the live peer: a command line for a device."""

    device: str
    op: str
    line: str

    def __post_init__(self) -> None:
        if not all(isinstance(v, str) for v in (self.device, self.op, self.line)):
            raise TypeError("a control request is three strings")
        if self.op not in OPS:
            raise ValueError(f"op {shown(self.op)}: one of {', '.join(OPS)}")

    def encode(self) -> bytes:
        data = json.dumps({"device": self.device, "op": self.op, "line": self.line}).encode()
        if len(data) >= REQUEST_LIMIT:
            raise ValueError(f"request of {len(data)} bytes (at most {REQUEST_LIMIT - 1})")
        return data + b"\n"

    @classmethod
    def decode(cls, data: bytes) -> ControlRequest:
        """ValueError (one line) for anything but a request of this protocol."""
        try:
            record = json.loads(data)
        except (ValueError, RecursionError):
            raise ValueError("not a JSON request") from None
        if not isinstance(record, dict) or set(record) != {"device", "op", "line"}:
            raise ValueError("a request is {\"device\", \"op\", \"line\"}")
        try:
            return cls(**record)
        except TypeError as exc:
            raise ValueError(str(exc)) from None


@dataclass(frozen=True, kw_only=True)
class ControlAnswer:
    """The peer's answer: the command's output (and whether it is an `error:` line), or the
    CLI's syntax error for the line, or why the request was refused."""

    output: str = ""
    error: bool = False
    syntax: str | None = None
    refused: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.output, str) or not isinstance(self.error, bool):
            raise TypeError("an answer's output is a string, its error a bool")
        for value in (self.syntax, self.refused):
            if value is not None and not isinstance(value, str):
                raise TypeError("a syntax error or refusal is a string")
        if self.syntax is not None and self.refused is not None:
            raise ValueError("an answer is a syntax error or a refusal, not both")

    def encode(self) -> bytes:
        if self.refused is not None:
            record: dict = {"refused": self.refused}
        elif self.syntax is not None:
            record = {"syntax": self.syntax}
        else:
            record = {"output": self.output, "error": self.error}
        return json.dumps(record).encode()

    @classmethod
    def decode(cls, data: bytes) -> ControlAnswer:
        """ValueError for anything that is not one of the three answers."""
        try:
            record = json.loads(data)
        except (ValueError, RecursionError):
            raise ValueError("not a JSON answer") from None
        if not isinstance(record, dict) or set(record) not in (
                {"output", "error"}, {"syntax"}, {"refused"}):
            raise ValueError("not an answer of this protocol")
        try:
            return cls(**record)
        except TypeError as exc:
            raise ValueError(str(exc)) from None


Answerer = Callable[[ControlRequest], ControlAnswer]


class _Connection:
    def __init__(self, sock: socket.socket, opened: float) -> None:
        self.sock = sock
        self.opened = opened
        self.inbox = bytearray()
        self.outbox: memoryview | None = None


def socket_path(folder_fd: int) -> str:
    """The socket's address in the folder open as `folder_fd`: through /proc, so that it fits
    sun_path (108 bytes) however long the run folder's path, and names the folder opened."""
    return f"/proc/self/fd/{folder_fd}/{SOCKET}"


def open_folder(folder: Path) -> int:
    """A descriptor of the run folder (never through a symlink at its last component)."""
    try:
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        raise FileRefused(f"{folder}: {exc.strerror or exc}") from None


class ControlServer:
    """The peer's side: `poll()` does everything the socket needs now and returns at once;
    `answer` computes each answer (sim.live.answers)."""

    def __init__(self, folder: Path, listener: socket.socket, answer: Answerer,
                 clock: Callable[[], float]) -> None:
        self.folder = folder
        self._listener = listener
        self._answer = answer
        self._clock = clock
        self._connections: list[_Connection] = []
        self._tokens = BURST
        self._last = clock()

    @classmethod
    def open(cls, folder: Path, answer: Answerer, *, clock: Callable[[], float]
             ) -> ControlServer:
        """Listen on `folder`/control.sock (FileRefused when it cannot be made there)."""
        fd = open_folder(folder)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            # Made 0600 from the start (the umask applies to bind): never open to others.
            umask = os.umask(0o177)
            try:
                listener.bind(socket_path(fd))
            finally:
                os.umask(umask)
            listener.listen(MAX_CONNECTIONS)
            listener.setblocking(False)
        except OSError as exc:
            listener.close()
            raise FileRefused(f"{folder / SOCKET}: cannot listen there: "
                              f"{exc.strerror or exc}") from None
        finally:
            os.close(fd)
        return cls(folder, listener, answer, clock)

    def close(self) -> None:
        """Stop answering and remove the socket (before the run folder is committed)."""
        for connection in self._connections:
            connection.sock.close()
        self._connections.clear()
        self._listener.close()
        path = self.folder / SOCKET
        with contextlib.suppress(OSError):
            if stat.S_ISSOCK(path.lstat().st_mode):
                path.unlink()

    def poll(self) -> None:
        now = self._clock()
        self._tokens = min(BURST, self._tokens + (now - self._last) * RATE)
        self._last = now
        self._accept(now)
        for connection in list(self._connections):
            if not self._serve(connection, now):
                connection.sock.close()
                self._connections.remove(connection)

    def _accept(self, now: float) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # the client went away before we took it
            if len(self._connections) >= MAX_CONNECTIONS or not _own_user(sock):
                sock.close()
                continue
            sock.setblocking(False)
            self._connections.append(_Connection(sock, now))

    def _serve(self, connection: _Connection, now: float) -> bool:
        """Move one connection on; False when it is done with (answered, gone or too slow)."""
        if connection.outbox is None:
            if not self._receive(connection):
                return False
            if connection.outbox is None:
                return now - connection.opened < REQUEST_DEADLINE
        while connection.outbox:
            try:
                sent = connection.sock.send(connection.outbox)
            except (BlockingIOError, InterruptedError):
                return now - connection.opened < SEND_DEADLINE
            except OSError:
                return False
            connection.outbox = connection.outbox[sent:]
        _discard(connection.sock)
        return False

    def _receive(self, connection: _Connection) -> bool:
        """Read what has arrived; once the request line is complete, answer it. False when
        the client closed before sending a whole request."""
        while b"\n" not in connection.inbox and len(connection.inbox) < REQUEST_LIMIT:
            try:
                data = connection.sock.recv(REQUEST_LIMIT - len(connection.inbox))
            except (BlockingIOError, InterruptedError):
                return True
            except OSError:
                return False
            if not data:
                return False
            connection.inbox += data
        line, newline, _ = bytes(connection.inbox).partition(b"\n")
        if not newline:
            answer = ControlAnswer(refused=f"a request is one line of at most "
                                           f"{REQUEST_LIMIT - 1} bytes")
        else:
            answer = self._answered(line)
        connection.outbox = memoryview(answer.encode())
        return True

    def _answered(self, line: bytes) -> ControlAnswer:
        if self._tokens < 1:
            return ControlAnswer(refused=f"busy: more than {RATE:g} requests a second; "
                                         "try again")
        self._tokens -= 1
        try:
            request = ControlRequest.decode(line)
        except ValueError as exc:
            return ControlAnswer(refused=f"malformed request: {exc}")
        try:
            return self._answer(request)
        except Exception as exc:  # noqa: BLE001
            # A bug behind one command must not stop a live peer and its tunnels: the
            # client reports it in one line, the peer goes on.
            return ControlAnswer(refused=f"internal error: {type(exc).__name__}: "
                                         f"{shown(str(exc))}")


def _discard(sock: socket.socket) -> None:
    """Drop what the client sent past its request (an oversized one): closing a UNIX socket
    with unread data resets the connection, and the client would lose its answer. Bounded:
    a client that never stops sending gets the reset."""
    for _ in range(DISCARD_READS):
        try:
            if not sock.recv(65536):
                return
        except OSError:  # nothing more now (BlockingIOError), or the client is gone
            return


def _own_user(sock: socket.socket) -> bool:
    """Whether the connecting process runs as our user (the socket's mode already keeps
    others out; this holds even if the mode were changed)."""
    try:
        _, uid, _ = _UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                  _UCRED.size))
    except OSError:
        return False
    return uid == os.getuid()
