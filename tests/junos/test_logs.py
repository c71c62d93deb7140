"""kmd/pkid log files and traceoptions: what is written, where, with which mode, and rotation."""

from __future__ import annotations

import datetime as dt
import stat

import pytest

from pki.files import FileRefused
from pki.profiles import PkiTraceFlag, PkiTraceoptions, TraceFile
from sim.junos.logs import DaemonLog, LogFile, syslog_escape, syslog_time
from tests.badinput.conftest import files_under

NOV7 = dt.datetime(2012, 11, 7, 11, 52, 14, tzinfo=dt.UTC)


def clock():
    return NOV7


def test_syslog_time_pads_the_day_like_syslog():
    assert syslog_time(NOV7) == "Nov  7 11:52:14"
    assert syslog_time(NOV7.replace(day=17)) == "Nov 17 11:52:14"


def test_messages_always_written_trace_lines_only_for_selected_flags(tmp_path):
    trace = PkiTraceoptions(flags=frozenset({PkiTraceFlag.ONLINE_CRL_CHECK}))
    log = DaemonLog(directory=tmp_path, daemon="pkid", clock=clock,
                    traces=lambda flag: trace.traces(PkiTraceFlag(flag)))
    log.message("a message")
    log.trace("online-crl-check", "crl line")
    log.trace("certificate-verification", "verification line")
    assert (tmp_path / "pkid").read_text() == ("Nov  7 11:52:14 a message\n"
                                               "Nov  7 11:52:14 crl line\n")


def test_flag_all_selects_everything(tmp_path):
    trace = PkiTraceoptions(flags=frozenset({PkiTraceFlag.ALL}))
    log = DaemonLog(directory=tmp_path, daemon="pkid", clock=clock,
                    traces=lambda flag: trace.traces(PkiTraceFlag(flag)))
    log.trace("certificate-verification", "v")
    log.trace("online-crl-check", "c")
    assert len(log.lines) == 2


def test_named_trace_file_and_match(tmp_path):
    trace_file = TraceFile(name="pki-trace", match="dynamic-[0-9]+")
    log = DaemonLog(directory=tmp_path, daemon="pkid", clock=clock, trace_file=trace_file,
                    traces=lambda flag: True)
    log.message("Phase-1 message goes to the daemon log")
    log.trace("online-crl-check", "Dynamic CA profile dynamic-001 created")
    log.trace("online-crl-check", "CRL for CA profile Root-CA loaded")
    assert (tmp_path / "pki-trace").read_text() == (
        "Nov  7 11:52:14 Dynamic CA profile dynamic-001 created\n")
    assert (tmp_path / "pkid").read_text() == (
        "Nov  7 11:52:14 Phase-1 message goes to the daemon log\n")


def test_files_are_not_world_readable_unless_configured(tmp_path):
    quiet = DaemonLog(directory=tmp_path / "a", daemon="kmd", clock=clock)
    quiet.message("x")
    loud = DaemonLog(directory=tmp_path / "b", daemon="kmd", clock=clock,
                     trace_file=TraceFile(world_readable=True))
    loud.message("x")
    assert stat.S_IMODE((tmp_path / "a" / "kmd").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "b" / "kmd").stat().st_mode) == 0o644


def test_rotation_keeps_files_in_all_and_drops_the_oldest(tmp_path):
    log = LogFile(tmp_path / "kmd", size=100, files=3)
    for number in range(12):
        log.write(f"line {number:02d} " + "x" * 30)  # 39 bytes with the newline
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["kmd", "kmd.0", "kmd.1"]
    assert (tmp_path / "kmd").read_text().splitlines()[0].startswith("line 10")
    assert (tmp_path / "kmd.0").read_text().splitlines()[0].startswith("line 08")
    assert (tmp_path / "kmd.1").read_text().splitlines()[0].startswith("line 06")
    assert all(p.stat().st_size <= 100 for p in tmp_path.iterdir())


