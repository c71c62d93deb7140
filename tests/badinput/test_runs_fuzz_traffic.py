"""Issue 9's state.json fields (ESP counters, kilobyte lifetimes, NAT-T ports, traffic
statistics of the IKE SA), tampered with: every show command that prints them answers or
refuses the file in one line, never a traceback or an internal error. The run folders come
from the shipped traffic-ping and nat-t scenarios, so the fields hold real values first."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli.main import main
from tests.badinput.test_runs_fuzz import COMMANDS, mutations

NEW_COMMANDS = [
    *COMMANDS,
    "show security ipsec statistics",
    "show security ipsec statistics index 131073",
    "show security ipsec security-associations index 131073 detail",
]
SCENARIOS = {"traffic-ping": "SRX-A", "nat-t": "Spoke"}


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, tuple[Path, bytes]]:
    root = tmp_path_factory.mktemp("fuzz-traffic")
    found = {}
    for scenario, device in SCENARIOS.items():
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["run", scenario, "--out", str(root / scenario), "--quiet"]) == 0
        state = root / scenario / "devices" / device / "state.json"
        shutil.copy(state, root / f"{scenario}.json")
        found[scenario] = root / scenario, (root / f"{scenario}.json").read_bytes()
    return found


def _show(run: Path, device: str) -> list[tuple[int, str, str]]:
    answers = []
    for command in NEW_COMMANDS:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["show", str(run), device, command])
        answers.append((code, out.getvalue(), err.getvalue()))
        if code == 2:
            break  # the state is refused whatever the command
    return answers


def test_the_pristine_states_show_their_new_fields(folders):
    """What the fuzz starts from: the fields are there and every command answers."""
    for scenario, device in SCENARIOS.items():
        run, pristine = folders[scenario]
        sa = json.loads(pristine)["ipsec_sas"][0]
        assert sa["encrypted_packets"] > 0 or scenario == "nat-t"
        assert sa["nat_t"] is (scenario == "nat-t")
        assert [code for code, _, _ in _show(run, device)] == [0] * len(NEW_COMMANDS)


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("kilobytes_used", -1, "ipsec_sas[0].kilobytes_used: -1 is out of range"),
    ("lifetime_kilobytes", "1024", "ipsec_sas[0].lifetime_kilobytes: expected a whole number, "
                                   "not a string"),
    ("nat_t", 1, "ipsec_sas[0].nat_t: expected true/false, not a number"),
    ("encrypted_bytes", 1.5, "ipsec_sas[0].encrypted_bytes: expected a whole number, not a "
                             "number"),
    ("replay_errors", None, "ipsec_sas[0].replay_errors: expected a whole number, not null"),
])
def test_a_wrong_type_in_a_new_field_is_one_line(folders, field, value, problem):
    run, pristine = folders["traffic-ping"]
    state = json.loads(pristine)
    state["ipsec_sas"][0][field] = value
    (run / "devices" / "SRX-A" / "state.json").write_text(json.dumps(state))
    try:
        code, _, err = _show(run, "SRX-A")[0]
    finally:
        (run / "devices" / "SRX-A" / "state.json").write_bytes(pristine)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("ikesim: ") and "state.json: " in err and problem in err, err


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(data=st.data())
def test_show_on_a_fuzzed_traffic_state_answers_or_refuses_in_one_line(folders, data):
    scenario = data.draw(st.sampled_from(sorted(SCENARIOS)))
    run, pristine = folders[scenario]
    device = SCENARIOS[scenario]
    path = run / "devices" / device / "state.json"
    path.write_bytes(data.draw(mutations(pristine)))
    try:
        for code, _, err in _show(run, device):
            assert code in (0, 1, 2), err
            assert "Traceback" not in err and "internal error" not in err, err
            if code == 2:
                assert err.count("\n") == 1 and "state.json: " in err, err
    finally:
        path.write_bytes(pristine)
