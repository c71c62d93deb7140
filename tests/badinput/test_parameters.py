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
     "--param hubs: no such parameter (parameters: crl-capacity, spokes, spread)"),
])
def test_run_refuses_a_bad_param_before_anything_runs(ikesim, tmp_path, argv, problem):
    before = files_under(tmp_path)
    line = assert_refused(ikesim("run", "hub-and-spoke", *argv), problem)
    assert line.endswith(f"hub-and-spoke.yaml: {problem}")
    assert files_under(tmp_path) == before and not (tmp_path / "runs").exists()
