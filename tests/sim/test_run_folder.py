"""Runs are all or nothing: a run replaces an earlier one whole, and a run killed at any point
(SIGKILL) or meeting a full disk leaves the previous complete run, never a mix."""

from __future__ import annotations

import fcntl
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pki import files
from sim.cli.main import main
from sim.report import run_folder
from tests.badinput.conftest import Outcome, assert_refused, files_under
from tests.sim.scenarios import pair

ROOT = Path(__file__).resolve().parents[2]
SHOW = "show security ike security-associations"


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pair.yaml").write_text(pair())
    return tmp_path


def ikesim(*argv: str) -> int:
    return main(list(argv))


def tree(folder: Path) -> dict[str, bytes]:
    return files_under(folder) if folder.exists() else {}


def partials(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if ".partial-" in p.name)


# -- replacing an earlier run --------------------------------------------------------------------

def test_a_second_run_into_the_same_folder_replaces_the_first_whole(here, capsys):
    # Reference: the second run alone, in a fresh folder.
    assert ikesim("run", "single-level", "--out", "alone", "--quiet") == 0
    assert ikesim("run", "pair.yaml", "--out", "out", "--quiet") == 0
    assert ikesim("run", "single-level", "--out", "out") == 0
    out = capsys.readouterr().out
    assert files_under(here / "out") == files_under(here / "alone")  # nothing of the first
    assert "Plots:    out/plots/ (hierarchy.png, ladder.png, outcomes.png)" in out
    assert ikesim("show", "out", "Host-A", SHOW) == 2
    assert "no device Host-A in this run directory (devices here: SRX-A, SRX-B)" in \
        capsys.readouterr().err
    assert partials(here) == []


@pytest.mark.parametrize(("scenario", "folder"), [("enroll-figure4", "scep"),
                                                   ("ocsp-revoked", "ocsp")])
def test_a_run_that_kept_scep_or_ocsp_messages_is_replaced_by_the_next(here, scenario, folder):
    """scep/ and ocsp/ are a run's own: running the scenario again into its folder works."""
    assert ikesim("run", scenario, "--out", "out", "--quiet") == 0
    assert (here / "out" / folder).is_dir()
    first = files_under(here / "out")
    assert ikesim("run", scenario, "--out", "out", "--quiet") == 0
    assert files_under(here / "out") == first
    assert partials(here) == []


def test_the_summary_points_at_the_kept_scep_and_ocsp_messages(here, capsys):
    assert ikesim("run", "enroll-figure4", "--out", "e") == 0
    assert "SCEP:     e/scep/ (11 messages, DER: openssl cms -cmsout -print -inform DER -in " \
           "FILE)" in capsys.readouterr().out
    assert ikesim("run", "ocsp-revoked", "--out", "o") == 0
    out = capsys.readouterr().out
    assert "OCSP:     o/ocsp/ (4 messages, DER: openssl ocsp -respin FILE -resp_text " \
           "-noverify)" in out
    assert "SCEP:" not in out


def test_a_run_from_an_ikesim_that_did_not_mark_runs_is_replaced_not_read(here, capsys):
    """Run folders written before the marker (results.json, logs, pki, devices, plots): `show`
    says what they are, and a new run replaces them whole. A folder that merely holds a
    results.json of something else is still refused."""
    assert ikesim("run", "pair.yaml", "--out", "old", "--quiet") == 0
    (here / "old" / run_folder.MARKER).unlink()
    capsys.readouterr()
    assert ikesim("show", "old", "Host-A", SHOW) == 2
    assert capsys.readouterr().err == (
        "ikesim: old: not an ikesim run folder (written by an earlier ikesim, which did not "
        "mark complete runs); run the scenario again\n")
    assert ikesim("run", "pair.yaml", "--out", "old", "--quiet") == 0
    assert run_folder.is_run_folder(here / "old")
    other = here / "other"
    other.mkdir()
    (other / "results.json").write_text('{"scenario": "x"}\n')
    assert ikesim("run", "pair.yaml", "--out", "other", "--quiet") == 2
    assert "not empty and not an ikesim run folder" in capsys.readouterr().err
    assert files_under(other) == {"results.json": b'{"scenario": "x"}\n'}


def test_a_run_folder_holding_files_no_run_wrote_is_not_replaced(here, capsys):
    """Notes a user put into an earlier run's folder are not deleted by the next run."""
    assert ikesim("run", "pair.yaml", "--out", "out", "--quiet") == 0
    (here / "out" / "notes.txt").write_text("why Host-B failed\n")
    before = files_under(here / "out")
    capsys.readouterr()
    assert ikesim("run", "pair.yaml", "--out", "out", "--quiet") == 2
    assert capsys.readouterr().err == (
        "ikesim: out: holds 'notes.txt', which no run wrote; a run replaces its folder whole "
        "(move them, or choose another --out)\n")
    assert files_under(here / "out") == before and partials(here) == []


