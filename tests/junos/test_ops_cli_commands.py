"""`ikesim cli` and `ikesim show` with the first-hour commands: a clear of SAs is saved to the run
folder (state and log files) as the other clear commands are, and `help` lists every command
the grammar has."""

from __future__ import annotations

import io
import sys

import pytest

from pki.store import CertificateStore
from sim.cli.main import main
from sim.junos.ops_grammar import commands
from sim.report.run_folder import mark
from tests.junos.ops_states import state
from tests.junos.test_ops_golden_sa import CH11_CONFIG, NOW, ike, ipsec
from tests.sim.scenarios import pair


@pytest.fixture
def run_dir(tmp_path):
    """A run folder with device `host`: one IKE SA to 2.2.2.2 and its IPsec SA pair."""
    state("host", config=CH11_CONFIG, store=CertificateStore(), now=NOW,
          ike_sas=(ike(20, left=23282),), ipsec_sas=(ipsec(2, left=1667),),
          kmd_log=("Nov 20 11:00:00 earlier line",)).save(tmp_path)
    logs = tmp_path / "logs" / "host"
    logs.mkdir(parents=True)
    (logs / "kmd").write_text("Nov 20 11:00:00 earlier line\n")
    mark(tmp_path, scenario="commands", seed=1)
    return tmp_path


def cli(run_dir, monkeypatch, capsys, *lines: str) -> str:
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    assert main(["cli", str(run_dir), "host"]) == 0
    return capsys.readouterr().out


def show(run_dir, capsys, line: str) -> str:
    assert main(["show", str(run_dir), "host", line]) == 0
    return capsys.readouterr().out


def test_a_clear_in_the_cli_is_saved_with_its_log_lines(run_dir, monkeypatch, capsys):
    out = cli(run_dir, monkeypatch, capsys,
              "clear security ipsec security-associations index 2",
              "clear security ike security-associations 2.2.2.2",
              "show security ike security-associations")
    assert out.endswith("user@host> show security ike security-associations\nuser@host> \n")
    # A new session, a new process's view: the SAs stay gone.
    assert show(run_dir, capsys, "show security ike security-associations") == ""
    assert show(run_dir, capsys, "show security ipsec security-associations") == (
        "Total active tunnels: 0\n"
        "  ID      Algorithm      SPI      Life:sec/kb Mon vsys Port Gateway\n")
    assert (run_dir / "logs" / "host" / "kmd").read_text() == (
        "Nov 20 11:00:00 earlier line\n"
        "Nov 20 12:00:00 IPSec SA deleted for vpn ike-vpn (cleared): inbound SPI 0xbce1c6e0, "
        "outbound SPI 0x1a24eab9\n"
        "Nov 20 12:00:00 IKE SA with 2.2.2.2 deleted (cleared): af4f78bc135e4365 "
        "48a35f853ee95d21\n")
    messages = show(run_dir, capsys, "show log messages")
    assert messages.startswith("Nov 20 12:00:00 KMD_VPN_DOWN_ALARM_USER: VPN ike-vpn from "
                               "2.2.2.2 is down.")
    assert messages.count("\n") == 1


def test_show_takes_the_new_show_commands(run_dir, capsys):
    assert show(run_dir, capsys, "show version") == (
        "Hostname: host\nModel: srx240\nJUNOS Software Release [12.1X46-D10.2]\n")
    assert show(run_dir, capsys, "show configuration security ipsec | display set") == (
        "set security ipsec policy vpn-policy1 proposal-set standard\n"
        "set security ipsec vpn ike-vpn ike gateway ike-gate\n"
        "set security ipsec vpn ike-vpn ike ipsec-policy vpn-policy1\n")
    assert show(run_dir, capsys, "show security ike security-associations 2.2.2.2") \
        .splitlines()[1].split() == ["20", "UP", "af4f78bc135e4365", "48a35f853ee95d21",
                                     "Main", "2.2.2.2"]


def test_show_refuses_a_clear(run_dir, capsys):
    assert main(["show", str(run_dir), "host",
                 "clear security ike security-associations"]) == 2
    assert "is not a show command" in capsys.readouterr().err
    assert "20" in show(run_dir, capsys, "show security ike security-associations")


def test_help_lists_every_command_of_the_grammar(run_dir, monkeypatch, capsys):
    out = cli(run_dir, monkeypatch, capsys, "help")
    listed = {line.split("  ")[1] for line in out.splitlines() if line.startswith("  ")}
    for words, _ in commands():
        assert words in listed
    assert {"show log messages", "show configuration security pki", "show version",
            "clear security ipsec security-associations"} <= listed


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """A real run: Host-A traces kmd to its own file, `ike-trace`, and holds an IKE SA."""
    folder = tmp_path_factory.mktemp("run")
    topology = folder / "pair.yaml"
    topology.write_text(pair(a={"extra": "set security ike traceoptions file ike-trace\n"
                                          "set security ike traceoptions flag ike"}))
    assert main(["run", str(topology), "--out", str(folder / "out"), "--quiet"]) == 0
    return folder / "out"


def test_show_log_question_mark_lists_the_log_files_the_device_has(real_run, capsys,
                                                                   monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("show log ?\nshow log ike-trace | count\n"
                                                  "show log nothing\n"))
    assert main(["cli", str(real_run), "Host-A"]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = lines.index("Possible completions:")
    assert lines[start + 1:start + 8] == [
        "  <filename>           Name of log file",
        "  kmd                  Key management daemon log",
        "  pkid                 Public-key infrastructure daemon log",
        "  messages             System log (KMD_* messages)",
        "  ike-trace            Trace file (traceoptions file)",
        "user@Host-A> show log ike-trace | count",
        lines[start + 7],
    ]
    count = int(lines[start + 7].split()[1])
    assert count > 0 and lines[start + 7] == f"Count: {count} lines"
    assert "error: could not resolve file: nothing" in lines
    trace = show_device(real_run, capsys, "Host-A", "show log ike-trace")
    assert "Phase 1" in trace or "ike_" in trace


def show_device(run_dir, capsys, device: str, line: str) -> str:
    assert main(["show", str(run_dir), device, line]) == 0
    return capsys.readouterr().out


def test_clear_in_a_real_run_tears_the_ike_sa_down(real_run, capsys, monkeypatch):
    before = show_device(real_run, capsys, "Host-A", "show security ike security-associations")
    assert before.splitlines()[1].split()[1] == "UP"
    peer = before.splitlines()[1].split()[-1]
    monkeypatch.setattr(sys, "stdin", io.StringIO(
        f"clear security ike security-associations {peer}\n"))
    assert main(["cli", str(real_run), "Host-A"]) == 0
    capsys.readouterr()
    assert show_device(real_run, capsys, "Host-A", "show security ike security-associations") \
        == ""
    last = show_device(real_run, capsys, "Host-A", "show log kmd | last 1")
    assert f" IKE SA with {peer} deleted (cleared): " in last
