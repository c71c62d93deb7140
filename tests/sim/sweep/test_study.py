"""`ikesim sweep` on a 2-worker LocalCluster: a row per run in runs.parquet, the same rows
with 1 worker and with 2, the negotiations table, a plot per setting, and a task that fails
for real (a setting the topology refuses only when the run loads it) retried, reported with
its error in its row and on stderr, and the study's exit status 1."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from distributed import LocalCluster

from sim.cli.main import main
from sim.sweep.study import sweep, write_study
from sim.sweep.task import WALL_COLUMNS

HUB = Path(__file__).parents[3] / "topologies" / "hub-and-spoke.yaml"


def comparable(table) -> list[dict]:
    """The rows without their wall times (which differ from run to run)."""
    return table.drop_columns(list(WALL_COLUMNS)).to_pylist()


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> tuple[int, str, str, Path]:
    out = tmp_path_factory.mktemp("study") / "hub"
    capture = pytest.MonkeyPatch()  # module-scoped: capsys is per test
    stdout, stderr = io.StringIO(), io.StringIO()
    capture.setattr(sys, "stdout", stdout)
    capture.setattr(sys, "stderr", stderr)
    try:
        code = main(["sweep", str(HUB), "--set", "spokes=3,6", "--set", "spread=1s,20s",
                     "--seeds", "1-2", "--workers", "2", "--out", str(out)])
    finally:
        capture.undo()
    return code, stdout.getvalue(), stderr.getvalue(), out


def test_a_row_per_run_in_the_grids_order(study):
    code, printed, errors, out = study
    assert code == 0 and errors == ""
    runs = pq.read_table(out / "runs.parquet")
    rows = runs.to_pylist()
    assert [(r["spokes"], r["spread"], r["seed"]) for r in rows] == [
        (spokes, spread, seed) for spokes in (3, 6) for spread in ("1s", "20s")
        for seed in (1, 2)]
    for row in rows:
        assert row["negotiations"] == row["spokes"] == row["done"]
        assert row["failed"] == 0 and row["failure_rate"] == 0.0 and row["error"] is None
        assert row["attempts"] == 1
        # Every spoke downloads CRLs from the one server; the hub downloads them too.
        assert row["crl_downloads"] >= 2 * row["spokes"] and row["crl_downloads_failed"] == 0
        assert 0 < row["time_p50_s"] <= row["time_p99_s"] <= row["time_max_s"] < 5
    # The seed staggers the spread: two seeds, two different rows.
    assert rows[2]["up_p99_s"] != rows[3]["up_p99_s"]
    assert "Study hub-and-spoke: 8 runs, 0 failed" in printed


def test_the_negotiations_table_holds_every_negotiation_of_every_run(study):
    _, _, _, out = study
    negotiations = pq.read_table(out / "negotiations.parquet").to_pylist()
    assert len(negotiations) == 2 * 2 * (3 + 6)
    first = [n for n in negotiations if (n["spokes"], n["spread"], n["seed"]) == (3, "1s", 1)]
    assert sorted(n["initiator"] for n in first) == ["Spoke-0001", "Spoke-0002", "Spoke-0003"]
    assert {(n["responder"], n["phase1"]) for n in first} == {("Hub", "done")}


def test_a_plot_per_setting(study):
    _, printed, _, out = study
    assert sorted(p.name for p in (out / "plots").iterdir()) == ["spokes.png", "spread.png"]
    assert all((out / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
               for name in ("spokes.png", "spread.png"))
    assert f"Plots:         {out / 'plots'}/ (spokes.png, spread.png)" in printed


def test_one_worker_gives_the_rows_two_workers_gave(study):
    _, _, _, out = study
    alone = sweep(HUB, sets=["spokes=3,6", "spread=1s,20s"], seeds="1-2", workers=1)
    assert comparable(alone.runs) == comparable(pq.read_table(out / "runs.parquet"))
    assert alone.negotiations.equals(pq.read_table(out / "negotiations.parquet"))


def test_a_task_that_fails_is_retried_then_reported_in_its_row(tmp_path, capsys):
    """crl-capacity 0 passes the declaration here (min 0) but the CRL server refuses it when
    the run loads the topology: only its task finds out (the study loads the topology once,
    with the first run's settings, before it starts)."""
    text = HUB.read_text().replace("crl-capacity: {default: 2, type: integer, min: 1,",
                                   "crl-capacity: {default: 2, type: integer, min: 0,")
    (tmp_path / "hub.yaml").write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "crl-server:" in row)
    code = main(["sweep", str(tmp_path / "hub.yaml"), "--set", "spokes=2",
                 "--set", "crl-capacity=2,0", "--workers", "2", "--out", str(tmp_path / "s")])
    captured = capsys.readouterr()
    problem = (f"{tmp_path / 'hub.yaml'} line {line}: servers.crl-server.capacity: 0 is out of "
               "range (1..100,000)")
    assert code == 1
    assert captured.err.splitlines() == [
        f"ikesim: sweep: spokes=2 crl-capacity=0 seed 1: failed twice: {problem}"]
    done, failed = pq.read_table(tmp_path / "s" / "runs.parquet").to_pylist()
    assert failed["crl-capacity"] == 0 and failed["error"] == problem
    assert (failed["attempts"], done["attempts"]) == (2, 1)  # retried once, then reported
    assert failed["negotiations"] is None and failed["time_p50_s"] is None
    assert done["crl-capacity"] == 2 and done["error"] is None and done["done"] == 2
    assert "Study hub-and-spoke: 2 runs, 1 failed" in captured.out