def test_replacing_without_an_atomic_exchange_renames_in_two_steps(here, monkeypatch):
    monkeypatch.setattr(files, "exchange", lambda a, b: False)
    assert ikesim("run", "single-level", "--out", "alone", "--quiet") == 0
    assert ikesim("run", "pair.yaml", "--out", "out", "--quiet") == 0
    assert ikesim("run", "single-level", "--out", "out", "--quiet") == 0
    assert files_under(here / "out") == files_under(here / "alone")
    assert partials(here) == []


def test_an_empty_folder_takes_a_run_and_stale_partials_are_cleared(here):
    (here / "out").mkdir()
    stale = here / ".out.partial-0123456789abcdef"  # a killed run's
    (stale / "logs").mkdir(parents=True)
    busy = here / ".out.partial-fedcba9876543210"  # a run still writing: it holds the lock
    busy.mkdir()
    lock = os.open(busy, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    other = here / ".out.partial-notours"  # not our pattern
    other.mkdir()
    try:
        assert ikesim("run", "pair.yaml", "--out", "out", "--quiet") == 0
    finally:
        os.close(lock)
    assert run_folder.is_run_folder(here / "out")
    assert partials(here) == [".out.partial-fedcba9876543210", ".out.partial-notours"]


def test_the_pcap_and_its_key_table_are_written_whole_and_the_keys_0600(here, capsys):
    (here / "ike.pcap").write_text("an old capture\n")  # a regular file is replaced
    assert ikesim("run", "pair.yaml", "--out", "out", "--pcap", "ike.pcap", "--quiet") == 0
    assert (here / "ike.pcap").read_bytes()[:4] == bytes.fromhex("d4c3b2a1")
    assert (here / "ike.pcap.keys").stat().st_mode & 0o777 == 0o600
    assert len((here / "ike.pcap.keys").read_text().splitlines()) == 1


@pytest.mark.parametrize("make", [
    lambda path, here: path.symlink_to(here / "victim"),
    lambda path, here: os.mkfifo(path),
    lambda path, here: os.symlink("/dev/null", path),
], ids=["symlink", "fifo", "symlink-to-a-device"])
def test_a_pcap_name_that_is_not_a_regular_file_is_refused_before_the_run(here, capsys, make):
    """Replacing a device node (as root, /dev/null) or a symlink would destroy what it is."""
    (here / "victim").write_text("precious\n")
    make(here / "ike.pcap", here)
    assert ikesim("run", "pair.yaml", "--out", "out", "--pcap", "ike.pcap") == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("ikesim: --pcap ike.pcap: is ")
    assert (here / "victim").read_text() == "precious\n"
    assert not (here / "out").exists() and os.path.lexists(here / "ike.pcap")


# -- failures leave nothing behind ---------------------------------------------------------------

def test_a_topology_failing_late_leaves_no_run_folder(here, capsys):
    # A CA that issues itself got past the load checks once, failing only while the CAs were
    # built; wherever it fails, no folder is left.
    (here / "self.yaml").write_text(pair().replace(
        'CA-A:    {issuer: Root-CA,', 'CA-A:    {issuer: CA-A,'))
    code = ikesim("run", "self.yaml", "--out", "deep/er/out")
    err = capsys.readouterr().err
    assert code != 0 and err.count("\n") == 1 and "Traceback" not in err
    assert sorted(p.name for p in here.iterdir()) == ["pair.yaml", "self.yaml"]


def _subprocess(argv: list[str], *, cwd: Path, preexec=None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, *argv], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=preexec)


def _file_size_limit(limit: int):
    def apply() -> None:
        # Writes past the limit then fail with EFBIG, as on a full disk (not with a signal).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("limit", [1100, 6000, 30000],
                         ids=["during the run", "writing plots", "the last plot"])
def test_a_full_disk_leaves_the_previous_run_and_one_line(here, capsys, limit):
    assert ikesim("run", "pair.yaml", "--out", "out", "--quiet") == 0
    before = files_under(here / "out")
    process = _subprocess(["-m", "sim", "run", "pair.yaml", "--out", "out", "--seed", "2"],
                          cwd=here, preexec=_file_size_limit(limit))
    out, err = process.communicate(timeout=300)
    assert process.returncode == 2, err
    assert err == "ikesim: out: the run could not be written (File too large); out is as it " \
                  "was\n"
    assert files_under(here / "out") == before
    assert partials(here) == []


# -- SIGKILL at any point -------------------------------------------------------------------------

