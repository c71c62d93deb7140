"""A study's grid: --set values typed by the topology's declarations, --seeds ranges, and
their product in a fixed order (the last --set varies fastest, then the seed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.sweep.grid import Grid, GridError, Task, seed_list

HUB = (Path(__file__).parents[3] / "topologies" / "hub-and-spoke.yaml").read_text()


def test_the_product_of_settings_and_seeds_in_order():
    grid = Grid.read(HUB, sets=["spokes=1000,10000", "crl-capacity=1,2,4"], seeds="1-2")
    assert grid.size == 12
    tasks = grid.tasks()
    assert [t.label for t in tasks[:3]] == ["spokes=1000 crl-capacity=1 seed 1",
                                            "spokes=1000 crl-capacity=1 seed 2",
                                            "spokes=1000 crl-capacity=2 seed 1"]
    assert tasks[-1] == Task(settings=(("spokes", 10000), ("crl-capacity", 4)), seed=2)
    assert tasks[-1].parameters() == {"spokes": "10000", "crl-capacity": "4"}


def test_values_take_their_declared_types():
    (task,) = Grid.read(HUB, sets=["spread=2s"], seeds="3").tasks()
    assert task.settings == (("spread", "2s"),) and task.seed == 3


def test_no_set_is_the_defaults_once_per_seed():
    assert [t.label for t in Grid.read(HUB, sets=[], seeds="1,4").tasks()] == ["seed 1",
                                                                                "seed 4"]


@pytest.mark.parametrize(("text", "seeds"), [
    ("1-3", (1, 2, 3)), ("7", (7,)), ("1-2,9", (1, 2, 9)), (" 4 , 0 ", (4, 0))])
def test_seed_lists(text, seeds):
    assert seed_list(text) == seeds


@pytest.mark.parametrize("text", ["", "-", "1-", "a", "1-2-3", "１", "99999999999999999999"])
def test_bad_seed_lists_are_refused(text):
    with pytest.raises(GridError, match="^--seeds "):
        seed_list(text)


def test_too_many_runs_are_refused_before_any_starts():
    with pytest.raises(GridError) as err:
        Grid.read(HUB, sets=["spokes=" + ",".join(str(n) for n in range(1, 1001))],
                  seeds="1-101")
    assert str(err.value) == "--set/--seeds: 101,000 runs is more than 100,000"