def test_a_new_run_starts_with_empty_logs(tmp_path):
    LogFile(tmp_path / "kmd", size=100, files=3).write("old run")
    (tmp_path / "kmd.0").write_text("older")
    fresh = LogFile(tmp_path / "kmd", size=100, files=3)
    fresh.write("new run")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kmd"]
    assert (tmp_path / "kmd").read_text() == "new run\n"


# -- lines as syslogd writes them ---------------------------------------------------------------


@pytest.mark.parametrize("text,written", [
    ("plain text, unchanged", "plain text, unchanged"),
    ("two\nlines", "two lines"),  # syslogd writes a newline as a space
    ("a\ttab stays", "a\ttab stays"),
    ("clear \x1b[2J screen", "clear ^[[2J screen"),
    ("back\rspace\x08 bell\x07 nul\x00 del\x7f", "back^Mspace^H bell^G nul^@ del^?"),
    ("C1 csi \x9b2J", "C1 csi M-BM-^[2J"),
    ("CN=Jürgen Müller, O=Bücher AG", "CN=Jürgen Müller, O=Bücher AG"),  # printable UTF-8
    ("CN=\u0645\u0631\u062d\u0628\u0627", "CN=\u0645\u0631\u062d\u0628\u0627"),
    ("evil\u202etxt.exe", "evilM-bM-^@M-.txt.exe"),  # RIGHT-TO-LEFT OVERRIDE
    ("line\u2028sep", "lineM-bM-^@M-(sep"),
])
def test_syslog_escape_renders_like_freebsd_syslogd(text, written):
    assert syslog_escape(text) == written
    assert syslog_escape(written) == written  # escaping twice changes nothing


def test_a_forged_line_stays_one_escaped_line_in_the_file_and_in_lines(tmp_path):
    log = DaemonLog(directory=tmp_path, daemon="kmd", clock=clock)
    peer = "evil\x1b[2J\nNov  7 11:52:14 Phase-1 [responder] done for local=forged"
    log.message(f"Phase-1 [initiator] failed for remote=fqdn({peer})")
    expected = ("Nov  7 11:52:14 Phase-1 [initiator] failed for remote=fqdn(evil^[[2J "
                "Nov  7 11:52:14 Phase-1 [responder] done for local=forged)")
    assert (tmp_path / "kmd").read_text() == expected + "\n"
    assert log.lines == [expected]


def test_trace_lines_are_escaped_before_match(tmp_path):
    log = DaemonLog(directory=tmp_path, daemon="kmd", clock=clock, traces=lambda flag: True,
                    trace_file=TraceFile(match=r"\^\["))
    log.trace("all", "peer id a\x1bb")
    log.trace("all", "peer id plain")
    assert (tmp_path / "kmd").read_text() == "Nov  7 11:52:14 peer id a^[b\n"


# -- no file outside the log folder, no symlink followed ----------------------------------------


@pytest.mark.parametrize("name", ["../../x", "{tmp}/absolute", "..", ".", "a/b", "x\x00y"])
def test_a_trace_file_must_be_a_plain_name(tmp_path, name):
    name = name.format(tmp=tmp_path)
    logs = tmp_path / "run" / "logs" / "host"
    before = files_under(tmp_path)
    with pytest.raises(FileRefused, match="trace file"):
        DaemonLog(directory=logs, daemon="kmd", clock=clock,
                  trace_file=TraceFile(name=name), traces=lambda flag: True)
    assert files_under(tmp_path) == before


def test_a_symlink_planted_at_the_log_is_refused_not_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "kmd").symlink_to(victim)
    with pytest.raises(FileRefused, match="kmd: is a symbolic link; ikesim does not follow it"):
        DaemonLog(directory=logs, daemon="kmd", clock=clock)
    assert victim.read_text() == "precious\n"


def test_a_symlink_planted_while_the_daemon_runs_is_refused(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    log = DaemonLog(directory=tmp_path / "logs", daemon="kmd", clock=clock)
    log.message("first")
    (tmp_path / "logs" / "kmd").unlink()
    (tmp_path / "logs" / "kmd").symlink_to(victim)
    with pytest.raises(FileRefused, match="is a symbolic link"):
        log.message("second")
    assert victim.read_text() == "precious\n"

