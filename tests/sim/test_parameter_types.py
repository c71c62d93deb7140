"""Typed parameters: the long form `{default, type, min, max, help}` declares a parameter's
type and range; an override of the wrong type or out of range is one line naming the option
and the parameter, before anything is built. The short form stays any one value."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.topology import TopologyError, load_topology, parse_topology
from sim.topology.parameters import Parameter, ParameterType, declared_parameters, override
from sim.topology.yaml_lines import YamlError
from tests.sim.scenarios import pair

HUB = Path(__file__).parents[2] / "topologies" / "hub-and-spoke.yaml"

TEMPLATE = pair(server=", capacity: ${capacity}").replace(
    "seed: 7\n", "seed: 7\nparameters:\n"
                 "  capacity: {default: 4, type: integer, min: 1, max: 16, help: slots}\n"
                 "  gap: {default: 5ms, type: duration, min: 1ms, max: 1s}\n"
                 "  label: lab\n"
                 'description: "Run ${label} (${capacity} slots)"\n').replace(
    "latency: 5ms}", 'latency: "${gap}"}')


def load(**parameters: str):
    return parse_topology(TEMPLATE, source="p.yaml", parameters=parameters or None)


def refused(problem: str, **parameters: str) -> None:
    with pytest.raises(TopologyError) as err:
        load(**parameters)
    assert str(err.value) == f"p.yaml: {problem}"


def test_long_and_short_forms_give_their_defaults_and_take_overrides():
    assert load().servers["crl-server"].capacity == 4
    assert load().links[0].spec.latency == 0.005
    topology = load(capacity="16", gap="1s", label="run 7")
    assert topology.servers["crl-server"].capacity == 16
    assert topology.links[0].spec.latency == 1.0
    assert topology.description == "Run run 7 (16 slots)"


@pytest.mark.parametrize(("name", "raw", "problem"), [
    ("capacity", "abc", "--param capacity: 'abc' is not an integer"),
    ("capacity", "2.5", "--param capacity: 2.5 is not an integer"),
    ("capacity", "true", "--param capacity: True is not an integer"),
    ("capacity", "0", "--param capacity: 0 is out of range (integer, 1..16)"),
    ("capacity", "17", "--param capacity: 17 is out of range (integer, 1..16)"),
    ("gap", "2s", "--param gap: '2s' is out of range (duration, 1ms..1s)"),
    ("gap", "soon", "--param gap: 'soon' is not a duration (e.g. 20ms, 10s, 5m, 2h, 8h20m, 7d)"),
    ("capacity", "[1, 2]", "--param capacity: '[1, 2]' is not one value (expected a number, "
                           "true/false or text)"),
])
def test_an_ill_typed_or_out_of_range_override_is_one_line(name, raw, problem):
    refused(problem, **{name: raw})


def test_an_unknown_parameter_lists_the_declared_ones():
    refused("--param capacityy: no such parameter (parameters: capacity, gap, label)",
            capacityy="3")


def line_of(text: str, fragment: str) -> int:
    return next(n for n, row in enumerate(text.splitlines(), 1) if fragment in row)


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("default: 4,", "default: 40,", "parameters.capacity: 40 is out of range (integer, 1..16)"),
    ("type: integer", "type: int", "parameters.capacity: type: 'int' is not one of integer, "
                                   "number, boolean, text, duration"),
    ("min: 1, max: 16", "min: 16, max: 1", "parameters.capacity: min 16 is above max 1"),
    ("help: slots", "helps: slots", "parameters.capacity: helps: not a key of a parameter "
                                    "(expected default, type, min, max, help)"),
    ("default: 4, ", "", "parameters.capacity: default: missing"),
    ("min: 1ms", "min: soon", "parameters.gap: min: 'soon' is not a duration (e.g. 20ms, 10s, "
                              "5m, 2h, 8h20m, 7d)"),
])
def test_a_bad_declaration_is_refused_at_its_line(old, new, problem):
    text = TEMPLATE.replace(old, new)
    assert text != TEMPLATE
    with pytest.raises(TopologyError) as err:
        parse_topology(text, source="p.yaml")
    assert str(err.value) == f"p.yaml line {line_of(text, problem.split('.')[1].split(':')[0])}" \
                             f": {problem}"


def test_a_range_on_a_boolean_is_refused():
    with pytest.raises(ValueError, match="min and max bound only an integer, number or duration"):
        Parameter(name="on", default=True, kind=ParameterType.BOOLEAN, low=0)


def test_override_names_the_option_it_came_from():
    declared = declared_parameters(HUB.read_text())
    with pytest.raises(YamlError) as err:
        override(declared, "spokes", "0", option="--set")
    assert err.value.problem == "--set spokes: 0 is out of range (integer, 1..65000)"
    assert override(declared, "spread", "2s", option="--set") == "2s"


def test_the_shipped_hub_and_spoke_declares_its_parameters():
    declared = declared_parameters(HUB.read_text())
    assert {name: p.declared for name, p in declared.items()} == {
        "spokes": "integer, 1..65000", "crl-capacity": "integer, 1..1000",
        "spread": "duration, 0s..5m", "key": "text", "authentication-method": "text",
        "dh-group": "text"}
    assert all(p.help for p in declared.values())
    assert load_topology(HUB, parameters={"spokes": "3"}).devices.keys() >= {"Hub", "Spoke-0003"}


def test_a_text_parameter_keeps_what_the_user_typed_and_a_boolean_takes_only_true_or_false():
    label = Parameter(name="label", default="lab", kind=ParameterType.TEXT)
    assert override({"label": label}, "label", "007") == "007"  # the short form gives 7
    on = Parameter(name="on", default=False, kind=ParameterType.BOOLEAN)
    assert override({"on": on}, "on", "true") is True
    with pytest.raises(YamlError) as err:
        override({"on": on}, "on", "1")
    assert err.value.problem == "--param on: 1 is not true or false"
