"""kmd and pkid log files, with traceoptions: which lines are written, where, and rotation.

A daemon writes two kinds of lines. Log messages (Phase-1 done, failed, KMD_*) always go to its
log (`/var/log/kmd`, `/var/log/pkid`: here `<dir>/kmd`, `<dir>/pkid`). Trace lines go only when a
traceoptions flag selects them (or `all`), to the traceoptions file, which is the daemon's log
when no file name is configured, and only when they match the `match` expression.

Files rotate like Junos trace files: when `name` reaches `size`, it becomes `name.0`, `name.0`
becomes `name.1`, ..., keeping `files` files in all; the oldest is dropped. Files are created
mode 0600 (no-world-readable, the default) or 0644 with world-readable. A file name is a plain
name (Junos's `file` is a name under /var/log), and a symlink planted where a log goes is
refused, never followed.

A simulated run writes its logs in batches (`buffered`): each line is counted for rotation as it
is logged, but the bytes reach the file when the buffer fills, before a rotation renames the
file, and whenever the world pauses (sim.world.world.World.run), so the files are complete
whenever anyone can look; reopening a file for every line cost a third of a negotiation.

Every line is written as Junos's syslogd (FreeBSD's) writes a message, so that text a peer
chose (an IKE ID, a certificate's DN) can neither forge a log line nor reach a terminal as an
escape sequence: see `syslog_escape`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from pki.escape import escape as syslog_escape
from pki.files import FileRefused, check_name, open_append
from pki.profiles import TraceFile
from sim.junos.grammar_nodes import compile_pattern


def syslog_time(when: dt.datetime) -> str:
    """`Nov  7 11:52:14`: month, day padded to two columns, time; no year, as syslog."""
    return f"{when:%b} {when.day:2d} {when:%H:%M:%S}"


# Bytes a buffered log file holds before writing them (a spoke's whole log fits).
BUFFER_BYTES = 64 * 1024


class LogFile:
    def __init__(self, path: Path, *, size: int | None = None, files: int = 10,
                 world_readable: bool = False, buffered: bool = False) -> None:
        check_name("log file", path.name)
        self.path = path
        self.size = size
        self.files = files
        self.mode = 0o644 if world_readable else 0o600
        path.parent.mkdir(parents=True, exist_ok=True)
        # A simulated device boots with empty logs: drop what an earlier run left here (a
        # symlink is not ours to remove: it is refused, as a write through it would be).
        for old in [path, *path.parent.glob(f"{path.name}.[0-9]*")]:
            if old.is_symlink():
                raise FileRefused(str(old), "is a symbolic link; ikesim does not follow it")
            if old.exists():
                old.unlink()
        self._written = 0
        self._buffered = buffered
        self._pending = bytearray()

    def write(self, line: str) -> None:
        data = (line + "\n").encode()
        if self.size is not None and self._written and self._written + len(data) > self.size:
            self._rotate()
        self._written += len(data)
        if not self._buffered:
            self._append(data)
            return
        self._pending += data
        if len(self._pending) >= BUFFER_BYTES:
            self.flush()

    def flush(self) -> None:
        """Write what the buffer holds."""
        if self._pending:
            data, self._pending = bytes(self._pending), bytearray()
            self._append(data)

    def _append(self, data: bytes) -> None:
        fd = open_append(self.path, mode=self.mode)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)

    def _rotate(self) -> None:
        self.flush()  # the lines before the rotation belong to the file being renamed
        # name, name.0 .. name.(files-2): `files` files in all.
        oldest = self.files - 2
        for index in range(oldest, -1, -1):
            src = self.path.with_name(f"{self.path.name}.{index}")
            # rename and unlink act on a symlink itself, never on what it points to.
            if os.path.lexists(src):
                if index == oldest:
                    src.unlink()
                else:
                    src.rename(self.path.with_name(f"{self.path.name}.{index + 1}"))
        if oldest >= 0:
            self.path.rename(self.path.with_name(f"{self.path.name}.0"))
        else:
            self.path.unlink()
        self._written = 0


class _Unwritten:
    """Where the lines of a device that keeps no files go (a group member the run was not
    asked to keep: sim.topology.expand): nowhere but its DaemonLog's `lines`."""

    def write(self, line: str) -> None:
        pass

    def flush(self) -> None:
        pass


class DaemonLog:
    """What one daemon writes; `lines` keeps its log's lines for `show log`. `directory`
    None: no file is written."""

    def __init__(self, *, directory: Path | None, daemon: str, clock: Callable[[], dt.datetime],
                 trace_file: TraceFile | None = None,
                 traces: Callable[[object], bool] = lambda flag: False,
                 buffered: bool = False) -> None:
        self.daemon = daemon
        self.clock = clock
        self._traces = traces
        trace_file = trace_file or TraceFile()
        self._match = compile_pattern(trace_file.match) if trace_file.match else None
        world = bool(trace_file.world_readable)
        self.log_file: LogFile | _Unwritten
        self.trace_file: LogFile | _Unwritten
        if directory is None:
            self.log_file = self.trace_file = _Unwritten()
        elif trace_file.name is None:
            # The trace file is the daemon's own log: it takes the traceoptions size and files.
            self.log_file = LogFile(directory / daemon, size=trace_file.size,
                                    files=trace_file.effective_files, world_readable=world,
                                    buffered=buffered)
            self.trace_file = self.log_file
        else:
            self.log_file = LogFile(directory / daemon, buffered=buffered)
            name = check_name("trace file", trace_file.name)
            self.trace_file = LogFile(directory / name, size=trace_file.effective_size,
                                      files=trace_file.effective_files, world_readable=world,
                                      buffered=buffered)
        self.lines: list[str] = []
        self.trace_lines: list[str] = []

    def flush(self) -> None:
        """Write the lines a buffered log holds (LogFile)."""
        self.log_file.flush()
        if self.trace_file is not self.log_file:
            self.trace_file.flush()

    def tracing(self, flag: object) -> bool:
        """Does a traceoptions flag select `flag`'s lines? A caller whose line costs work to
        render asks first, so that nothing is rendered only to be discarded."""
        return self._traces(flag)

    def message(self, text: str) -> None:
        line = f"{syslog_time(self.clock())} {syslog_escape(text)}"
        self.lines.append(line)
        self.log_file.write(line)

    def trace(self, flag: object, text: str) -> None:
        if not self._traces(flag):
            return
        line = f"{syslog_time(self.clock())} {syslog_escape(text)}"
        if self._match is not None and not self._match.search(line):
            return
        self.trace_lines.append(line)
        if self.trace_file is self.log_file:
            self.lines.append(line)
        self.trace_file.write(line)
