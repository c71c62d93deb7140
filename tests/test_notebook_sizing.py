"""notebooks/crl-sizing.ipynb on its reduced grid (IKESIM_NOTEBOOK_GRID=reduced): the
sizing question answered end to end with `ikesim sweep`'s API on a 2-worker LocalCluster,
an answer consistent with the table it prints, its plots, and nothing written into the
repository. (tests/test_notebooks.py runs the other notebooks and checks they are stored
without outputs.)"""

from __future__ import annotations

import re

import pytest

from tests.test_notebooks import NOTEBOOKS, images, kernels, run_notebook, text  # noqa: F401


@pytest.fixture(scope="module")
def sizing(kernels):  # noqa: F811 (the fixture imported above)
    patch = pytest.MonkeyPatch()  # module-scoped: the kernel inherits the environment
    patch.setenv("IKESIM_NOTEBOOK_GRID", "reduced")
    try:
        return run_notebook("crl-sizing.ipynb", cwd=NOTEBOOKS, kernels=kernels)
    finally:
        patch.undo()


def test_the_reduced_grid_is_the_one_that_ran(sizing):
    assert text(sizing.cell("question")) == (
        "100 spokes within 0.15s; 99% up within 1.5 s? CRL servers [1, 4], seeds 1-2\n")


def test_the_study_has_a_row_per_setting_and_seed(sizing):
    printed = text(sizing.cell("sweep"))
    assert printed.startswith("Study hub-and-spoke-crl-servers: 4 runs, 0 failed\n")
    rows = [line.split() for line in printed.splitlines() if re.match(r"100\s+0\.15s", line)]
    assert [row[2] for row in rows] == ["1", "4"]
    assert all(row[3] == "2" for row in rows)  # two seeds each


def test_the_answer_is_the_fewest_servers_whose_worst_seed_is_within_the_limit(sizing):
    lines = text(sizing.cell("answer")).splitlines()
    table = {int(row.split()[0]): row.split()[1] for row in lines[1:3]}
    within = [n for n, up in table.items() if up != "never" and float(up) <= 1.5]
    assert within, lines  # four servers are plenty for 100 spokes
    # One server is a storm: its queue holds the spokes well past the limit.
    assert table[1] == "never" or float(table[1]) > 1.5
    assert lines[-1] == (f"Answer: {min(within)} CRL servers bring 99% of 100 spokes up "
                         "within 1.5 s in every seed.")


def test_it_draws_its_figure_and_the_sweeps_plot(sizing):
    assert images(sizing.cell("up-plot")) == 1
    assert images(sizing.cell("study-plots")) == 1


def test_running_writes_nothing_into_the_repository(sizing):
    assert sizing.created == set()
    assert not sizing.changed
