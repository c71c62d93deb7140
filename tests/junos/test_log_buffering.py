"""Log files written in batches (a simulated run): the same bytes in the same files as line by
line, rotation at the same line, and a symlink planted meanwhile still refused."""

from __future__ import annotations

import datetime as dt

import pytest

from pki.files import FileRefused
from pki.profiles import TraceFile
from sim.junos.logs import DaemonLog, LogFile

NOV7 = dt.datetime(2012, 11, 7, 11, 52, 14, tzinfo=dt.UTC)


def written(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_buffered_log_rotates_at_the_same_line_as_one_written_line_by_line(tmp_path):
    direct, batched = tmp_path / "direct", tmp_path / "batched"
    logs = [LogFile(direct / "kmd", size=100, files=3),
            LogFile(batched / "kmd", size=100, files=3, buffered=True)]
    for number in range(11):
        for log in logs:
            log.write(f"line {number:02d} " + "x" * 30)  # 39 bytes with the newline
    logs[1].flush()
    assert sorted(written(batched)) == ["kmd", "kmd.0", "kmd.1"]
    assert written(batched) == written(direct)
    assert written(batched)["kmd.0"].startswith(b"line 08 ")


def test_a_buffered_daemon_log_writes_nothing_until_flushed_then_every_line(tmp_path):
    log = DaemonLog(directory=tmp_path, daemon="kmd", clock=lambda: NOV7,
                    traces=lambda flag: True, trace_file=TraceFile(name="ike-trace"),
                    buffered=True)
    log.message("Phase-1 [initiator] done")
    log.trace("all", "Initiating Phase-1 negotiation")
    assert written(tmp_path) == {}
    log.flush()
    assert written(tmp_path) == {"ike-trace": b"Nov  7 11:52:14 Initiating Phase-1 negotiation\n",
                                 "kmd": b"Nov  7 11:52:14 Phase-1 [initiator] done\n"}


def test_a_symlink_planted_before_a_buffered_log_is_flushed_is_refused(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    log = DaemonLog(directory=tmp_path / "logs", daemon="kmd", clock=lambda: NOV7,
                    buffered=True)
    log.message("first")
    log.flush()
    log.message("second")
    (tmp_path / "logs" / "kmd").unlink()
    (tmp_path / "logs" / "kmd").symlink_to(victim)
    with pytest.raises(FileRefused, match="is a symbolic link"):
        log.flush()
    assert victim.read_text() == "precious\n"
