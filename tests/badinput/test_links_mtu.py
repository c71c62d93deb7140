"""Bad link MTUs and fragment policies: one line naming the file, line and entry, exit 2,
nothing written (through `ikesim run FILE` and through `--param`)."""

from __future__ import annotations

import pytest

from tests.badinput.conftest import assert_refused, files_under
from tests.badinput.test_topologies import _refused, _swap


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ("mtu: 575", "links[].mtu: 575 is out of range (576..9,216)"),
        ("mtu: 68", "links[].mtu: 68 is out of range (576..9,216)"),
        ("mtu: 9217", "links[].mtu: 9217 is out of range (576..9,216)"),
        ("mtu: -1500", "links[].mtu: -1500 is out of range"),
        ("mtu: 1500.5", "links[].mtu: 1500.5 is not a whole number"),
        ("mtu: .inf", "links[].mtu: inf is not a whole number"),
        ("mtu: true", "links[].mtu: True is not a whole number"),
        ("mtu: '1500'", "links[].mtu: '1500' is not a whole number"),
        ("mtu: 1.0e+999", "links[].mtu: inf is not a whole number"),
        ("fragments: maybe", "links[].fragments: 'maybe': one of allow, drop"),
        ("fragments: DROP", "links[].fragments: 'DROP': one of allow, drop"),
        ("fragments: true", "links[].fragments: True: one of allow, drop"),
        ("fragments: [drop]", "links[].fragments: ['drop']: one of allow, drop"),
        ("fragments: \"drop\\e\"", "links[].fragments: 'drop\\x1b': one of allow, drop"),
        ("fragment: drop", "links[].fragment: unknown entry (expected one of between, "
                           "fragments, jitter, latency, loss, mtu, nat)"),
    ],
)
def test_a_bad_mtu_or_fragments_entry_is_refused(ikesim, tmp_path, entry, fragment):
    text = _swap("latency: 5ms}", f"latency: 5ms, {entry}}}")
    _refused(ikesim, tmp_path, "link.yaml", text, fragment, line_of="between:")


@pytest.mark.parametrize(("param", "fragment"), [
    ("mtu=100", "links[].mtu: 100 is out of range (576..9,216)"),
    ("mtu=jumbo", "links[].mtu: 'jumbo' is not a whole number"),
    ("fragments=block", "links[].fragments: 'block': one of allow, drop"),
])
def test_a_bad_mtu_through_a_parameter_is_refused(ikesim, tmp_path, param, fragment):
    before = files_under(tmp_path)
    outcome = ikesim("run", "dropped-fragments", "--param", param)
    line = assert_refused(outcome, "dropped-fragments.yaml line ", fragment)
    assert "\x1b" not in line
    assert not (tmp_path / "runs").exists()
    assert files_under(tmp_path) == before
