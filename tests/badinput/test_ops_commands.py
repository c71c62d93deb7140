"""Bad input to the first-hour commands: `show configuration ... | display`, a peer address,
an SA index, a log file name, and a run folder whose trace or log files are planted links.
Each is one line, exit 2, and the run folder is left as it was."""

from __future__ import annotations

import io
import sys

import pytest

from pki.store import CertificateStore
from sim.cli.main import main
from sim.report.run_folder import mark
from tests.badinput.conftest import assert_refused, files_under
from tests.junos.ops_states import state
from tests.junos.test_ops_golden_sa import CH11_CONFIG, NOW, ike, ipsec

TRACED = CH11_CONFIG + "set security ike traceoptions file ike-trace\n"


@pytest.fixture
def run_dir(tmp_path):
    folder = tmp_path / "run"
    state("host", config=TRACED, store=CertificateStore(), now=NOW,
          ike_sas=(ike(20, left=23282),), ipsec_sas=(ipsec(2, left=1667),)).save(folder)
    (folder / "logs" / "host").mkdir(parents=True)
    (folder / "logs" / "host" / "kmd").write_text("Nov 20 11:00:00 earlier line\n")
    mark(folder, scenario="commands", seed=1)
    return folder


@pytest.mark.parametrize("line,fragments", [
    ("show security ike security-associations 2.2.2", ("invalid peer address '2.2.2'",)),
    ("show security ike security-associations \x1b[2J", ("invalid peer address '\\x1b[2J'",)),
    ("show configuration security ike | display xml", ("syntax error, expecting set.",)),
    ("show version | display set", ("'| display set' is for show configuration",)),
    ("show configuration security nat", ("syntax error, expecting <command>.",)),
    ("show log ../../../etc/passwd", ("log file",)),
    ("show log .", ("log file",)),
    ("show security ipsec security-associations index ٣", ("invalid index",)),
])
def test_bad_show_lines_are_one_line(ikesim, run_dir, line, fragments):
    before = files_under(run_dir)
    refused = assert_refused(ikesim("show", str(run_dir), "host", line), *fragments)
    assert "\x1b" not in refused
    assert files_under(run_dir) == before


def test_a_trace_file_linked_out_of_the_run_folder_is_refused(ikesim, run_dir, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("not for the run folder's reader\n")
    (run_dir / "logs" / "host" / "ike-trace").symlink_to(secret)
    outcome = ikesim("show", str(run_dir), "host", "show log ike-trace")
    assert_refused(outcome, "ike-trace")
    assert "not for" not in outcome.out + outcome.err


def test_a_clear_whose_log_file_is_a_planted_link_changes_nothing(run_dir, monkeypatch,
                                                                  capsys):
    logs = run_dir / "logs" / "host"
    (logs / "messages").symlink_to(run_dir / "devices" / "host" / "config")
    before = files_under(run_dir)
    monkeypatch.setattr(sys, "stdin", io.StringIO(
        "clear security ipsec security-associations index 2\n"))
    assert main(["cli", str(run_dir), "host"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("error: ") and "messages" in out.splitlines()[1]
    assert files_under(run_dir) == before  # neither the state nor kmd's log moved


@pytest.mark.parametrize("line", [
    "clear security ike security-associations 300.1.1.1",
    "clear security ipsec security-associations index -1",
    "clear security ipsec security-associations index 1 index 2",
])
def test_bad_clear_lines_in_the_cli_change_nothing(run_dir, monkeypatch, capsys, line):
    before = files_under(run_dir)
    monkeypatch.setattr(sys, "stdin", io.StringIO(line + "\n"))
    assert main(["cli", str(run_dir), "host"]) == 0
    out = capsys.readouterr().out.splitlines()
    answer = [line for line in out[1:] if line.strip() != "^"]  # a syntax error's caret line
    assert answer[0].startswith(("error: ", "syntax error")), out
    assert files_under(run_dir) == before
