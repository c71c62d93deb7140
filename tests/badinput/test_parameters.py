"""`ikesim run --param` and `ikesim sweep --set` of an unknown, ill-typed or out-of-range
parameter: one line naming the option and the parameter, exit 2, nothing written."""

from __future__ import annotations

import pytest

from tests.badinput.conftest import assert_refused, files_under


@pytest.mark.parametrize(("argv", "problem"), [
    (("--param", "spokes=0"), "--param spokes: 0 is out of range (integer, 1..65000)"),
    (("--param", "spokes=many"), "--param spokes: 'many' is not an integer"),
    (("--param", "spread=1h"), "--param spread: '1h' is out of range (duration, 0s..5m)"),
    (("--param", "hubs=2"),
     "--param hubs: no such parameter (parameters: authentication-method, crl-capacity, "
     "dh-group, key, spokes, spread)"),
])
def test_run_refuses_a_bad_param_before_anything_runs(ikesim, tmp_path, argv, problem):
    before = files_under(tmp_path)
    line = assert_refused(ikesim("run", "hub-and-spoke", *argv), problem)
    assert line.endswith(f"hub-and-spoke.yaml: {problem}")
    assert files_under(tmp_path) == before and not (tmp_path / "runs").exists()


@pytest.mark.parametrize(("argv", "problem"), [
    (("--set", "spokes=5,0"), "--set spokes: 0 is out of range (integer, 1..65000)"),
    (("--set", "spokes=5,ten"), "--set spokes: 'ten' is not an integer"),
    (("--set", "crl-capacity=2.5"), "--set crl-capacity: 2.5 is not an integer"),
    (("--set", "spread=1s,10m"), "--set spread: '10m' is out of range (duration, 0s..5m)"),
    (("--set", "hubs=2"),
     "--set hubs: no such parameter (parameters: authentication-method, crl-capacity, "
     "dh-group, key, spokes, spread)"),
    (("--set", "spokes"), "--set 'spokes': expected NAME=VALUE[,VALUE...]"),
    (("--set", "spokes=5,5"), "--set spokes: '5' is given twice"),
    (("--set", "spokes=5", "--set", "spokes=6"),
     "--set spokes: set twice (give every value in one --set, separated by commas)"),
    (("--seeds", "5-1"), "--seeds '5-1': 5-1 runs backwards"),
    (("--seeds", "1,x"), "--seeds '1,x': 'x' is not a whole number"),
    (("--seeds", "1-3,2"), "--seeds '1-3,2': seed 2 is given twice"),
    (("--seeds", "0-200000"), "--seeds '0-200000': more than 100,000 seeds"),
])
def test_sweep_refuses_a_bad_set_before_any_task_starts(ikesim, tmp_path, argv, problem):
    before = files_under(tmp_path)
    line = assert_refused(ikesim("sweep", "hub-and-spoke", *argv), problem)
    assert line.endswith(f"hub-and-spoke.yaml: {problem}")
    assert files_under(tmp_path) == before and not (tmp_path / "sweeps").exists()


def test_sweep_refuses_a_folder_that_is_not_a_study(ikesim, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    before = files_under(tmp_path)
    assert_refused(ikesim("sweep", "hub-and-spoke", "--out", "mine"),
                   "--out mine: holds files that are not an ikesim study; choose another folder")
    assert files_under(tmp_path) == before


@pytest.mark.parametrize("workers", ["0", "many", "999"])
def test_sweep_refuses_a_bad_number_of_workers(ikesim, workers):
    assert_refused(ikesim("sweep", "hub-and-spoke", "--workers", workers),
                   f"argument --workers: {workers!r} is not a number of workers (1..256)")


def test_sweep_refuses_a_scheduler_address_it_cannot_use(ikesim, tmp_path):
    assert_refused(ikesim("sweep", "hub-and-spoke", "--scheduler", "bogus://x"),
                   "ikesim: --scheduler bogus://x: unknown address scheme 'bogus'")
    assert not (tmp_path / "sweeps").exists()