def test_a_scheduler_address_runs_the_study_on_that_cluster(study, tmp_path, capsys):
    """--scheduler ADDR: the cluster's own workers run the tasks, and the rows are those a
    LocalCluster of ikesim's gave."""
    _, _, _, out = study
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        code = main(["sweep", str(HUB), "--set", "spokes=3", "--set", "spread=1s",
                     "--seeds", "1-2", "--scheduler", cluster.scheduler_address,
                     "--out", str(tmp_path / "remote")])
    assert code == 0, capsys.readouterr().err
    remote = comparable(pq.read_table(tmp_path / "remote" / "runs.parquet"))
    local = [row for row in comparable(pq.read_table(out / "runs.parquet"))
             if (row["spokes"], row["spread"]) == (3, "1s")]
    assert remote == local and len(remote) == 2


def test_a_new_study_replaces_an_earlier_one_whole_and_nothing_beside_it(study, tmp_path):
    earlier = study[3]
    out = tmp_path / "hub"
    out.mkdir()
    for name in ("runs.parquet", "negotiations.parquet", ".ikesim-sweep"):
        (out / name).write_bytes((earlier / name).read_bytes())
    (out / "plots").mkdir()
    (out / "plots" / "spread.png").write_bytes((earlier / "plots" / "spread.png").read_bytes())
    (tmp_path / "notes.txt").write_text("mine")
    result = sweep(HUB, sets=["spokes=2"], seeds="1", workers=1)
    write_study(result, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hub", "notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "mine"
    # The earlier study's spread plot went with it: only this study's files are left.
    assert sorted(p.name for p in (out / "plots").iterdir()) == ["spokes.png"]
    assert [r["spokes"] for r in pq.read_table(out / "runs.parquet").to_pylist()] == [2]


def test_a_study_that_fails_midway_removes_only_its_own_staging_folder(study, tmp_path,
                                                                       monkeypatch):
    import sim.sweep.study as study_module

    result = sweep(HUB, sets=["spokes=2"], seeds="1", workers=1)
    decoy = tmp_path / ".hub.partial-deadbeef"  # named as a staging folder is, not ours
    decoy.mkdir()
    (decoy / "keep.txt").write_text("mine")

    def broken(runs, folder):
        raise OSError("disk full")

    monkeypatch.setattr(study_module, "write_study_plots", broken)
    with pytest.raises(OSError, match="disk full"):
        write_study(result, tmp_path / "hub")
    assert sorted(p.name for p in tmp_path.iterdir()) == [decoy.name]
    assert (decoy / "keep.txt").read_text() == "mine"