# Runs ikesim and SIGKILLs itself at its N-th change to the file system under the working
# folder (a file opened for writing, a rename, a removal, a folder made), so every kill point
# is reached exactly; at exit it records how many changes it made, and which one began the
# marker (the commit: marker, syncfs and the exchange, then the old run's removal).
HARNESS = """
import os, signal, sys
stop, count, marker = int(sys.argv[1]), 0, 0
here = os.getcwd()
CHANGES = {"os.rename", "os.remove", "os.mkdir", "os.rmdir", "shutil.rmtree"}

def ours(path):
    try:
        return os.path.abspath(os.fsdecode(path)).startswith(here)
    except TypeError:
        return False

def hook(event, args):
    global count, marker
    if event == "open":
        change = args[2] & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and ours(args[0])
    elif event in CHANGES:
        change = ours(args[0])
    else:
        return
    if change:
        count += 1
        if not marker and ".ikesim-run" in os.fsdecode(args[0]):
            marker = count
        if count == stop:
            os.kill(os.getpid(), signal.SIGKILL)

sys.addaudithook(hook)
from sim.cli.main import main
code = main(sys.argv[2:])
with open(os.path.join(here, "changes"), "w") as out:
    out.write(f"{count} {marker}")
sys.exit(code)
"""


def test_a_run_killed_at_any_point_leaves_the_old_run_or_the_new_one(here, capsys):
    assert ikesim("run", "pair.yaml", "--out", "old", "--quiet") == 0
    assert ikesim("run", "pair.yaml", "--out", "new", "--quiet", "--seed", "2") == 0
    old, new = files_under(here / "old"), files_under(here / "new")
    capsys.readouterr()
    answers = {}
    for name in ("old", "new"):
        assert ikesim("show", name, "Host-A", SHOW) == 0
        answers[name] = capsys.readouterr().out
    assert answers["old"] != answers["new"]

    def run_until(stop: int) -> int:
        """The seed-2 run replacing the old run in out/, killed at change `stop`; each starts
        from the same state, so that the changes are counted alike."""
        for leftover in [here / "out", *here.glob(".out.partial-*")]:
            shutil.rmtree(leftover, ignore_errors=True)
        shutil.copytree(here / "old", here / "out")
        process = _subprocess(["-c", HARNESS, str(stop), "run", "pair.yaml", "--out", "out",
                               "--quiet", "--seed", "2"], cwd=here)
        process.communicate(timeout=300)
        return process.returncode

    assert run_until(0) == 0  # a whole run, counting its changes
    total, marker = map(int, (here / "changes").read_text().split())
    assert 20 < marker < total
    assert files_under(here / "out") == new
    # The start, the middle, the marker's write and rename, the first change after the
    # exchange (removing the old run), and the end.
    for stop in sorted({1, 2, total // 4, total // 2, marker, marker + 1, marker + 2,
                        total - 2, total - 1}):
        (here / "changes").unlink(missing_ok=True)
        assert run_until(stop) == -signal.SIGKILL, stop
        now = files_under(here / "out")
        assert now == (old if stop <= marker + 1 else new), stop  # whole, never a mix
        assert ikesim("show", "out", "Host-A", SHOW) == 0
        assert capsys.readouterr().out == answers["old" if now == old else "new"]
    assert partials(here)  # what the last killed run left, cleared by the next run
    assert ikesim("run", "pair.yaml", "--out", "out", "--quiet") == 0
    assert files_under(here / "out") == old and partials(here) == []


def test_a_run_killed_from_outside_while_it_writes(here, capsys):
    assert ikesim("run", "pair.yaml", "--out", "out", "--quiet") == 0
    old = files_under(here / "out")
    # Killed as soon as the new run has written a log line, wherever it writes it. A run can
    # outpace the poll on a loaded machine: a few tries before giving up on timing.
    for _ in range(3):
        process = _subprocess(["-m", "sim", "run", "pair.yaml", "--out", "out", "--seed", "2"],
                              cwd=here)
        started = time.time_ns()
        deadline = time.monotonic() + 120
        written: list[Path] = []
        while process.poll() is None and time.monotonic() < deadline and not written:
            written = [p for p in here.rglob("kmd") if p.stat().st_mtime_ns >= started]
            if written:
                process.send_signal(signal.SIGKILL)
            time.sleep(0.001)
        process.communicate(timeout=60)
        if process.returncode == -signal.SIGKILL:
            break
        # It finished: put the old run back for the next try.
        assert ikesim("run", "pair.yaml", "--out", "out", "--quiet") == 0
    else:
        pytest.skip("three runs finished before the poll saw them write (timing, not a bug)")
    assert files_under(here / "out") == old
    assert ikesim("show", "out", "Host-A", SHOW) == 0
    capsys.readouterr()
    (staged,) = [p.name for p in here.glob(".out.partial-*")]
    outcome = Outcome(ikesim("show", staged, "Host-A", SHOW), "", capsys.readouterr().err)
    assert_refused(outcome, f"{staged}: not an ikesim run folder")
