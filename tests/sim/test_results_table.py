"""Past 5,000 negotiations a run's records go to results.parquet (and its CRL downloads to
crl-downloads.parquet): read back, they are what results.json would have held, the files are
the same bytes for the same topology and seed, and the plots are drawn from either form."""

from __future__ import annotations

import json

import pytest

from sim.cli.run import execute
from sim.report import results_table
from sim.report.plots import write_plots
from sim.report.results_table import read_results, table_bytes, table_records
from sim.topology import library, load_topology

TOPOLOGY = library.topologies_dir() / "hub-and-spoke-ecdsa.yaml"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same 8-spoke run three times: as results.json, and twice over the threshold."""
    topology = load_topology(TOPOLOGY, parameters={"spokes": "8"})
    root = tmp_path_factory.mktemp("runs")
    execute(topology, out=root / "json", plots=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(results_table, "PARQUET_THRESHOLD", 7)
        for name in ("parquet", "again"):
            execute(topology, out=root / name, plots=False)
    return root


def test_a_small_run_keeps_its_records_in_results_json(runs):
    assert not (runs / "json" / "results.parquet").exists()
    record = json.loads((runs / "json" / "results.json").read_text())
    assert len(record["negotiations"]) == 8 and "tables" not in record


def test_over_the_threshold_the_tables_read_back_as_results_json_would_hold(runs):
    head = json.loads((runs / "parquet" / "results.json").read_text())
    assert "negotiations" not in head and "crl_downloads" not in head
    assert head["tables"] == {"negotiations": "results.parquet",
                              "crl_downloads": "crl-downloads.parquet"}
    assert head["summary"]["negotiations"] == 8
    assert [(o["phase1"], o["phase2"], o["error"], o["count"])
            for o in head["summary"]["outcomes"]] == [("done", "not started", None, 8)]
    whole = json.loads((runs / "json" / "results.json").read_text())
    assert read_results(runs / "parquet") == whole
    assert read_results(runs / "json") == whole
    assert len(whole["crl_downloads"]) == 18  # 2 a spoke, 2 at the hub: not empty


def test_the_tables_are_the_same_bytes_for_the_same_topology_and_seed(runs):
    for name in ("results.parquet", "crl-downloads.parquet"):
        assert (runs / "parquet" / name).read_bytes() == (runs / "again" / name).read_bytes()


def test_plots_are_drawn_alike_from_either_form(runs, tmp_path):
    drawn = {}
    for name in ("json", "parquet"):
        paths = write_plots(read_results(runs / name), tmp_path / name)
        drawn[name] = {p.name: p.read_bytes() for p in paths}
    assert drawn["json"] == drawn["parquet"]
    assert {"outcomes.png", "hierarchy.png", "ladder.png"} <= set(drawn["json"])


def test_columns_keep_their_types_and_nested_fields_their_json():
    records = [{"a": 1, "b": 0.5, "c": "x", "d": True, "e": None, "f": [{"g": 1}], "h": 2},
               {"a": 2, "b": None, "c": None, "d": False, "e": None, "f": [], "h": 2.5}]
    assert table_records(table_bytes(records)) == records
    back = table_records(table_bytes(records))
    assert [type(r["h"]) for r in back] == [int, float]  # mixed: JSON text, exact
