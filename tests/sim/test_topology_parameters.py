"""`${name}` parameters: typed values substituted into the parsed document, never pasted into
the YAML text, with errors that still name the template's line."""

from __future__ import annotations

import pytest

from sim.topology import TopologyError, parse_topology
from tests.sim.scenarios import pair

TEMPLATE = pair(server=", capacity: ${capacity}").replace(
    "seed: 7\n", 'seed: 7\nparameters: {capacity: 4, label: lab, gap: "5ms"}\n'
                 'description: "Run ${label} (${capacity} slots)"\n').replace(
    "latency: 5ms}", 'latency: "${gap}"}')


def load(**parameters: str):
    return parse_topology(TEMPLATE, source="p.yaml", parameters=parameters or None)


def line_of(fragment: str) -> int:
    return next(n for n, row in enumerate(TEMPLATE.splitlines(), 1) if fragment in row)


def test_values_are_substituted_after_parsing_wherever_the_placeholder_stands():
    """In a flow mapping, in quotes, inside text: the value is never YAML text, so quotes in it
    are only characters (pasted into the file, `say "hi"` broke the quoted description)."""
    topology = load(label='say "hi"', capacity="9", gap="20ms")
    assert topology.description == 'Run say "hi" (9 slots)'
    assert topology.servers["crl-server"].capacity == 9
    assert topology.links[0].spec.latency == 0.02
    assert load().description == "Run lab (4 slots)"


def test_a_value_of_the_wrong_kind_is_refused_on_the_templates_line():
    with pytest.raises(TopologyError) as err:
        load(capacity="true")
    assert str(err.value) == (f"p.yaml line {line_of('crl-server:')}: servers.crl-server."
                              "capacity: True is not a whole number")


def test_a_value_cannot_add_entries():
    """Pasted as text, `5ms, loss: 1` would have added loss: 1 to the link."""
    with pytest.raises(TopologyError) as err:
        load(gap="5ms, loss: 1")
    assert str(err.value) == ("p.yaml: --param gap: '5ms, loss: 1' is not one value (expected "
                              "a number, true/false or text)")


def test_a_default_must_be_one_value():
    text = TEMPLATE.replace("label: lab,", "label: [lab],")
    with pytest.raises(TopologyError) as err:
        parse_topology(text, source="p.yaml")
    assert str(err.value) == (f"p.yaml line {line_of('parameters:')}: parameters.label: a "
                              "default is one value (a number, true/false or text)")


def test_the_marker_characters_cannot_be_smuggled_in():
    text = TEMPLATE.replace("Run ${label}", "Run \ue000label\ue001")
    with pytest.raises(TopologyError) as err:
        parse_topology(text, source="p.yaml")
    assert str(err.value) == (f"p.yaml line {line_of('description:')}: characters "
                              "U+E000/U+E001 are not allowed in a topology")
