"""The names Tab and `?` offer for a value at a terminal come from the device's own state:
its certificate-ids, CA profiles, gateways, peers and the indexes of the SAs still up."""

from __future__ import annotations

import dataclasses

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from sim.cli.editing import _Words, state_names
from sim.cli.main import main
from sim.junos.device_state import DeviceState


@pytest.fixture(scope="module")
def srx_a(tmp_path_factory) -> DeviceState:
    """SRX-A after a real run of the library's single-level scenario."""
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["run", "--quiet", "--out", str(out), "single-level"]) == 0
    return DeviceState.load(out, "SRX-A")


def test_each_kind_of_name_comes_from_the_state(srx_a):
    names = state_names(srx_a)
    assert names("local") == ["SRX-A", "system-generated"]
    assert names("profile") == ["Corp-CA"]
    assert names("gateway") == ["ike_cert_gw_01"]
    assert names("peer") == ["30.1.1.51"]
    assert names("ike-sa") == ["3824676"]
    assert names("ipsec-sa") == ["131073"]
    assert names("none") == []


def test_an_sa_past_its_lifetime_is_not_offered(srx_a):
    later = dataclasses.replace(srx_a, now=srx_a.now.replace(year=srx_a.now.year + 1))
    assert state_names(later)("ike-sa") == [] and state_names(later)("ipsec-sa") == []


def completions(state: DeviceState, text: str) -> list[tuple[str, str]]:
    found = _Words(lambda: state).get_completions(Document(text), CompleteEvent(True))
    return [(c.text, c.display_meta_text) for c in found]


def test_tab_completes_a_keyword_prefix_and_a_value(srx_a):
    assert completions(srx_a, "show security pki c") == [
        ("ca-certificate ", "Show certificate authority certificate information"),
        ("certificate-request ", "Show certificate request information"),
        ("crl ", "Show certificate revocation list information"),
    ]
    assert completions(srx_a, "show security pki crl ca-profile ") == [
        ("Corp-CA ", "CA profile name")]
    # A line that no longer parses offers nothing, rather than failing.
    assert completions(srx_a, "show bogus ") == []
    assert completions(srx_a, 'show "open') == []
