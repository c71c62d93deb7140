"""A tampered state.json, fuzzed: any key removed, added or given any JSON value, then every
show command that reads the state. `ikesim show` answers (exit 0 or 1) or refuses the file in
one line (exit 2); never a traceback, never an internal error."""

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

COMMANDS = [
    "show security ike security-associations",
    "show security ike security-associations detail",
    "show security ike security-associations index 1 detail",
    "show security ipsec security-associations",
    "show security ipsec security-associations detail",
    "show security pki crl detail",
    "show security pki ca-certificate detail",
    "show security pki local-certificate detail",
    "show log kmd",
]

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False) | st.text(max_size=30)
    | st.sampled_from(["2013-03-01T09:00:00+00:00", "2013-03-01T09:00:00", "dynamic-001",
                       "Root-B", "", "9999-12-31T23:59:59+00:00"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=6)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> tuple[Path, bytes]:
    """A run of the library's cross-certified topology: SRX-B holds IKE and IPsec SAs, two
    dynamic CA profiles and four CRL sources. Returns the run folder and SRX-B's state.json."""
    root = tmp_path_factory.mktemp("fuzz")
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", "cross-certified", "--out", str(root / "run"), "--quiet"]) == 0
    state = root / "run" / "devices" / "SRX-B" / "state.json"
    shutil.copy(state, root / "pristine.json")
    return root / "run", (root / "pristine.json").read_bytes()


def _paths(value: object, prefix: tuple = ()) -> list[tuple]:
    """Every place in the JSON document: a key of an object or an index of a list."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _alike(value: object) -> st.SearchStrategy:
    """Values of the same JSON type as `value`, so that many mutations pass the checks and
    reach the commands."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(min_value=-1, max_value=2**33)
    if isinstance(value, str):
        return st.text(max_size=20) | st.sampled_from(
            ["2013-03-01T09:00:00+00:00", "1950-01-01T00:00:00+00:00", "dynamic-999",
             "dynamic-001", "Root-B", "Root-A", "0" * 16, "", "UP", "DOWN", "Initiator"])
    return JSON


@st.composite
def mutations(draw, pristine: bytes) -> bytes:
    state = json.loads(pristine)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(_paths(state)[1:]))  # anywhere but the whole document
        parent = state
        for step in where[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["alike", "alike", "alike", "replace", "delete", "add"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[where[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(JSON)
        elif action == "alike":
            parent[where[-1]] = draw(_alike(parent[where[-1]]))
        else:
            parent[where[-1]] = draw(JSON)
    return json.dumps(state).encode()


@settings(max_examples=settings.default.max_examples // 3)
@given(data=st.data())
def test_show_on_a_fuzzed_state_answers_or_refuses_in_one_line(folder, data):
    run, pristine = folder
    text = data.draw(mutations(pristine))
    (run / "devices" / "SRX-B" / "state.json").write_bytes(text)
    for command in COMMANDS:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["show", str(run), "SRX-B", command])
        assert code in (0, 1, 2), (command, err.getvalue())
        if code == 2:
            assert err.getvalue().count("\n") == 1, err.getvalue()
            assert "state.json: " in err.getvalue()
            break  # the state is refused whatever the command
